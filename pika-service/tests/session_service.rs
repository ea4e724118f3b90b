//! Sessions as their owners and admins see them (PIKA.md §2, §6, §11): list,
//! read, create, delete, title, pin — scoped to what the caller may read.
//! Reading histories and shares: `session_reading.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::access::AccessRules;
use pika_domain::ids::{EntityId, SessionId};
use pika_domain::user::UserType;
use pika_ports::{Clock, CompletionPurpose, PageRequest};
use pika_testkit::fixtures;
use support::*;

fn ids(sessions: &[pika_domain::session::Session]) -> Vec<SessionId> {
    sessions.iter().map(|s| s.session_id).collect()
}

#[tokio::test]
async fn the_list_shows_only_the_callers_sessions_newest_first() {
    let p = Platform::standard().await;
    p.seed_app(
        fixtures::chat_app("billing", AGENT),
        fixtures::agent(AGENT, &[]),
        vec![],
    )
    .await;
    let alice = fixtures::customer("alice");
    let bob = fixtures::customer("bob");
    let first = chat(&p, &alice, "First question", "First answer").await;
    let bobs = chat(&p, &bob, "Bob's question", "Bob's answer").await;
    let second = chat(&p, &alice, "Second question", "Second answer").await;
    let billing = p
        .sessions()
        .create(&alice, &fixtures::chat_app_id("billing"))
        .await
        .unwrap()
        .session_id;

    let all = p
        .sessions()
        .list(&alice, None, PageRequest::first(20))
        .await
        .unwrap();
    assert_eq!(ids(&all.items), vec![billing, second, first]);
    assert!(!ids(&all.items).contains(&bobs));
    assert_eq!(all.next_cursor, None);

    let support_only = p
        .sessions()
        .list(
            &alice,
            Some(fixtures::chat_app_id(APP)),
            PageRequest::first(20),
        )
        .await
        .unwrap();
    assert_eq!(ids(&support_only.items), vec![second, first]);

    let billing_only = p
        .sessions()
        .list(
            &alice,
            Some(fixtures::chat_app_id("billing")),
            PageRequest::first(20),
        )
        .await
        .unwrap();
    assert_eq!(ids(&billing_only.items), vec![billing]);

    // Paging goes on where the first page stopped.
    let page1 = p
        .sessions()
        .list(&alice, None, PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(ids(&page1.items), vec![billing, second]);
    let page2 = p
        .sessions()
        .list(&alice, None, PageRequest::after(2, page1.next_cursor))
        .await
        .unwrap();
    assert_eq!(ids(&page2.items), vec![first]);
    assert_eq!(page2.next_cursor, None);

    let bobs_list = p
        .sessions()
        .list(&bob, None, PageRequest::first(20))
        .await
        .unwrap();
    assert_eq!(ids(&bobs_list.items), vec![bobs]);
}

#[tokio::test]
async fn another_users_session_is_not_found_whatever_they_try() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let session = chat(&p, &alice, "Private question", "Private answer").await;
    let before = p.fakes.sessions.find(&session).unwrap();
    let title_calls = p
        .fakes
        .completions
        .requests_for(CompletionPurpose::Title)
        .len();
    // Same entity, no admin role: still not theirs.
    let mallory = fixtures::customer("mallory");
    let s = p.sessions();

    assert_eq!(code(s.get(&mallory, &session).await), "not_found");
    assert_eq!(
        code(s.messages(&mallory, &session, PageRequest::first(10)).await),
        "not_found"
    );
    assert_eq!(
        code(
            s.set_title(&mallory, &session, Some("Mine now".into()))
                .await
        ),
        "not_found"
    );
    assert_eq!(
        code(s.set_title(&mallory, &session, None).await),
        "not_found"
    );
    assert_eq!(
        code(s.set_pinned(&mallory, &session, true).await),
        "not_found"
    );
    assert_eq!(code(s.share(&mallory, &session).await), "not_found");
    assert_eq!(code(s.revoke_share(&mallory, &session).await), "not_found");
    assert_eq!(code(s.delete(&mallory, &session).await), "not_found");

    // Nothing changed, nothing was deleted, no title was generated.
    assert_eq!(p.fakes.sessions.find(&session).unwrap(), before);
    assert_eq!(p.fakes.messages.of_session(&session).len(), 2);
    assert_eq!(
        p.fakes
            .completions
            .requests_for(CompletionPurpose::Title)
            .len(),
        title_calls
    );

    // A session that does not exist looks the same.
    let missing = SessionId::parse("01890a5d-ac96-774b-bcce-b302099a8057").unwrap();
    assert_eq!(code(s.get(&alice, &missing).await), "not_found");
    assert_eq!(code(s.delete(&alice, &missing).await), "not_found");
}

#[tokio::test]
async fn a_content_admin_reads_another_users_session_but_may_not_change_it() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let session = chat(&p, &alice, "How do I reset my password?", "Use the link.").await;
    let before = p.fakes.sessions.find(&session).unwrap();
    let carol = fixtures::content_admin("carol");
    let s = p.sessions();

    let seen = s.get(&carol, &session).await.unwrap();
    assert_eq!(seen.user_id.as_str(), "alice");
    let messages = s
        .messages(&carol, &session, PageRequest::first(10))
        .await
        .unwrap();
    let contents: Vec<&str> = messages.items.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(
        contents,
        vec!["How do I reset my password?", "Use the link."]
    );

    assert_eq!(
        code(s.set_title(&carol, &session, Some("Renamed".into())).await),
        "forbidden"
    );
    assert_eq!(
        code(s.set_pinned(&carol, &session, true).await),
        "forbidden"
    );
    assert_eq!(code(s.share(&carol, &session).await), "forbidden");
    assert_eq!(code(s.delete(&carol, &session).await), "forbidden");

    assert_eq!(p.fakes.sessions.find(&session).unwrap(), before);
    assert_eq!(p.fakes.messages.of_session(&session).len(), 2);
    // The admin's own list does not show Alice's session.
    let carols = s.list(&carol, None, PageRequest::first(10)).await.unwrap();
    assert!(carols.items.is_empty());
}

#[tokio::test]
async fn the_owner_sets_a_title_and_an_empty_one_is_refused() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let session = chat(&p, &alice, "Flights to Lisbon", "Here are some.").await;
    p.fakes
        .clock
        .advance(pika_domain::chrono::Duration::minutes(5));

    let updated = p
        .sessions()
        .set_title(&alice, &session, Some("  Lisbon   trip  ".into()))
        .await
        .unwrap();
    assert_eq!(updated.title.as_deref(), Some("Lisbon trip"));
    assert_eq!(updated.updated_at, p.fakes.clock.now());
    assert_eq!(
        p.fakes.sessions.find(&session).unwrap().title.as_deref(),
        Some("Lisbon trip")
    );

    for empty in ["", "   ", "\n\n"] {
        let err = p
            .sessions()
            .set_title(&alice, &session, Some(empty.into()))
            .await
            .err()
            .unwrap();
        assert_eq!(err.code(), "invalid_request", "{empty:?}");
    }
    assert_eq!(
        p.fakes.sessions.find(&session).unwrap().title.as_deref(),
        Some("Lisbon trip"),
        "a refused title changes nothing"
    );
}

#[tokio::test]
async fn without_a_title_one_is_generated_from_the_conversation() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    // The first turn's title generation fails (nothing scripted): untitled.
    let session = chat(
        &p,
        &alice,
        "What is the boiling point of water?",
        "100 °C at sea level.",
    )
    .await;
    assert_eq!(p.fakes.sessions.find(&session).unwrap().title, None);
    p.fakes
        .completions
        .push(CompletionPurpose::Title, "\"Boiling point of water.\"");

    let updated = p
        .sessions()
        .set_title(&alice, &session, None)
        .await
        .unwrap();

    assert_eq!(updated.title.as_deref(), Some("Boiling point of water"));
    assert_eq!(
        p.fakes.sessions.find(&session).unwrap().title.as_deref(),
        Some("Boiling point of water")
    );
    let request = p
        .fakes
        .completions
        .requests_for(CompletionPurpose::Title)
        .pop()
        .unwrap();
    assert!(request
        .input
        .contains("What is the boiling point of water?"));
    assert!(request.input.contains("100 °C at sea level."));

    // A session with nothing in it has nothing to title.
    let empty = p
        .sessions()
        .create(&alice, &fixtures::chat_app_id(APP))
        .await
        .unwrap();
    assert_eq!(
        code(
            p.sessions()
                .set_title(&alice, &empty.session_id, None)
                .await
        ),
        "invalid_request"
    );
}

#[tokio::test]
async fn generated_titles_use_the_agents_verification_model_unless_the_site_names_one() {
    // PIKA.md / SiteConfig::title_model_id: "the agent's verification model when unset".
    let p = Platform::with_site(fixtures::site());
    let mut agent = fixtures::agent(AGENT, &[]);
    agent.verification_model_id = Some("amazon.nova-lite-v1:0".to_string());
    p.seed_app(fixtures::chat_app(APP, AGENT), agent, vec![])
        .await;
    let alice = fixtures::customer("alice");
    let session = chat(&p, &alice, "Best pizza in Naples?", "Try the old town.").await;
    p.fakes
        .completions
        .push(CompletionPurpose::Title, "Pizza in Naples");

    p.sessions()
        .set_title(&alice, &session, None)
        .await
        .unwrap();

    let requests = p.fakes.completions.requests_for(CompletionPurpose::Title);
    assert_eq!(requests.len(), 2, "the turn's own attempt, then ours");
    assert_eq!(
        requests[0].model_id, "amazon.nova-lite-v1:0",
        "the turn's title"
    );
    assert_eq!(
        requests[1].model_id, "amazon.nova-lite-v1:0",
        "set_title(None)"
    );

    // A site-wide title model wins.
    let mut site = fixtures::site();
    site.title_model_id = Some("amazon.nova-pro-v1:0".to_string());
    let p = Platform::with_site(site);
    let mut agent = fixtures::agent(AGENT, &[]);
    agent.verification_model_id = Some("amazon.nova-lite-v1:0".to_string());
    p.seed_app(fixtures::chat_app(APP, AGENT), agent, vec![])
        .await;
    let session = chat(&p, &alice, "Best pizza in Rome?", "Trastevere.").await;
    p.fakes
        .completions
        .push(CompletionPurpose::Title, "Pizza in Rome");
    p.sessions()
        .set_title(&alice, &session, None)
        .await
        .unwrap();
    let requests = p.fakes.completions.requests_for(CompletionPurpose::Title);
    assert!(requests
        .iter()
        .all(|r| r.model_id == "amazon.nova-pro-v1:0"));
}

#[tokio::test]
async fn a_cursor_from_another_listing_is_invalid() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let session = chat(&p, &alice, "One", "Two").await;
    chat(&p, &alice, "Three", "Four").await;
    // A message-listing cursor handed to the session listing.
    let messages = p
        .sessions()
        .messages(&alice, &session, PageRequest::first(1))
        .await
        .unwrap();
    let foreign = messages.next_cursor.expect("more messages");
    assert_eq!(
        code(
            p.sessions()
                .list(&alice, None, PageRequest::after(10, Some(foreign)))
                .await
        ),
        "invalid_request"
    );
}

#[tokio::test]
async fn the_owner_pins_and_unpins() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let session = chat(&p, &alice, "Keep this", "Kept.").await;
    assert!(!p.fakes.sessions.find(&session).unwrap().pinned);

    let pinned = p
        .sessions()
        .set_pinned(&alice, &session, true)
        .await
        .unwrap();
    assert!(pinned.pinned);
    assert!(p.fakes.sessions.find(&session).unwrap().pinned);
    assert!(p.sessions().get(&alice, &session).await.unwrap().pinned);

    let unpinned = p
        .sessions()
        .set_pinned(&alice, &session, false)
        .await
        .unwrap();
    assert!(!unpinned.pinned);
    assert!(!p.fakes.sessions.find(&session).unwrap().pinned);
}

#[tokio::test]
async fn create_checks_access_and_records_the_callers_entity() {
    let p = Platform::with_site(fixtures::site());
    let mut app = fixtures::chat_app(APP, AGENT);
    app.access_rules = AccessRules::for_types([UserType::InternalUser]);
    p.seed_app(app, fixtures::agent(AGENT, &[]), vec![]).await;
    let app_id = fixtures::chat_app_id(APP);

    // An external user is denied, and nothing is stored.
    let err = p
        .sessions()
        .create(&fixtures::customer("alice"), &app_id)
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "not_found", "reported like an unknown app");
    assert!(p.fakes.sessions.is_empty());

    // An unknown chat app is not found.
    assert_eq!(
        code(
            p.sessions()
                .create(
                    &fixtures::user("ivan", UserType::InternalUser, Some("acme")),
                    &fixtures::chat_app_id("nope")
                )
                .await
        ),
        "not_found"
    );

    // An internal user of entity "acme" gets a session recording it.
    let ivan = fixtures::user("ivan", UserType::InternalUser, Some("acme"));
    let created = p.sessions().create(&ivan, &app_id).await.unwrap();
    assert_eq!(created.user_id.as_str(), "ivan");
    assert_eq!(created.chat_app_id, app_id);
    assert_eq!(created.agent_id.as_str(), AGENT);
    assert_eq!(created.entity_id.as_str(), "acme");
    assert_eq!(created.created_at, fixtures::t0());
    assert_eq!(created.last_message_id, None);
    assert_eq!(p.fakes.sessions.find(&created.session_id).unwrap(), created);

    // A user without an entity gets the global one.
    let ines = fixtures::user("ines", UserType::InternalUser, None);
    let global = p.sessions().create(&ines, &app_id).await.unwrap();
    assert_eq!(global.entity_id, EntityId::global());
}

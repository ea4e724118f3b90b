//! Search over sessions (PIKA.md §10, §11): a user searches only what they
//! may read; admins search everyone's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::chrono::Duration;
use pika_domain::ids::SessionId;
use pika_domain::user::{User, UserType};
use pika_ports::{Clock, PageRequest, SearchHit, SearchQuery, SearchSort};
use pika_service::search::MAX_QUERY_CHARS;
use pika_service::{SendMessage, ServiceError, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use std::collections::BTreeSet;
use std::fmt::Debug;
use support::*;

fn code<T: Debug>(result: Result<T, ServiceError>) -> &'static str {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code(),
    }
}

async fn chat_in(p: &Platform, app: &str, user: &User, text: &str, answer: &str) -> SessionId {
    p.fakes.runtime.push(Script::answer(answer));
    let (stream, _) = p
        .send(
            user,
            SendMessage::new(TurnTarget::NewSession(fixtures::chat_app_id(app)), text),
        )
        .await;
    stream.session_id
}

fn query(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.to_string(),
        ..SearchQuery::default()
    }
}

fn sessions_of(hits: &[SearchHit]) -> BTreeSet<SessionId> {
    hits.iter().map(|h| h.document.session_id).collect()
}

fn owners_of(hits: &[SearchHit]) -> BTreeSet<String> {
    hits.iter()
        .map(|h| h.document.user_id.to_string())
        .collect()
}

struct World {
    p: Platform,
    alice: User,
    bob: User,
    alice_support: SessionId,
    alice_billing: SessionId,
    bob_support: SessionId,
    eve_support: SessionId,
}

/// Alice (acme) in two apps, Bob (acme) and Eve (globex) in `support`, all
/// talking about invoices.
async fn world() -> World {
    let p = Platform::standard().await;
    p.seed_app(
        fixtures::chat_app("billing", AGENT),
        fixtures::agent(AGENT, &[]),
        vec![],
    )
    .await;
    let alice = fixtures::customer("alice");
    let bob = fixtures::customer("bob");
    let eve = fixtures::user("eve", UserType::ExternalUser, Some("globex"));
    let alice_support = chat_in(&p, APP, &alice, "My invoice is missing", "Here it is.").await;
    p.fakes.clock.advance(Duration::hours(1));
    let alice_billing = chat_in(
        &p,
        "billing",
        &alice,
        "Invoice total looks wrong",
        "Let me check.",
    )
    .await;
    p.fakes.clock.advance(Duration::hours(1));
    let bob_support = chat_in(&p, APP, &bob, "Secret invoice of Bob", "Noted.").await;
    p.fakes.clock.advance(Duration::hours(1));
    let eve_support = chat_in(&p, APP, &eve, "Eve's invoice question", "Answered.").await;
    World {
        p,
        alice,
        bob,
        alice_support,
        alice_billing,
        bob_support,
        eve_support,
    }
}

#[tokio::test]
async fn a_user_only_finds_their_own_sessions_whatever_they_ask_for() {
    let w = world().await;
    let s = w.p.search();

    let own = s
        .search(&w.alice, query("invoice"), PageRequest::first(20))
        .await
        .unwrap();
    assert_eq!(
        sessions_of(&own.items),
        BTreeSet::from([w.alice_support, w.alice_billing])
    );

    // Asking for Bob's sessions still returns only Alice's.
    let mut spying = query("invoice");
    spying.user_id = Some(fixtures::user_id("bob"));
    let spied = s
        .search(&w.alice, spying, PageRequest::first(20))
        .await
        .unwrap();
    assert_eq!(
        owners_of(&spied.items),
        BTreeSet::from(["alice".to_string()])
    );
    assert!(!sessions_of(&spied.items).contains(&w.bob_support));

    // Words only Bob's session has find nothing for Alice.
    let secret = s
        .search(&w.alice, query("secret"), PageRequest::first(20))
        .await
        .unwrap();
    assert!(secret.items.is_empty());
    let bobs = s
        .search(&w.bob, query("secret"), PageRequest::first(20))
        .await
        .unwrap();
    assert_eq!(sessions_of(&bobs.items), BTreeSet::from([w.bob_support]));
}

#[tokio::test]
async fn admins_find_everyones_sessions_and_may_narrow_to_one_user() {
    let w = world().await;
    let s = w.p.search();
    for admin in [
        fixtures::site_admin("root"),
        fixtures::content_admin("carol"),
    ] {
        let all = s
            .search(&admin, query("invoice"), PageRequest::first(20))
            .await
            .unwrap();
        assert_eq!(
            sessions_of(&all.items),
            BTreeSet::from([
                w.alice_support,
                w.alice_billing,
                w.bob_support,
                w.eve_support
            ]),
            "{}",
            admin.user_id
        );

        let mut bobs = query("invoice");
        bobs.user_id = Some(fixtures::user_id("bob"));
        let only_bob = s
            .search(&admin, bobs, PageRequest::first(20))
            .await
            .unwrap();
        assert_eq!(
            sessions_of(&only_bob.items),
            BTreeSet::from([w.bob_support])
        );

        let mut globex = query("invoice");
        globex.entity_id = Some(fixtures::entity_id("globex"));
        let only_eve = s
            .search(&admin, globex, PageRequest::first(20))
            .await
            .unwrap();
        assert_eq!(
            sessions_of(&only_eve.items),
            BTreeSet::from([w.eve_support])
        );
    }
}

#[tokio::test]
async fn results_are_filtered_by_chat_app_and_date_and_sorted() {
    let w = world().await;
    let s = w.p.search();

    let mut billing = query("invoice");
    billing.chat_app_id = Some(fixtures::chat_app_id("billing"));
    let hits = s
        .search(&w.alice, billing, PageRequest::first(20))
        .await
        .unwrap();
    assert_eq!(sessions_of(&hits.items), BTreeSet::from([w.alice_billing]));
    assert!(hits.items[0].snippet.to_lowercase().contains("invoice"));

    // Between t0 + 30 min and t0 + 90 min: only Alice's billing turn.
    let mut window = query("invoice");
    window.from = Some(fixtures::t0() + Duration::minutes(30));
    window.to = Some(fixtures::t0() + Duration::minutes(90));
    let root = fixtures::site_admin("root");
    let in_window = s
        .search(&root, window, PageRequest::first(20))
        .await
        .unwrap();
    assert_eq!(
        sessions_of(&in_window.items),
        BTreeSet::from([w.alice_billing])
    );

    let mut newest = query("invoice");
    newest.sort = SearchSort::Newest;
    let ordered = s
        .search(&root, newest, PageRequest::first(2))
        .await
        .unwrap();
    let first_two: Vec<SessionId> = ordered
        .items
        .iter()
        .map(|h| h.document.session_id)
        .collect();
    assert_eq!(first_two, vec![w.eve_support, w.bob_support]);
    let mut rest = query("invoice");
    rest.sort = SearchSort::Newest;
    let next = s
        .search(&root, rest, PageRequest::after(2, ordered.next_cursor))
        .await
        .unwrap();
    let last_two: Vec<SessionId> = next.items.iter().map(|h| h.document.session_id).collect();
    assert_eq!(last_two, vec![w.alice_billing, w.alice_support]);
}

#[tokio::test]
async fn an_inverted_date_range_finds_nothing_and_an_oversized_query_is_invalid() {
    let w = world().await;
    let s = w.p.search();
    let now = w.p.fakes.clock.now();

    // The same query over a range that holds it finds it; inverted, nothing.
    let mut around = query("invoice");
    around.from = Some(now - Duration::days(365));
    around.to = Some(now + Duration::days(1));
    let found = s
        .search(&w.alice, around.clone(), PageRequest::first(10))
        .await;
    assert!(!found.expect("a valid range is searched").items.is_empty());
    let mut inverted = around;
    std::mem::swap(&mut inverted.from, &mut inverted.to);
    let page = s.search(&w.alice, inverted, PageRequest::first(10)).await;
    let page = page.expect("an inverted range is no error");
    assert!(page.items.is_empty() && page.next_cursor.is_none());

    let long = "a".repeat(MAX_QUERY_CHARS + 1);
    assert_eq!(
        code(
            s.search(&w.alice, query(&long), PageRequest::first(10))
                .await
        ),
        "invalid_request"
    );
    // The limit itself is accepted (and simply finds nothing).
    let at_limit = "a".repeat(MAX_QUERY_CHARS);
    assert!(s
        .search(&w.alice, query(&at_limit), PageRequest::first(10))
        .await
        .unwrap()
        .items
        .is_empty());
}

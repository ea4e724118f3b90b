//! What refuses a turn before it starts, idempotent retries, quotas and
//! resuming a stream (PIKA.md §7).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use futures::StreamExt;
use pika_domain::access::AccessRules;
use pika_domain::cost::Usage;
use pika_domain::ids::ClientMessageId;
use pika_domain::quota::{QuotaLimits, QuotaScope};
use pika_domain::stream::TurnEvent;
use pika_domain::user::UserType;
use pika_ports::{ErrorKind, UsageLedger, UsageRecord};
use pika_service::{SendMessage, ServiceError, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use std::time::Duration;
use support::*;

fn new_session(text: &str) -> SendMessage {
    SendMessage::new(TurnTarget::NewSession(fixtures::chat_app_id(APP)), text)
}

fn nothing_stored(p: &Platform) {
    assert!(p.fakes.sessions.is_empty(), "no session stored");
    assert!(p.fakes.messages.is_empty(), "no message stored");
}

#[tokio::test]
async fn access_denied_refuses_before_anything_is_stored() {
    let p = Platform::with_site(fixtures::site());
    let mut app = fixtures::chat_app(APP, AGENT);
    app.access_rules = AccessRules::for_types([UserType::InternalUser]);
    p.seed_app(app, fixtures::agent(AGENT, &[]), vec![]).await;

    let err = p
        .chat
        .send(&fixtures::customer("alice"), new_session("hi"))
        .await
        .err()
        .unwrap();

    // Reported exactly like an unknown chat app: existence does not leak.
    assert_eq!(err.code(), "not_found");
    assert_eq!(err.public_message(), format!("chat app {APP} not found"));
    assert_eq!(p.fakes.runtime.calls(), 0);
    nothing_stored(&p);
}

#[tokio::test]
async fn unknown_chat_apps_and_other_users_sessions_are_not_found() {
    let p = Platform::standard().await;
    let err = p
        .chat
        .send(
            &fixtures::customer("alice"),
            SendMessage::new(TurnTarget::NewSession(fixtures::chat_app_id("nope")), "hi"),
        )
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "not_found");

    p.fakes.runtime.push(Script::answer("hello"));
    let (alices, _) = p.first_turn(&fixtures::customer("alice"), "hi").await;
    let err = p
        .chat
        .send(
            &fixtures::customer("mallory"),
            SendMessage::new(TurnTarget::Session(alices.session_id), "let me in"),
        )
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.code(),
        "not_found",
        "another user's session does not leak"
    );
    assert_eq!(p.fakes.messages.of_session(&alices.session_id).len(), 2);
}

#[tokio::test]
async fn a_content_admin_may_read_but_never_post() {
    let p = Platform::standard().await;
    p.fakes.runtime.push(Script::answer("hello"));
    let (alices, _) = p.first_turn(&fixtures::customer("alice"), "hi").await;
    let admin = fixtures::content_admin("carol");

    let err = p
        .chat
        .send(
            &admin,
            SendMessage::new(TurnTarget::Session(alices.session_id), "I am posting"),
        )
        .await
        .err()
        .unwrap();

    assert_eq!(err.code(), "forbidden");
    assert_eq!(p.fakes.messages.of_session(&alices.session_id).len(), 2);
    // Reading is fine.
    let session = p.sessions().get(&admin, &alices.session_id).await.unwrap();
    assert_eq!(session.user_id.as_str(), "alice");
}

#[tokio::test]
async fn empty_and_oversized_messages_are_refused() {
    let p = Platform::standard().await;
    for text in ["", "   \n", &"x".repeat(40_000), "nul\0byte"] {
        let err = p
            .chat
            .send(&fixtures::customer("alice"), new_session(text))
            .await
            .err()
            .unwrap();
        assert_eq!(err.code(), "invalid_request", "{text:?}");
    }
    nothing_stored(&p);
}

#[tokio::test]
async fn a_retried_completed_turn_is_replayed_with_the_same_ids() {
    let p = Platform::standard().await;
    p.fakes.runtime.push(Script::answer("Only once."));
    let alice = fixtures::customer("alice");
    let cid = ClientMessageId::parse("client-1").unwrap();

    let (first, first_events) = p
        .send(&alice, new_session("Hi").with_client_id(cid.clone()))
        .await;
    let (again, again_events) = p
        .send(&alice, new_session("Hi").with_client_id(cid.clone()))
        .await;

    assert!(!first.replayed);
    assert!(again.replayed);
    assert_eq!(again.session_id, first.session_id, "never a second session");
    assert_eq!(again.user_message_id, first.user_message_id);
    assert_eq!(again.assistant_message_id, first.assistant_message_id);
    assert_eq!(again_events, first_events);
    assert_eq!(p.fakes.runtime.calls(), 1, "no second model call");
    assert_eq!(p.fakes.sessions.len(), 1);
    assert_eq!(p.fakes.messages.len(), 2, "never a second message");

    // The same client id from another user is another request.
    p.fakes.runtime.push(Script::answer("Bob's answer."));
    let (bobs, _) = p
        .send(
            &fixtures::customer("bob"),
            new_session("Hi").with_client_id(cid),
        )
        .await;
    assert_ne!(bobs.session_id, first.session_id);
}

#[tokio::test]
async fn a_retry_while_the_turn_runs_is_a_conflict() {
    let p = Platform::standard().await;
    p.fakes.runtime.push(Script::new().delta("thinking").hang());
    let alice = fixtures::customer("alice");
    let cid = ClientMessageId::parse("client-2").unwrap();
    let running = p
        .chat
        .send(&alice, new_session("Hi").with_client_id(cid.clone()))
        .await
        .unwrap();

    let err = p
        .chat
        .send(&alice, new_session("Hi").with_client_id(cid))
        .await
        .err()
        .unwrap();

    assert_eq!(err.code(), "conflict");
    assert_eq!(p.fakes.sessions.len(), 1);
    assert_eq!(p.fakes.messages.len(), 1, "only the first user message");
    // A second message into the same running session is refused too.
    let err = p
        .chat
        .send(
            &alice,
            SendMessage::new(TurnTarget::Session(running.session_id), "another"),
        )
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "conflict");
    p.chat.stop(&alice, &running.session_id).await.unwrap();
    assert!(p.chat.drain(Duration::from_secs(5)).await);
}

#[tokio::test]
async fn a_used_up_quota_refuses_the_turn_before_any_model_call() {
    let mut site = fixtures::site();
    site.quotas = QuotaLimits {
        user_tokens_per_window: Some(1_000),
        entity_tokens_per_window: None,
        window_hours: Some(24),
    };
    let p = Platform::with_site(site);
    p.seed_app(
        fixtures::chat_app(APP, AGENT),
        fixtures::agent(AGENT, &[]),
        vec![],
    )
    .await;
    p.fakes
        .usage
        .record(&UsageRecord {
            also: Vec::new(),
            counts_turn: true,
            at: fixtures::t0(),
            user_id: fixtures::user_id("alice"),
            entity_id: fixtures::entity_id("acme"),
            chat_app_id: fixtures::chat_app_id(APP),
            model_id: "m".into(),
            usage: Usage {
                input_tokens: 900,
                output_tokens: 100,
                ..Usage::default()
            },
        })
        .await
        .unwrap();

    let err = p
        .chat
        .send(&fixtures::customer("alice"), new_session("hi"))
        .await
        .err()
        .unwrap();

    match &err {
        ServiceError::QuotaExceeded(q) => {
            assert_eq!(q.scope, QuotaScope::User);
            assert_eq!(q.limit, 1_000);
            assert_eq!(q.used, 1_000);
            assert_eq!(
                q.resets_at,
                Some(fixtures::t0() + pika_domain::chrono::Duration::hours(24))
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.code(), "quota_exceeded");
    assert!(err.public_message().contains("1000 tokens per 24 hours"));
    assert_eq!(p.fakes.runtime.calls(), 0, "no model call");
    nothing_stored(&p);

    // Another user of the same entity is not affected by Alice's user quota.
    p.fakes.runtime.push(Script::answer("hi"));
    p.first_turn(&fixtures::customer("bob"), "hi").await;
}

#[tokio::test]
async fn an_entity_quota_counts_every_user_of_the_tenant() {
    let p = Platform::with_site(fixtures::site());
    let mut app = fixtures::chat_app(APP, AGENT);
    app.quotas = Some(QuotaLimits {
        user_tokens_per_window: None,
        entity_tokens_per_window: Some(150),
        window_hours: Some(1),
    });
    p.seed_app(app, fixtures::agent(AGENT, &[]), vec![]).await;
    p.fakes.runtime.push(Script::answer("one")); // 120 tokens
    p.fakes.runtime.push(Script::answer("two")); // 120 more: 240 ≥ 150
    p.first_turn(&fixtures::customer("alice"), "hi").await;
    p.first_turn(&fixtures::customer("bob"), "hi").await;

    let err = p
        .chat
        .send(&fixtures::customer("carol"), new_session("hi"))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, ServiceError::QuotaExceeded(ref q) if q.scope == QuotaScope::Entity));
    // An hour later the window has moved on.
    p.fakes
        .clock
        .advance(pika_domain::chrono::Duration::hours(1));
    p.fakes.runtime.push(Script::answer("three"));
    p.first_turn(&fixtures::customer("carol"), "hi").await;
}

#[tokio::test]
async fn a_failed_user_message_write_stores_nothing_and_frees_the_client_id() {
    let p = Platform::standard().await;
    p.fakes
        .messages
        .faults()
        .fail_nth("MessageStore::put", 1, ErrorKind::Permanent);
    let alice = fixtures::customer("alice");
    let cid = ClientMessageId::parse("client-3").unwrap();

    let err = p
        .chat
        .send(&alice, new_session("hi").with_client_id(cid.clone()))
        .await
        .err()
        .unwrap();

    assert_eq!(err.code(), "internal");
    nothing_stored(&p);
    assert!(p.fakes.messages.claims().is_empty(), "the client may retry");
    p.fakes.runtime.push(Script::answer("hello"));
    let (retry, _) = p.send(&alice, new_session("hi").with_client_id(cid)).await;
    assert!(!retry.replayed);
    assert_eq!(p.fakes.messages.of_session(&retry.session_id).len(), 2);
}

#[tokio::test]
async fn a_resumed_stream_continues_exactly_after_the_last_event_seen() {
    let p = Platform::standard().await;
    p.fakes.runtime.push(
        Script::new()
            .delta("one ")
            .delta("two ")
            .delay(Duration::from_millis(30))
            .delta("three")
            .usage(5, 3)
            .complete(pika_ports::StopReason::EndTurn),
    );
    let alice = fixtures::customer("alice");
    let mut stream = p.chat.send(&alice, new_session("count")).await.unwrap();
    let mut head = Vec::new();
    for _ in 0..2 {
        head.push(stream.events.next().await.unwrap());
    }
    let last_seen = head.last().unwrap().seq;
    let session = stream.session_id;
    let answer = stream.assistant_message_id;
    drop(stream); // disconnect after two events

    let tail: Vec<_> = p
        .chat
        .events(&alice, &session, &answer, Some(last_seen))
        .await
        .unwrap()
        .collect()
        .await;
    let resumed: Vec<_> = head.into_iter().chain(tail).collect();

    let seqs: Vec<u64> = resumed.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (0..resumed.len() as u64).collect::<Vec<_>>(),
        "no gap, no repeat"
    );
    let stored = p.fakes.messages.of_session(&session).pop().unwrap();
    assert_eq!(
        resumed, stored.stream_events,
        "the concatenation equals the whole stream"
    );
    assert!(matches!(
        resumed.last().unwrap().event,
        TurnEvent::Done { .. }
    ));
    // Another user cannot resume it.
    assert!(p
        .chat
        .events(&fixtures::customer("mallory"), &session, &answer, None)
        .await
        .is_err());
}

#[tokio::test]
async fn after_shutdown_no_turn_starts_and_nothing_is_stored() {
    let p = Platform::standard().await;
    p.chat.shutdown();

    let err = p
        .chat
        .send(&fixtures::customer("alice"), new_session("hi"))
        .await
        .err()
        .unwrap();

    assert_eq!(err.code(), "model_unavailable");
    assert!(err.is_retryable());
    assert_eq!(p.fakes.runtime.calls(), 0);
    nothing_stored(&p);
}

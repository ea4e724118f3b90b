//! A panic inside a turn (a tool or model adapter, or the service itself)
//! ends that turn with an `internal` error stored as its answer, and the
//! session takes the next turn: nothing stays busy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::stream::TurnEvent;
use pika_service::{SendMessage, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::json;
use support::*;

#[tokio::test]
async fn a_panicking_tool_ends_the_turn_with_internal_and_frees_the_session() {
    let p = Platform::with_site(fixtures::site());
    p.seed_app(
        fixtures::chat_app(APP, AGENT),
        fixtures::agent(AGENT, &["boom"]),
        vec![fixtures::inline_tool("boom", "explode")],
    )
    .await;
    p.fakes
        .tool_invoker
        .on("explode", |_| panic!("a tool adapter bug"));
    p.fakes
        .runtime
        .push(Script::tool_call("t1", "explode", json!({ "query": "x" })));
    let alice = fixtures::customer("alice");

    let (stream, events) = p.first_turn(&alice, "Blow up").await;

    match events.last().unwrap() {
        TurnEvent::Error { code, message } => {
            assert_eq!(code, "internal");
            assert!(!message.contains("tool adapter bug"), "{message}");
        }
        other => panic!("the turn ended with {other:?}"),
    }
    let stored = p.fakes.messages.of_session(&stream.session_id);
    assert_eq!(stored.len(), 2, "the question and the failed answer");
    assert_eq!(stored[0].content, "Blow up");
    assert_eq!(stored[1].error.as_ref().unwrap().code, "internal");
    let session = p.fakes.sessions.find(&stream.session_id).unwrap();
    assert_eq!(session.last_message_id, Some(stream.assistant_message_id));

    // The session is free: the next turn runs.
    p.fakes.runtime.push(Script::answer("Still here."));
    let (_, events) = p
        .send(
            &alice,
            SendMessage::new(TurnTarget::Session(stream.session_id), "Again?"),
        )
        .await;
    assert!(
        matches!(events.last().unwrap(), TurnEvent::Done { .. }),
        "{events:?}"
    );
}

//! Turns written through a turn journal (the DynamoDB write path): two
//! journal calls per turn, and the same stored state as the store-by-store
//! path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::ids::ClientMessageId;
use pika_domain::message::Role;
use pika_domain::quota::QuotaScope;
use pika_ports::CompletionPurpose;
use pika_service::{SendMessage, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use support::*;

#[tokio::test]
async fn each_turn_is_one_start_and_one_finish() {
    let (p, journal) = Platform::standard_with_journal().await;
    p.fakes.runtime.push(Script::answer("Paris."));
    p.fakes.runtime.push(Script::answer("About two million."));
    p.fakes.completions.push(CompletionPurpose::Title, "Paris");
    let alice = fixtures::customer("alice");

    let (first, events) = p.first_turn(&alice, "Capital of France?").await;
    assert_eq!(text_of(&events), "Paris.");
    assert_eq!(journal.calls(), (1, 1));

    let next = SendMessage::new(TurnTarget::Session(first.session_id), "How many people?");
    let (second, events) = p.send(&alice, next).await;
    assert_eq!(text_of(&events), "About two million.");
    assert_eq!(second.session_id, first.session_id);
    assert_eq!(journal.calls(), (2, 2));

    let stored = p.fakes.messages.of_session(&first.session_id);
    let roles: Vec<Role> = stored.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::User, Role::Assistant, Role::User, Role::Assistant]
    );
    let session = p.fakes.sessions.find(&first.session_id).unwrap();
    assert_eq!(session.last_message_id, Some(second.assistant_message_id));
    let answers: u64 = stored
        .iter()
        .filter_map(|m| m.usage)
        .map(|u| u.input_tokens + u.output_tokens)
        .sum();
    assert_eq!(
        session.usage.input_tokens + session.usage.output_tokens,
        answers
    );
    assert_eq!(
        p.fakes.usage.total_tokens(QuotaScope::User, "alice"),
        answers
    );
}

#[tokio::test]
async fn a_retried_turn_is_replayed_without_a_second_finish() {
    let (p, journal) = Platform::standard_with_journal().await;
    p.fakes.runtime.push(Script::answer("Only once."));
    let alice = fixtures::customer("alice");
    let cid = ClientMessageId::parse("client-1").unwrap();
    let new = || {
        SendMessage::new(TurnTarget::NewSession(fixtures::chat_app_id(APP)), "Hi")
            .with_client_id(cid.clone())
    };

    let (first, first_events) = p.send(&alice, new()).await;
    let (again, again_events) = p.send(&alice, new()).await;

    assert!(again.replayed);
    assert_eq!(again.assistant_message_id, first.assistant_message_id);
    assert_eq!(again_events, first_events);
    assert_eq!(
        journal.calls(),
        (2, 1),
        "the retry's start finds the claim and writes nothing"
    );
    assert_eq!(p.fakes.sessions.len(), 1);
    assert_eq!(p.fakes.messages.len(), 2);
}

//! A turn whose process died (crash, out-of-memory kill, a Lambda container
//! gone) leaves its hold on the session, a claimed client id, a stored
//! question and no answer. A retry of the same client message is refused
//! while the hold may still be renewed; once it ran out the retry closes the
//! abandoned turn (an error answer, so the session reads as it happened) and
//! starts afresh.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::chrono::Duration;
use pika_domain::ids::ClientMessageId;
use pika_domain::message::{Message, Role};
use pika_domain::session::Session;
use pika_domain::stream::TurnEvent;
use pika_ports::{ClaimOutcome, IdGeneratorExt, Ports, TurnClaim, TurnLease};
use pika_service::{ChatService, ConfigCache, SendMessage, ServiceError, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use std::sync::Arc;
use support::*;

/// What a process that died mid-turn leaves in the stores.
async fn crashed_turn(ports: &Ports, client: &ClientMessageId) -> TurnClaim {
    let alice = fixtures::customer("alice");
    let now = ports.clock.now();
    let session = Session::new(
        ports.ids.session_id(),
        alice.user_id.clone(),
        fixtures::chat_app_id(APP),
        fixtures::agent_id(AGENT),
        fixtures::entity_id("acme"),
        now,
    );
    ports.sessions.create(&session).await.unwrap();
    let claim = TurnClaim {
        session_id: session.session_id,
        user_message_id: ports.ids.message_id(),
        assistant_message_id: ports.ids.message_id(),
        claimed_at: now,
    };
    let outcome = ports
        .messages
        .claim_client_message(&alice.user_id, client, &claim)
        .await
        .unwrap();
    assert!(matches!(outcome, ClaimOutcome::Claimed));
    let question = Message::user(
        session.session_id,
        claim.user_message_id,
        "Hello?".into(),
        now,
    );
    ports.messages.put(&question).await.unwrap();
    // The hold it took first and renewed until it died.
    let lease = TurnLease {
        session_id: session.session_id,
        assistant_message_id: claim.assistant_message_id,
        expires_at: now + Duration::seconds(30),
    };
    ports.turns.begin(&lease, now).await.unwrap();
    claim
}

async fn retried_after_a_crash(p: Platform) {
    let client = ClientMessageId::parse("crash-1").unwrap();
    let claim = crashed_turn(&p.ports, &client).await;
    // Another process (its own registry of running turns) gets the retry.
    let other = ChatService::new(
        p.ports.clone(),
        p.settings.clone(),
        Arc::new(ConfigCache::new(p.ports.clone(), p.settings.config_ttl)),
    );
    let alice = fixtures::customer("alice");
    let retry = || {
        SendMessage::new(TurnTarget::Session(claim.session_id), "Hello?")
            .with_client_id(client.clone())
    };

    // While its hold lasts the turn may still be running somewhere: conflict.
    p.fakes.clock.advance(Duration::seconds(10));
    assert!(matches!(
        other.send(&alice, retry()).await,
        Err(ServiceError::Conflict(_))
    ));

    // Past it, the abandoned turn is closed and the message answered afresh.
    p.fakes.clock.advance(Duration::seconds(25));
    p.fakes.runtime.push(Script::answer("Hello again."));
    let mut stream = other.send(&alice, retry()).await.unwrap();
    assert!(!stream.replayed);
    assert_ne!(stream.assistant_message_id, claim.assistant_message_id);
    let events = collect(&mut stream).await;
    assert!(
        matches!(events.last().unwrap(), TurnEvent::Done { .. }),
        "{events:?}"
    );

    let stored = p.fakes.messages.of_session(&claim.session_id);
    let roles: Vec<Role> = stored.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::User, Role::Assistant, Role::User, Role::Assistant],
        "{stored:?}"
    );
    assert_eq!(stored[1].message_id, claim.assistant_message_id);
    assert_eq!(stored[1].error.as_ref().unwrap().code, "internal");
    assert_eq!(stored[3].content, "Hello again.");

    // The client id now names the new turn: a further retry replays it.
    let mut replay = other.send(&alice, retry()).await.unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.assistant_message_id, stream.assistant_message_id);
    let replayed = collect(&mut replay).await;
    assert!(matches!(replayed.last().unwrap(), TurnEvent::Done { .. }));
}

#[tokio::test]
async fn a_crashed_turns_client_id_can_be_retried_once_its_hold_ran_out() {
    retried_after_a_crash(Platform::standard().await).await;
}

#[tokio::test]
async fn the_same_with_a_turn_journal() {
    let (p, _journal) = Platform::standard_with_journal().await;
    retried_after_a_crash(p).await;
}

//! The [`TurnControl`] contract suite.

// Contract suites are tests: a failed expectation panics with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::fakes::clock::SequentialIds;
use crate::fixtures::t0;
use pika_domain::chrono::{DateTime, Duration, Utc};
use pika_domain::stream::{SequencedEvent, TurnEvent};
use pika_ports::{ErrorKind, IdGeneratorExt, TurnControl, TurnLease};
use std::future::Future;

/// Checks the whole [`TurnControl`] contract. `make` must give a fresh,
/// empty, isolated store on every call; each case uses its own.
pub async fn turn_control_contract<S, F, Fut>(make: F)
where
    S: TurnControl,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    one_turn_holds_a_session_until_it_ends(&make().await).await;
    an_expired_lease_frees_the_session(&make().await).await;
    stop_reaches_the_holder_only(&make().await).await;
    events_are_followed_in_order(&make().await).await;
    answers_reach_the_running_turn_only(&make().await).await;
}

fn lease(
    ids: &SequentialIds,
    session: pika_domain::ids::SessionId,
    until: DateTime<Utc>,
) -> TurnLease {
    TurnLease {
        session_id: session,
        assistant_message_id: ids.message_id(),
        expires_at: until,
    }
}

fn delta(seq: u64, text: &str) -> SequencedEvent {
    SequencedEvent {
        seq,
        event: TurnEvent::Delta {
            text: text.to_string(),
        },
    }
}

async fn one_turn_holds_a_session_until_it_ends<S: TurnControl>(store: &S) {
    let ids = SequentialIds::new();
    let now = t0();
    let session = ids.session_id();
    let first = lease(&ids, session, now + Duration::seconds(30));
    store.begin(&first, now).await.expect("the first turn");
    store
        .begin(&first, now)
        .await
        .expect("beginning the same turn again is idempotent");
    let second = lease(&ids, session, now + Duration::seconds(30));
    let err = store.begin(&second, now).await.expect_err("a second turn");
    assert_eq!(err.kind, ErrorKind::Conflict, "{err}");
    let other = lease(&ids, ids.session_id(), now + Duration::seconds(30));
    store
        .begin(&other, now)
        .await
        .expect("another session is free");

    store
        .end(&session, &second.assistant_message_id)
        .await
        .expect("ending a turn that does not hold the session succeeds");
    assert!(
        store.begin(&second, now).await.is_err(),
        "and frees nothing"
    );
    store
        .end(&session, &first.assistant_message_id)
        .await
        .unwrap();
    store
        .begin(&second, now)
        .await
        .expect("free once the first ended");
    let err = store
        .heartbeat(&first, &[])
        .await
        .expect_err("the ended turn's heartbeat");
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
}

async fn an_expired_lease_frees_the_session<S: TurnControl>(store: &S) {
    let ids = SequentialIds::new();
    let now = t0();
    let session = ids.session_id();
    let mut dead = lease(&ids, session, now + Duration::seconds(30));
    store.begin(&dead, now).await.unwrap();
    dead.expires_at = now + Duration::seconds(60);
    store.heartbeat(&dead, &[]).await.expect("a renewal");
    let later = now + Duration::seconds(45);
    let next = lease(&ids, session, later + Duration::seconds(30));
    assert!(
        store.begin(&next, later).await.is_err(),
        "the renewed lease holds at 45 s"
    );
    let after = now + Duration::seconds(61);
    let next = lease(&ids, session, after + Duration::seconds(30));
    store
        .begin(&next, after)
        .await
        .expect("past the lease another turn takes the session");
    let err = store
        .heartbeat(&dead, &[])
        .await
        .expect_err("the dead turn");
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    // A stop now reaches the new holder.
    assert!(store.request_stop(&session, after).await.unwrap());
    assert!(store.heartbeat(&next, &[]).await.unwrap());
}

async fn stop_reaches_the_holder_only<S: TurnControl>(store: &S) {
    let ids = SequentialIds::new();
    let now = t0();
    let session = ids.session_id();
    assert!(
        !store.request_stop(&session, now).await.unwrap(),
        "no turn holds it"
    );
    let turn = lease(&ids, session, now + Duration::seconds(30));
    store.begin(&turn, now).await.unwrap();
    assert!(!store.heartbeat(&turn, &[]).await.unwrap(), "not asked yet");
    assert!(store.request_stop(&session, now).await.unwrap());
    assert!(store.heartbeat(&turn, &[]).await.unwrap(), "asked");
    assert!(
        !store
            .request_stop(&session, now + Duration::seconds(31))
            .await
            .unwrap(),
        "an expired hold is no running turn"
    );
    store
        .end(&session, &turn.assistant_message_id)
        .await
        .unwrap();
    assert!(!store.request_stop(&session, now).await.unwrap());
}

async fn events_are_followed_in_order<S: TurnControl>(store: &S) {
    let ids = SequentialIds::new();
    let now = t0();
    let session = ids.session_id();
    let turn = lease(&ids, session, now + Duration::seconds(30));
    let message = turn.assistant_message_id;
    assert_eq!(
        store.progress(&session, &message, None, now).await.unwrap(),
        None,
        "not running"
    );
    store.begin(&turn, now).await.unwrap();
    let empty = store
        .progress(&session, &message, None, now)
        .await
        .unwrap()
        .unwrap();
    assert!(empty.events.is_empty() && empty.running);
    store
        .heartbeat(&turn, &[delta(0, "a"), delta(1, "b")])
        .await
        .unwrap();
    store.heartbeat(&turn, &[delta(2, "c")]).await.unwrap();
    let all = store
        .progress(&session, &message, None, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        all.events,
        vec![delta(0, "a"), delta(1, "b"), delta(2, "c")]
    );
    let tail = store
        .progress(&session, &message, Some(0), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tail.events, vec![delta(1, "b"), delta(2, "c")]);
    let other = ids.message_id();
    assert_eq!(
        store.progress(&session, &other, None, now).await.unwrap(),
        None,
        "another answer of the session"
    );
    let expired = store
        .progress(&session, &message, Some(2), now + Duration::seconds(31))
        .await
        .unwrap()
        .unwrap();
    assert!(expired.events.is_empty() && !expired.running);
    store.end(&session, &message).await.unwrap();
    assert_eq!(
        store.progress(&session, &message, None, now).await.unwrap(),
        None,
        "ended"
    );
}

async fn answers_reach_the_running_turn_only<S: TurnControl>(store: &S) {
    let ids = SequentialIds::new();
    let now = t0();
    let session = ids.session_id();
    assert!(
        !store.decide(&session, "call-1", true, now).await.unwrap(),
        "no turn holds the session: nobody to answer"
    );
    let first = lease(&ids, session, now + Duration::seconds(30));
    let message = first.assistant_message_id;
    store.begin(&first, now).await.unwrap();
    assert_eq!(
        store.decision(&session, &message, "call-1").await.unwrap(),
        None,
        "an answer given before the turn does not count"
    );
    assert!(store.decide(&session, "call-1", false, now).await.unwrap());
    assert!(
        store.decide(&session, "call-1", true, now).await.unwrap(),
        "a second answer is accepted"
    );
    assert_eq!(
        store.decision(&session, &message, "call-1").await.unwrap(),
        Some(false),
        "but the first one stands"
    );
    assert!(store.decide(&session, "call-2", true, now).await.unwrap());
    assert_eq!(
        store.decision(&session, &message, "call-2").await.unwrap(),
        Some(true)
    );
    assert_eq!(
        store
            .decision(&session, &ids.message_id(), "call-2")
            .await
            .unwrap(),
        None,
        "another turn's answers are not this one's"
    );
    // The heartbeat keeps the answers.
    store.heartbeat(&first, &[delta(0, "a")]).await.unwrap();
    assert_eq!(
        store.decision(&session, &message, "call-2").await.unwrap(),
        Some(true)
    );

    // A lease that ran out takes no answers; the next turn starts with none.
    let later = now + Duration::seconds(31);
    assert!(!store.decide(&session, "call-3", true, later).await.unwrap());
    store.end(&session, &message).await.unwrap();
    let second = lease(&ids, session, later + Duration::seconds(30));
    store.begin(&second, later).await.unwrap();
    assert_eq!(
        store
            .decision(&session, &second.assistant_message_id, "call-1")
            .await
            .unwrap(),
        None
    );
}

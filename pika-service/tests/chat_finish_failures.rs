//! A turn whose answer cannot be stored as it is: deleted under it, or
//! refused by the store. The tokens are always counted (no quota bypass)
//! and nothing of a deleted session is left behind; a refused answer is
//! kept shortened, with an error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::quota::QuotaScope;
use pika_domain::stream::TurnEvent;
use pika_ports::ErrorKind;
use pika_service::{SendMessage, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use std::time::Duration;
use support::*;

fn slow_answer() -> Script {
    Script::new()
        .delta("The answer begins")
        .delay(Duration::from_millis(300))
        .delta(" and ends.")
        .usage(40, 5)
        .complete(pika_ports::StopReason::EndTurn)
}

/// The tokens the turn's `usage` event reports.
fn turn_tokens(events: &[TurnEvent]) -> u64 {
    events
        .iter()
        .find_map(|e| match e {
            TurnEvent::Usage {
                input_tokens,
                output_tokens,
                ..
            } => Some(input_tokens + output_tokens),
            _ => None,
        })
        .unwrap()
}

async fn delete_during_turn(p: &Platform) {
    p.fakes.runtime.push(slow_answer());
    let alice = fixtures::customer("alice");
    let mut stream = p
        .chat
        .send(
            &alice,
            SendMessage::new(TurnTarget::NewSession(fixtures::chat_app_id(APP)), "Hi"),
        )
        .await
        .unwrap();
    // The owner deletes the session while the answer streams.
    tokio::time::sleep(Duration::from_millis(50)).await;
    p.sessions()
        .delete(&alice, &stream.session_id)
        .await
        .unwrap();
    let events = collect(&mut stream).await;

    match events.last().unwrap() {
        TurnEvent::Error { code, .. } => assert_eq!(code, "not_found"),
        other => panic!("the turn ended with {other:?}"),
    }
    assert!(p.fakes.sessions.find(&stream.session_id).is_none());
    assert!(
        p.fakes.messages.of_session(&stream.session_id).is_empty(),
        "no message outlives the session"
    );
    assert!(
        p.fakes.search.documents().is_empty(),
        "no search document outlives it"
    );
    let used = turn_tokens(&events);
    assert!(used >= 45, "{events:?}");
    assert_eq!(
        p.fakes.usage.total_tokens(QuotaScope::User, "alice"),
        used,
        "the turn's tokens are counted all the same"
    );
    assert_eq!(p.fakes.usage.total_tokens(QuotaScope::Entity, "acme"), used);
}

#[tokio::test]
async fn deleting_the_session_during_a_turn_keeps_nothing_and_counts_the_tokens() {
    delete_during_turn(&Platform::standard().await).await;
}

#[tokio::test]
async fn the_same_with_a_turn_journal() {
    let (p, _journal) = Platform::standard_with_journal().await;
    delete_during_turn(&p).await;
}

#[tokio::test]
async fn a_refused_answer_is_kept_shortened_with_an_error_and_counted() {
    let p = Platform::standard().await;
    p.fakes.runtime.push(Script::answer("A long answer."));
    // The first put is the user's message; the second, the whole answer, is
    // refused as a store refuses an item that is too large.
    p.fakes
        .messages
        .faults()
        .fail_nth("MessageStore::put", 2, ErrorKind::Permanent);
    let alice = fixtures::customer("alice");

    let (stream, events) = p.first_turn(&alice, "Tell me").await;

    match events.last().unwrap() {
        TurnEvent::Error { code, .. } => assert_eq!(code, "internal"),
        other => panic!("the turn ended with {other:?}"),
    }
    let stored = p.fakes.messages.of_session(&stream.session_id);
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert_eq!(stored[1].content, "A long answer.");
    assert!(stored[1].stream_events.is_empty());
    assert_eq!(stored[1].error.as_ref().unwrap().code, "internal");
    assert_eq!(
        p.fakes.usage.total_tokens(QuotaScope::User, "alice"),
        turn_tokens(&events)
    );
    let session = p.fakes.sessions.find(&stream.session_id).unwrap();
    assert_eq!(session.last_message_id, Some(stream.assistant_message_id));

    // The session takes the next turn.
    p.fakes.runtime.push(Script::answer("Next."));
    let (_, events) = p
        .send(
            &alice,
            SendMessage::new(TurnTarget::Session(stream.session_id), "Again"),
        )
        .await;
    assert!(matches!(events.last().unwrap(), TurnEvent::Done { .. }));
}

#[tokio::test]
async fn when_nothing_can_be_stored_the_tokens_are_still_counted() {
    let p = Platform::standard().await;
    p.fakes.runtime.push(Script::answer("Lost."));
    p.fakes
        .messages
        .faults()
        .fail_nth("MessageStore::put", 2, ErrorKind::Permanent);
    p.fakes
        .messages
        .faults()
        .fail_nth("MessageStore::put", 3, ErrorKind::Permanent);
    let (_, events) = p.first_turn(&fixtures::customer("alice"), "Hm").await;
    assert!(matches!(events.last().unwrap(), TurnEvent::Error { code, .. } if code == "internal"));
    assert_eq!(
        p.fakes.usage.total_tokens(QuotaScope::User, "alice"),
        turn_tokens(&events)
    );
}

// Paused time: the clock jumps over every wait, so this measures which
// wait the turn took (the 2 s bound, not the index's 30 s), not speed.
#[tokio::test(start_paused = true)]
async fn a_slow_search_index_does_not_hold_the_final_event() {
    let p = Platform::standard().await;
    p.fakes
        .search
        .faults()
        .delay("SearchIndex::index", Duration::from_secs(30));
    p.fakes.runtime.push(Script::answer("Quick."));
    let started = tokio::time::Instant::now();
    let (stream, events) = p.first_turn(&fixtures::customer("alice"), "Hi").await;
    assert!(matches!(events.last().unwrap(), TurnEvent::Done { .. }));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "done came after {:?}",
        started.elapsed()
    );
    // The answer itself was stored before.
    assert_eq!(p.fakes.messages.of_session(&stream.session_id).len(), 2);
}

// Paused time, as above: which event came before which write is what counts.
#[tokio::test(start_paused = true)]
async fn done_comes_before_the_search_write_and_the_stream_closes_after_it() {
    use futures::StreamExt;
    let p = Platform::standard().await;
    p.fakes
        .search
        .faults()
        .delay("SearchIndex::index", Duration::from_millis(500));
    p.fakes.runtime.push(Script::answer("Indexed later."));
    let mut stream = p
        .chat
        .send(
            &fixtures::customer("alice"),
            SendMessage::new(TurnTarget::NewSession(fixtures::chat_app_id(APP)), "Hi"),
        )
        .await
        .unwrap();
    let mut saw_done = false;
    while let Some(e) = stream.events.next().await {
        if matches!(e.event, TurnEvent::Done { .. }) {
            saw_done = true;
            // The reader has its answer while the index is still writing.
            assert!(p.fakes.search.documents().is_empty());
            assert_eq!(p.fakes.messages.of_session(&stream.session_id).len(), 2);
        }
    }
    assert!(saw_done);
    // Read to its end, the stream has waited for the search write.
    assert_eq!(p.fakes.search.documents().len(), 1);
}

#[tokio::test]
async fn erasing_the_user_during_a_turn_keeps_nothing_of_it_and_counts_the_tokens() {
    let p = Platform::standard().await;
    p.fakes.runtime.push(slow_answer());
    let alice = fixtures::customer("alice");
    let mut stream = p
        .chat
        .send(
            &alice,
            SendMessage::new(TurnTarget::NewSession(fixtures::chat_app_id(APP)), "Hi"),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    p.cleanup()
        .erase_user(&fixtures::site_admin("root"), &alice.user_id)
        .await
        .unwrap();
    let events = collect(&mut stream).await;

    // The erasure stops the user's turns and waits for them to end, so
    // their answers and counts land before it deletes them.
    assert!(
        matches!(events.last().unwrap(), TurnEvent::Done { .. }),
        "{events:?}"
    );
    assert!(p.fakes.sessions.find(&stream.session_id).is_none());
    assert!(p.fakes.messages.of_session(&stream.session_id).is_empty());
    assert!(p.fakes.search.documents().is_empty());
    // The entity's quota still sees the turn (no bypass by erasure); the
    // erased user's own counters are gone and stay gone.
    assert_eq!(
        p.fakes.usage.total_tokens(QuotaScope::Entity, "acme"),
        turn_tokens(&events)
    );
    assert_eq!(p.fakes.usage.total_tokens(QuotaScope::User, "alice"), 0);
}

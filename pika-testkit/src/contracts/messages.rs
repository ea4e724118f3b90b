//! The [`MessageStore`] contract suite: conditional puts, oldest-first pages,
//! the latest messages, deletion by session, and client-message claims.

// Contract suites are tests: a failed expectation panics with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::contracts::store_support::{assert_foreign_cursors_refused, assert_kind, collect_pages};
use crate::fakes::clock::SequentialIds;
use crate::fixtures::{t0, user_id};
use pika_domain::chrono::Duration;
use pika_domain::ids::{ClientMessageId, MessageId, SessionId};
use pika_domain::message::Message;
use pika_ports::{ClaimOutcome, ErrorKind, IdGeneratorExt, MessageStore, PageRequest, TurnClaim};
use std::future::Future;

/// Checks the whole [`MessageStore`] contract. `make` must give a fresh,
/// empty, isolated store on every call; each case uses its own.
pub async fn message_store_contract<S, F, Fut>(make: F)
where
    S: MessageStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    put_then_get(&make().await).await;
    any_tool_json_round_trips(&make().await).await;
    a_large_answer_is_stored_whole(&make().await).await;
    a_message_past_the_limit_is_refused(&make().await).await;
    put_conflicts_and_changes_nothing(&make().await).await;
    list_oldest_first_in_pages(&make().await).await;
    latest_gives_the_newest_oldest_first(&make().await).await;
    delete_session_is_idempotent(&make().await).await;
    claims_are_conditional_and_per_user(&make().await).await;
    concurrent_claims_have_one_winner(&make().await).await;
}

/// A tool may send any JSON: numbers far past 64-bit floats' everyday
/// range and documents nested deeper than some databases allow come back
/// exactly as stored, in the tool call and in the stream events.
async fn any_tool_json_round_trips<S: MessageStore>(store: &S) {
    use pika_domain::message::ToolCallRecord;
    use pika_domain::stream::{SequencedEvent, TurnEvent};
    use serde_json::json;
    let deep = (0..45).fold(json!("bottom"), |inner, _| json!({ "down": inner }));
    let ids = SequentialIds::new();
    let mut answer = Message::assistant(ids.session_id(), ids.message_id(), t0());
    answer.content = "Dug.".to_string();
    let input =
        json!({ "huge": 1e200, "tiny": -1e-200, "digits": 12345678901234567890u64, "tree": deep });
    answer.tool_calls = vec![ToolCallRecord {
        tool_use_id: "t1".to_string(),
        tool_name: "dig".to_string(),
        input: input.clone(),
        ok: true,
        output: json!({ "echo": input }),
        duration_ms: 3,
    }];
    answer.stream_events = vec![SequencedEvent {
        seq: 0,
        event: TurnEvent::Delta {
            text: "Dug.".to_string(),
        },
    }];
    store.put(&answer).await.expect("any JSON is stored");
    let back = store
        .get(&answer.session_id, &answer.message_id)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(back, answer, "read back exactly as stored");
}

/// A long answer with large tool outputs (2 MB of text, streamed in
/// deltas, two tool outputs of 300 KB, `1e200` in a tool's input), past
/// any single-item limit of a store: stored whole, read back exactly by
/// `get`, `list` and `latest`; a conflicting write of the same id leaves
/// it intact; deleting the session removes it.
async fn a_large_answer_is_stored_whole<S: MessageStore>(store: &S) {
    use pika_domain::message::ToolCallRecord;
    use pika_domain::stream::{SequencedEvent, TurnEvent};
    use serde_json::json;
    let ids = SequentialIds::new();
    let session = ids.session_id();
    let question = Message::user(session, ids.message_id(), "Write a lot".to_string(), t0());
    let mut answer = Message::assistant(session, ids.message_id(), t0());
    let piece = "All work and no play makes Jack a dull boy. Ünïcode ✓ ".repeat(20);
    let deltas: Vec<String> = (0..2_000).map(|i| format!("{i}: {piece}")).collect();
    answer.content = deltas.concat();
    assert!(answer.content.len() > 2_000_000);
    let output = json!({ "rows": "x".repeat(300 * 1024) });
    let input = json!({ "query": "all", "huge": 1e200 });
    answer.tool_calls = (0..2)
        .map(|i| ToolCallRecord {
            tool_use_id: format!("t{i}"),
            tool_name: "fetch".to_string(),
            input: input.clone(),
            ok: true,
            output: output.clone(),
            duration_ms: 12,
        })
        .collect();
    answer.stream_events = deltas
        .iter()
        .enumerate()
        .map(|(i, text)| SequencedEvent {
            seq: i as u64,
            event: TurnEvent::Delta { text: text.clone() },
        })
        .collect();
    let after = Message::user(session, ids.message_id(), "Thanks".to_string(), t0());
    put_all(store, &[question.clone(), answer.clone(), after.clone()]).await;

    let back = store.get(&session, &answer.message_id).await.unwrap();
    assert!(back.as_ref() == Some(&answer), "get reads it back whole");
    let mut other = answer.clone();
    other.content = "a different answer".repeat(100_000);
    assert_kind(
        store.put(&other).await,
        ErrorKind::Conflict,
        "a second large write of the same id",
    );
    let back = store.get(&session, &answer.message_id).await.unwrap();
    assert!(
        back.as_ref() == Some(&answer),
        "a refused write changes nothing"
    );
    let pages = collect_pages(1, |page| store.list(&session, page), "large answer").await;
    assert_eq!(pages.len(), 3, "three messages, one per page");
    assert!(pages[1] == answer, "list reads it back whole");
    let latest = store.latest(&session, 2).await.unwrap();
    assert_eq!(latest.len(), 2);
    assert!(latest[0] == answer, "latest reads it back whole");
    store.delete_session(&session).await.unwrap();
    assert_eq!(store.get(&session, &answer.message_id).await.unwrap(), None);
    assert!(store.latest(&session, 10).await.unwrap().is_empty());
}

/// Past [`pika_ports::MAX_MESSAGE_BYTES`]: `Invalid`, and nothing stored.
async fn a_message_past_the_limit_is_refused<S: MessageStore>(store: &S) {
    let ids = SequentialIds::new();
    let session = ids.session_id();
    let big = "x".repeat(pika_ports::MAX_MESSAGE_BYTES + 1);
    let m = Message::user(session, ids.message_id(), big, t0());
    assert_kind(
        store.put(&m).await,
        ErrorKind::Invalid,
        "a message past the limit",
    );
    assert_eq!(store.get(&session, &m.message_id).await.unwrap(), None);
    assert!(store.latest(&session, 10).await.unwrap().is_empty());
}

/// `n` messages of `session`, alternating user and assistant, in id order.
fn conversation(ids: &SequentialIds, session: SessionId, n: usize) -> Vec<Message> {
    (0..n)
        .map(|i| {
            let at = t0() + Duration::seconds(i as i64);
            if i % 2 == 0 {
                Message::user(session, ids.message_id(), format!("question {i}"), at)
            } else {
                let mut m = Message::assistant(session, ids.message_id(), at);
                m.content = format!("answer {i}");
                m.model = Some("model-x".to_string());
                m
            }
        })
        .collect()
}

async fn put_all<S: MessageStore>(store: &S, messages: &[Message]) {
    for m in messages {
        store
            .put(m)
            .await
            .unwrap_or_else(|e| panic!("put of message {} failed: {e}", m.message_id));
    }
}

fn ids_of(messages: &[Message]) -> Vec<MessageId> {
    messages.iter().map(|m| m.message_id).collect()
}

async fn put_then_get<S: MessageStore>(store: &S) {
    let ids = SequentialIds::new();
    let (s1, s2) = (ids.session_id(), ids.session_id());
    let mut m = Message::user(s1, ids.message_id(), "hello".to_string(), t0());
    m.client_message_id = Some(ClientMessageId::parse("client-1").unwrap());
    assert_eq!(
        store.get(&s1, &m.message_id).await.unwrap(),
        None,
        "get of a missing message"
    );
    store.put(&m).await.expect("put of a new message");
    assert_eq!(
        store.get(&s1, &m.message_id).await.unwrap(),
        Some(m.clone()),
        "get returns the message exactly as stored"
    );
    assert_eq!(
        store.get(&s2, &m.message_id).await.unwrap(),
        None,
        "a message is found only in its own session"
    );
}

async fn put_conflicts_and_changes_nothing<S: MessageStore>(store: &S) {
    let ids = SequentialIds::new();
    let session = ids.session_id();
    let m = Message::user(session, ids.message_id(), "original".to_string(), t0());
    store.put(&m).await.expect("first put");
    let mut again = m.clone();
    again.content = "overwritten?".to_string();
    assert_kind(
        store.put(&again).await,
        ErrorKind::Conflict,
        "put of an existing message id",
    );
    assert_eq!(
        store.get(&session, &m.message_id).await.unwrap(),
        Some(m),
        "a refused put changes nothing"
    );
    let listed = store.list(&session, PageRequest::first(10)).await.unwrap();
    assert_eq!(
        listed.items.len(),
        1,
        "a retried put never duplicates a message"
    );
}

async fn list_oldest_first_in_pages<S: MessageStore>(store: &S) {
    let ids = SequentialIds::new();
    let (s1, s2, empty) = (ids.session_id(), ids.session_id(), ids.session_id());
    let first = conversation(&ids, s1, 7);
    let other = conversation(&ids, s2, 2);
    // Stored out of order: the listing orders by message id.
    put_all(store, &[6, 2, 0, 5, 1, 4, 3].map(|i| first[i].clone())).await;
    put_all(store, &other).await;

    for limit in [1, 3, 7, 100] {
        let got = collect_pages(
            limit,
            |p| store.list(&s1, p),
            &format!("list with limit {limit}"),
        )
        .await;
        assert_eq!(
            got, first,
            "the session's messages, oldest first, limit {limit}"
        );
    }
    let exact = store.list(&s1, PageRequest::first(7)).await.unwrap();
    assert_eq!(exact.items.len(), 7, "one page of exactly all messages");
    assert_eq!(
        exact.next_cursor, None,
        "a page that ends the listing has no cursor"
    );

    // A turn appended while a client pages shows up on a later page.
    let page = store.list(&s1, PageRequest::first(4)).await.unwrap();
    let newer = conversation(&ids, s1, 1);
    put_all(store, &newer).await;
    let rest = crate::contracts::store_support::collect_pages_after(
        4,
        page.next_cursor.clone(),
        |p| store.list(&s1, p),
        "list after the first page",
    )
    .await;
    let mut expected = first[4..].to_vec();
    expected.extend(newer);
    assert_eq!(
        ids_of(&rest),
        ids_of(&expected),
        "no message repeated or lost"
    );

    let none = store.list(&empty, PageRequest::first(5)).await.unwrap();
    assert!(
        none.items.is_empty() && none.next_cursor.is_none(),
        "an empty session"
    );
    assert_foreign_cursors_refused(|p| store.list(&s1, p), "list").await;
}

async fn latest_gives_the_newest_oldest_first<S: MessageStore>(store: &S) {
    let ids = SequentialIds::new();
    let (s1, s2, empty) = (ids.session_id(), ids.session_id(), ids.session_id());
    let first = conversation(&ids, s1, 7);
    put_all(store, &[4, 0, 6, 2, 1, 5, 3].map(|i| first[i].clone())).await;
    put_all(store, &conversation(&ids, s2, 3)).await;

    assert_eq!(
        store.latest(&s1, 3).await.unwrap(),
        first[4..].to_vec(),
        "the newest 3, oldest first"
    );
    assert_eq!(
        store.latest(&s1, 1).await.unwrap(),
        first[6..].to_vec(),
        "the newest one"
    );
    assert_eq!(store.latest(&s1, 7).await.unwrap(), first, "exactly all");
    assert_eq!(
        store.latest(&s1, 50).await.unwrap(),
        first,
        "fewer than the limit: all"
    );
    assert!(
        store.latest(&empty, 10).await.unwrap().is_empty(),
        "an empty session"
    );
}

async fn delete_session_is_idempotent<S: MessageStore>(store: &S) {
    let ids = SequentialIds::new();
    let (gone, kept) = (ids.session_id(), ids.session_id());
    // More than one page's worth, so an adapter that deletes page by page is checked.
    let many = conversation(&ids, gone, 120);
    let other = conversation(&ids, kept, 3);
    put_all(store, &many).await;
    put_all(store, &other).await;

    store.delete_session(&gone).await.expect("delete_session");
    let left = store.list(&gone, PageRequest::first(100)).await.unwrap();
    assert!(
        left.items.is_empty(),
        "every message of the session is deleted"
    );
    assert_eq!(store.get(&gone, &many[0].message_id).await.unwrap(), None);
    assert_eq!(
        store.latest(&kept, 10).await.unwrap(),
        other,
        "other sessions keep theirs"
    );
    store
        .delete_session(&gone)
        .await
        .expect("deleting twice succeeds");
    store
        .delete_session(&ids.session_id())
        .await
        .expect("deleting a session without messages succeeds");
}

fn claim(ids: &SequentialIds) -> TurnClaim {
    TurnClaim {
        session_id: ids.session_id(),
        user_message_id: ids.message_id(),
        assistant_message_id: ids.message_id(),
        claimed_at: t0(),
    }
}

async fn claims_are_conditional_and_per_user<S: MessageStore>(store: &S) {
    let ids = SequentialIds::new();
    let (alice, bob) = (user_id("alice"), user_id("bob"));
    let client = ClientMessageId::parse("c-1").unwrap();
    let other_client = ClientMessageId::parse("c-2").unwrap();
    let (first, second) = (claim(&ids), claim(&ids));

    assert_eq!(
        store.get_client_message(&alice, &client).await.unwrap(),
        None,
        "no claim yet"
    );
    assert_eq!(
        store
            .claim_client_message(&alice, &client, &first)
            .await
            .unwrap(),
        ClaimOutcome::Claimed,
        "a new client id is claimed"
    );
    assert_eq!(
        store.get_client_message(&alice, &client).await.unwrap(),
        Some(first.clone()),
        "the claim is recorded"
    );
    assert_eq!(
        store
            .claim_client_message(&alice, &client, &second)
            .await
            .unwrap(),
        ClaimOutcome::Existing(first.clone()),
        "a second claim gets the first one back"
    );
    assert_eq!(
        store.get_client_message(&alice, &client).await.unwrap(),
        Some(first.clone()),
        "a second claim never overwrites the first"
    );
    assert_eq!(
        store
            .claim_client_message(&bob, &client, &second)
            .await
            .unwrap(),
        ClaimOutcome::Claimed,
        "claims are per user: bob may use alice's client id"
    );
    assert_eq!(
        store.get_client_message(&bob, &client).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(
        store
            .get_client_message(&alice, &other_client)
            .await
            .unwrap(),
        None,
        "another client id of the same user is unclaimed"
    );

    store
        .release_client_message(&alice, &client)
        .await
        .expect("release");
    assert_eq!(
        store.get_client_message(&alice, &client).await.unwrap(),
        None,
        "released"
    );
    assert_eq!(
        store.get_client_message(&bob, &client).await.unwrap(),
        Some(second.clone()),
        "releasing alice's claim leaves bob's"
    );
    assert_eq!(
        store
            .claim_client_message(&alice, &client, &second)
            .await
            .unwrap(),
        ClaimOutcome::Claimed,
        "a released client id may be claimed again"
    );
    assert_eq!(
        store.get_client_message(&alice, &client).await.unwrap(),
        Some(second)
    );
    store
        .release_client_message(&alice, &other_client)
        .await
        .expect("releasing a missing claim succeeds");
}

async fn concurrent_claims_have_one_winner<S: MessageStore>(store: &S) {
    let ids = SequentialIds::new();
    let alice = user_id("alice");
    let client = ClientMessageId::parse("retry-storm").unwrap();
    let claims: Vec<TurnClaim> = (0..8).map(|_| claim(&ids)).collect();
    let outcomes = futures::future::join_all(
        claims
            .iter()
            .map(|c| store.claim_client_message(&alice, &client, c)),
    )
    .await;
    let winners: Vec<&TurnClaim> = outcomes
        .iter()
        .zip(&claims)
        .filter(|(o, _)| matches!(o, Ok(ClaimOutcome::Claimed)))
        .map(|(_, c)| c)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one of 8 concurrent claims wins: {outcomes:?}"
    );
    let winner = winners[0].clone();
    for o in &outcomes {
        match o {
            Ok(ClaimOutcome::Claimed) => {}
            Ok(ClaimOutcome::Existing(c)) => assert_eq!(c, &winner, "losers see the winner"),
            Err(e) => panic!("a concurrent claim failed: {e}"),
        }
    }
    assert_eq!(
        store.get_client_message(&alice, &client).await.unwrap(),
        Some(winner)
    );
}

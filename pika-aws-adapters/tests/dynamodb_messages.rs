//! The DynamoDB message store on moto: the testkit's `MessageStore`
//! contract, conditional writes that change nothing when refused, claims
//! with their seven-day TTL, listings past DynamoDB's 1 MB query pages, and
//! oversized items refused as `Invalid`.
//!
//! The contract runs through `dynamo_serial` (one request at a time): moto
//! evaluates a condition and writes in unlocked steps, so two concurrent
//! conditional puts could both win there, never on DynamoDB.
#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod dynamo_serial;
mod dynamo_support;
mod moto_support;

use pika_aws_adapters::dynamodb::messages::{DynamoMessageStore, CLAIM_LIFETIME_DAYS};
use pika_aws_adapters::dynamodb::{table_name, tables};
use pika_domain::chrono::Duration;
use pika_domain::ids::ClientMessageId;
use pika_domain::message::Message;
use pika_ports::{ClaimOutcome, ErrorKind, IdGeneratorExt, MessageStore, PageRequest, TurnClaim};
use pika_testkit::contracts::messages::message_store_contract;
use pika_testkit::fakes::clock::SequentialIds;
use pika_testkit::fixtures::{t0, user_id};

#[tokio::test]
async fn message_store_honours_its_contract() {
    message_store_contract(|| async { DynamoMessageStore::new(dynamo_serial::fresh().await) })
        .await;
}

#[tokio::test]
async fn the_same_message_id_twice_is_a_conflict_and_changes_nothing() {
    let store = DynamoMessageStore::new(dynamo_support::fresh().await);
    let ids = SequentialIds::new();
    let session = ids.session_id();
    let mut answer = Message::assistant(session, ids.message_id(), t0());
    answer.content = "the first answer".to_string();
    store.put(&answer).await.unwrap();

    let mut retry = answer.clone();
    retry.content = "a different answer".to_string();
    retry.stopped = true;
    let err = store.put(&retry).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Conflict, "{err}");
    assert_eq!(
        store.get(&session, &answer.message_id).await.unwrap(),
        Some(answer.clone()),
        "the stored message is the first one"
    );
    assert_eq!(store.latest(&session, 10).await.unwrap(), vec![answer]);
}

fn a_claim(ids: &SequentialIds) -> TurnClaim {
    TurnClaim {
        session_id: ids.session_id(),
        user_message_id: ids.message_id(),
        assistant_message_id: ids.message_id(),
        claimed_at: t0(),
    }
}

#[tokio::test]
async fn a_claim_twice_returns_the_first_and_expires_after_seven_days() {
    let dynamo = dynamo_support::fresh().await;
    let store = DynamoMessageStore::new(dynamo.clone());
    let ids = SequentialIds::new();
    let alice = user_id("alice");
    let client = ClientMessageId::parse("retry-1").unwrap();
    let (first, second) = (a_claim(&ids), a_claim(&ids));

    assert_eq!(
        store
            .claim_client_message(&alice, &client, &first)
            .await
            .unwrap(),
        ClaimOutcome::Claimed
    );
    assert_eq!(
        store
            .claim_client_message(&alice, &client, &second)
            .await
            .unwrap(),
        ClaimOutcome::Existing(first.clone()),
        "the second claim gets the first back"
    );
    assert_eq!(
        store.get_client_message(&alice, &client).await.unwrap(),
        Some(first.clone())
    );

    // The stored item carries DynamoDB's TTL attribute: seven days on.
    let item = dynamo
        .client()
        .get_item()
        .table_name(table_name(dynamo.prefix(), &tables::CLAIMS))
        .key(
            "claimKey",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("{alice}#{client}")),
        )
        .send()
        .await
        .unwrap()
        .item
        .expect("the claim item");
    let expires = (first.claimed_at + Duration::days(CLAIM_LIFETIME_DAYS)).timestamp();
    assert_eq!(CLAIM_LIFETIME_DAYS, 7);
    assert_eq!(
        item.get("ttl").and_then(|v| v.as_n().ok()),
        Some(&expires.to_string()),
        "the claim expires seven days after it was made"
    );
    let ttl = dynamo
        .client()
        .describe_time_to_live()
        .table_name(table_name(dynamo.prefix(), &tables::CLAIMS))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description.and_then(|d| d.attribute_name),
        Some("ttl".to_string()),
        "TTL is enabled on the claims table"
    );
}

/// About 100 KB of text: 30 of these are three DynamoDB query pages.
fn large_text(i: usize) -> String {
    format!("{i:04} {}", "lorem ipsum ".repeat(8_500))
}

#[tokio::test]
async fn listings_continue_past_dynamodbs_one_megabyte_pages() {
    let dynamo = dynamo_support::fresh().await;
    let store = DynamoMessageStore::new(dynamo.clone());
    let ids = SequentialIds::new();
    let session = ids.session_id();
    let messages: Vec<Message> = (0..30)
        .map(|i| {
            Message::user(
                session,
                ids.message_id(),
                large_text(i),
                t0() + Duration::seconds(i as i64),
            )
        })
        .collect();
    for m in &messages {
        store.put(m).await.unwrap();
    }

    // DynamoDB itself stops a query of them early, so the adapter must go on.
    let raw = dynamo
        .client()
        .query()
        .table_name(table_name(dynamo.prefix(), &tables::MESSAGES))
        .key_condition_expression("sessionId = :s")
        .expression_attribute_values(
            ":s",
            aws_sdk_dynamodb::types::AttributeValue::S(session.to_string()),
        )
        .limit(30)
        .send()
        .await
        .unwrap();
    assert!(
        raw.count < 30 && raw.last_evaluated_key.is_some(),
        "one DynamoDB query page holds only {} of the 30 messages",
        raw.count
    );

    let page = store.list(&session, PageRequest::first(25)).await.unwrap();
    assert_eq!(
        page.items,
        messages[..25].to_vec(),
        "a full first page, in order"
    );
    let cursor = page.next_cursor.expect("more follow");
    let rest = store
        .list(&session, PageRequest::after(25, Some(cursor)))
        .await
        .unwrap();
    assert_eq!(rest.items, messages[25..].to_vec(), "the rest, in order");
    assert_eq!(rest.next_cursor, None, "the last page has no cursor");

    let all = store.list(&session, PageRequest::first(30)).await.unwrap();
    assert_eq!(all.items, messages, "one page of all 30");
    assert_eq!(all.next_cursor, None);

    assert_eq!(
        store.latest(&session, 20).await.unwrap(),
        messages[10..].to_vec(),
        "the newest 20, oldest first"
    );
    assert_eq!(store.latest(&session, 50).await.unwrap(), messages);

    store.delete_session(&session).await.unwrap();
    assert!(store.latest(&session, 50).await.unwrap().is_empty());
}

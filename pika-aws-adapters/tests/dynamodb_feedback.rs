//! The DynamoDB feedback store on moto: the testkit contract, the index
//! attributes of docs/storage.md on the stored item, cursors that stay in
//! their listing, and how failures are classified.
#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod dynamo_canned;
mod dynamo_support;
mod moto_support;

use aws_sdk_dynamodb::types::AttributeValue;
use axum::http::StatusCode;
use dynamo_support::fresh;
use pika_aws_adapters::dynamodb::feedback::DynamoFeedbackStore;
use pika_aws_adapters::dynamodb::tables::FEEDBACK;
use pika_domain::chrono::Duration;
use pika_domain::feedback::{Feedback, FeedbackKind, FeedbackSource, FeedbackStatus};
use pika_ports::{ErrorKind, FeedbackFilter, FeedbackStore, IdGeneratorExt, PageRequest};
use pika_testkit::contracts::feedback;
use pika_testkit::fakes::clock::SequentialIds;
use pika_testkit::fixtures::{chat_app_id, t0, user_id};

#[tokio::test]
async fn feedback_store_honours_its_contract() {
    feedback::feedback_store_contract(|| async { DynamoFeedbackStore::new(fresh().await) }).await;
}

fn record(ids: &SequentialIds, n: i64, app: &str, status: FeedbackStatus) -> Feedback {
    let at = t0() + Duration::minutes(n);
    Feedback {
        feedback_id: ids.feedback_id(),
        session_id: ids.session_id(),
        chat_app_id: chat_app_id(app),
        message_id: None,
        reporter: Some(user_id("alice")),
        source: FeedbackSource::Human,
        status,
        severity: None,
        kind: FeedbackKind::ThumbsDown,
        comment: Some("Wrong answer".to_string()),
        internal_comment: None,
        created_at: at,
        updated_at: at,
    }
}

fn text(value: Option<&AttributeValue>) -> &str {
    value.and_then(|v| v.as_s().ok()).map_or("", String::as_str)
}

#[tokio::test]
async fn the_item_carries_the_index_attributes_of_the_design() {
    let dynamo = fresh().await;
    let store = DynamoFeedbackStore::new(dynamo.clone());
    let ids = SequentialIds::new();
    let f = record(&ids, 0, "app-a", FeedbackStatus::InReview);
    store.create(&f).await.unwrap();

    let item = dynamo
        .client()
        .get_item()
        .table_name(dynamo.table(&FEEDBACK))
        .key("feedbackId", AttributeValue::S(f.feedback_id.to_string()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the stored item");
    assert_eq!(
        text(item.get("createdKey")),
        format!("2026-01-15T09:00:00.000000Z#{}", f.feedback_id),
        "createdKey = fixed createdAt # id"
    );
    assert_eq!(text(item.get("feedbackAll")), "all");
    assert_eq!(text(item.get("status")), "in_review");
    assert_eq!(text(item.get("appStatus")), "app-a#in_review");
    assert_eq!(text(item.get("sessionId")), f.session_id.to_string());
    assert_eq!(
        store.get(&f.feedback_id).await.unwrap(),
        Some(f),
        "reading drops the index attributes"
    );
}

#[tokio::test]
async fn a_cursor_of_another_filter_is_refused() {
    let store = DynamoFeedbackStore::new(fresh().await);
    let ids = SequentialIds::new();
    for n in 0..3 {
        store
            .create(&record(&ids, n, "app-a", FeedbackStatus::Open))
            .await
            .unwrap();
        store
            .create(&record(&ids, n, "app-b", FeedbackStatus::Resolved))
            .await
            .unwrap();
    }
    let open = FeedbackFilter {
        status: Some(FeedbackStatus::Open),
        chat_app_id: None,
    };
    let resolved = FeedbackFilter {
        status: Some(FeedbackStatus::Resolved),
        chat_app_id: None,
    };
    let cursor = store
        .list(&open, PageRequest::first(1))
        .await
        .unwrap()
        .next_cursor
        .expect("more open feedback follows");
    for (filter, what) in [
        (&resolved, "another status"),
        (&FeedbackFilter::default(), "no filter"),
        (
            &FeedbackFilter {
                status: None,
                chat_app_id: Some(chat_app_id("app-a")),
            },
            "a chat app",
        ),
    ] {
        let err = store
            .list(filter, PageRequest::after(1, Some(cursor.clone())))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid, "{what}: {err}");
    }
    let next = store
        .list(&open, PageRequest::after(5, Some(cursor)))
        .await
        .unwrap();
    assert_eq!(next.items.len(), 2, "the cursor works where it came from");
}

#[tokio::test]
async fn a_record_over_400_kb_is_invalid() {
    let store = DynamoFeedbackStore::new(fresh().await);
    let ids = SequentialIds::new();
    let mut f = record(&ids, 0, "app-a", FeedbackStatus::Open);
    f.comment = Some("x".repeat(450 * 1024));
    let err = store.create(&f).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid, "{err}");
}

#[tokio::test]
async fn throttling_is_transient() {
    let canned = dynamo_canned::failing(
        StatusCode::BAD_REQUEST,
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    )
    .await;
    let store = DynamoFeedbackStore::new(canned.dynamo.clone());
    let ids = SequentialIds::new();
    let f = record(&ids, 0, "app-a", FeedbackStatus::Open);
    let err = store.create(&f).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "create: {err}");
    let err = store.update(&f).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "update: {err}");
    let err = store
        .list(&FeedbackFilter::default(), PageRequest::first(5))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "list: {err}");
    let err = store.delete_by_session(&f.session_id).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "delete_by_session: {err}");
}

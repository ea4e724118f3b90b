//! The DynamoDB session store on moto: the testkit's `SessionStore`
//! contract, turns recorded concurrently losing no counts, and DynamoDB's
//! errors classified as the port's kinds.
//!
//! moto is reached one request at a time (`dynamo_serial`): it applies an
//! update in unlocked steps, so concurrent adds on one item lose counts on
//! moto, never on DynamoDB. The store's callers still run concurrently, so
//! a read-modify-write would still lose counts here.
#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod dynamo_canned;
mod dynamo_serial;
mod dynamo_support;
mod moto_support;

use axum::http::StatusCode;
use pika_aws_adapters::dynamodb::sessions::DynamoSessionStore;
use pika_aws_adapters::dynamodb::Dynamo;
use pika_domain::chrono::Duration;
use pika_domain::cost::Usage;
use pika_domain::session::InsightStatus;
use pika_ports::{ErrorKind, IdGeneratorExt, SessionStore, TurnRecord};
use pika_testkit::contracts::sessions::session_store_contract;
use pika_testkit::fakes::clock::SequentialIds;
use pika_testkit::fixtures::{session, t0};

#[tokio::test]
async fn session_store_honours_its_contract() {
    session_store_contract(|| async { DynamoSessionStore::new(dynamo_serial::fresh().await) })
        .await;
}

fn usage_of(input: u64, output: u64) -> Usage {
    let input_cost = input as f64 * 3.0 / 1e6;
    let output_cost = output as f64 * 15.0 / 1e6;
    Usage {
        input_tokens: input,
        output_tokens: output,
        input_cost,
        output_cost,
        total_cost: input_cost + output_cost,
    }
}

const PARALLEL_TURNS: i64 = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn twenty_parallel_turns_lose_no_counts() {
    let store = DynamoSessionStore::new(dynamo_serial::fresh().await);
    let ids = SequentialIds::new();
    let s = session(&ids, "alice", "app-a", "acme");
    store.create(&s).await.unwrap();

    let turns: Vec<TurnRecord> = (0..PARALLEL_TURNS)
        .map(|i| TurnRecord {
            usage: usage_of(100, 20),
            last_message_id: ids.message_id(),
            at: t0() + Duration::seconds(i),
            mark_for_insights: i % 2 == 0,
        })
        .collect();
    let tasks: Vec<_> = turns
        .iter()
        .cloned()
        .map(|turn| {
            let store = store.clone();
            let id = s.session_id;
            tokio::spawn(async move { store.record_turn(&id, &turn).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("a parallel record_turn");
    }

    let after = store.get(&s.session_id).await.unwrap().unwrap();
    let n = PARALLEL_TURNS as u64;
    assert_eq!(after.usage.input_tokens, 100 * n, "no input tokens lost");
    assert_eq!(after.usage.output_tokens, 20 * n, "no output tokens lost");
    // DynamoDB adds decimals exactly: 20 × $0.0003 input, 20 × $0.0003 output.
    assert!(
        (after.usage.input_cost - 0.006).abs() < 1e-9,
        "{:?}",
        after.usage
    );
    assert!(
        (after.usage.output_cost - 0.006).abs() < 1e-9,
        "{:?}",
        after.usage
    );
    assert!(
        (after.usage.total_cost - 0.012).abs() < 1e-9,
        "{:?}",
        after.usage
    );
    assert_eq!(after.insight_status, InsightStatus::Pending);
    assert!(
        turns
            .iter()
            .any(|t| Some(t.last_message_id) == after.last_message_id),
        "the last message is one of the turns'"
    );
    let due = store
        .list_needing_insights(t0() + Duration::hours(1), 10)
        .await
        .unwrap();
    assert_eq!(
        due.len(),
        1,
        "the session is in the needs-insights index once"
    );
    assert_eq!(due[0], after, "the index holds the session as it is now");
}

#[tokio::test]
async fn dynamodb_errors_are_classified() {
    let cases = [
        (400, "ThrottlingException", ErrorKind::Transient),
        (
            400,
            "ProvisionedThroughputExceededException",
            ErrorKind::Transient,
        ),
        (400, "RequestLimitExceeded", ErrorKind::Transient),
        (500, "InternalServerError", ErrorKind::Transient),
        (400, "ValidationException", ErrorKind::Invalid),
        (400, "AccessDeniedException", ErrorKind::Permanent),
        (400, "ResourceNotFoundException", ErrorKind::Permanent),
    ];
    let ids = SequentialIds::new();
    let s = session(&ids, "alice", "app-a", "acme");
    for (status, code, kind) in cases {
        let status = StatusCode::from_u16(status).unwrap();
        let canned = dynamo_canned::failing(status, code, "refused by the test").await;
        let store = DynamoSessionStore::new(canned.dynamo.clone());
        let err = store.get(&s.session_id).await.unwrap_err();
        assert_eq!(err.kind, kind, "{code} on get: {err}");
        let err = store.create(&s).await.unwrap_err();
        assert_eq!(err.kind, kind, "{code} on create: {err}");
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_is_transient() {
    // Bind then drop: nothing listens on the port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .test_credentials()
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let store = DynamoSessionStore::new(Dynamo::from_sdk_config(&config, "pika"));
    let ids = SequentialIds::new();
    let err = store.get(&ids.session_id()).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");
}

#[tokio::test]
async fn missing_tables_are_a_permanent_error_not_a_missing_session() {
    let client = dynamo_support::client().await;
    let prefix = moto_support::unique_name("pika-no-tables");
    let store = DynamoSessionStore::new(Dynamo::new(client, prefix));
    let ids = SequentialIds::new();
    let err = store.get(&ids.session_id()).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent, "{err}");
    let s = session(&ids, "alice", "app-a", "acme");
    let err = store.create(&s).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent, "{err}");
}

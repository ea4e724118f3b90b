//! The DynamoDB usage ledger on moto: the testkit contract, turns recorded
//! from many tasks at once, the hour buckets' expiry, and what happens when
//! DynamoDB keeps cancelling a turn's transaction.
//!
//! moto is reached one request at a time (`dynamo_serial`): concurrent
//! `ADD`s on one item lose counts on moto, never on DynamoDB.
#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod dynamo_canned;
mod dynamo_serial;
mod moto_support;

use aws_sdk_dynamodb::types::AttributeValue;
use axum::http::StatusCode;
use dynamo_serial::fresh;
use pika_aws_adapters::dynamodb::tables::USAGE;
use pika_aws_adapters::dynamodb::usage::DynamoUsageLedger;
use pika_domain::chrono::{DateTime, Duration, Utc};
use pika_domain::cost::Usage;
use pika_domain::quota::{QuotaScope, UsageBucket};
use pika_ports::{ErrorKind, UsageLedger, UsageRecord};
use pika_testkit::contracts::usage;
use pika_testkit::fixtures::{chat_app_id, entity_id, t0, user_id};
use std::sync::Arc;

#[tokio::test]
async fn usage_ledger_honours_its_contract() {
    usage::usage_ledger_contract(|| async { DynamoUsageLedger::new(fresh().await) }).await;
}

fn turn(user: &str, at: DateTime<Utc>, input: u64, output: u64) -> UsageRecord {
    UsageRecord {
        also: Vec::new(),
        counts_turn: true,
        at,
        user_id: user_id(user),
        entity_id: entity_id("acme"),
        chat_app_id: chat_app_id("app-a"),
        model_id: "anthropic.claude-3-haiku".to_string(),
        usage: Usage {
            input_tokens: input,
            output_tokens: output,
            input_cost: 0.000_003 * input as f64,
            output_cost: 0.000_015 * output as f64,
            total_cost: 0.000_003 * input as f64 + 0.000_015 * output as f64,
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_turns_from_parallel_tasks_all_count() {
    let ledger = Arc::new(DynamoUsageLedger::new(fresh().await));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let ledger = ledger.clone();
            let user = if i % 2 == 0 { "alice" } else { "bob" };
            tokio::spawn(async move {
                ledger
                    .record(&turn(user, t0() + Duration::seconds(i), 100, 10))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("a parallel record");
    }
    let bucket = |tokens| {
        vec![UsageBucket {
            start: t0(),
            tokens,
        }]
    };
    assert_eq!(
        ledger
            .buckets(QuotaScope::User, "alice", t0())
            .await
            .unwrap(),
        bucket(25 * 110)
    );
    assert_eq!(
        ledger.buckets(QuotaScope::User, "bob", t0()).await.unwrap(),
        bucket(25 * 110)
    );
    assert_eq!(
        ledger
            .buckets(QuotaScope::Entity, "acme", t0())
            .await
            .unwrap(),
        bucket(50 * 110)
    );
    let day = ledger
        .daily(t0().date_naive(), t0().date_naive())
        .await
        .unwrap();
    assert_eq!(day.len(), 1, "{day:?}");
    assert_eq!(day[0].turns, 50);
    assert_eq!(day[0].usage.input_tokens, 5000);
    assert_eq!(day[0].usage.output_tokens, 500);
    assert!(
        (day[0].usage.total_cost - 50.0 * 0.000_45).abs() < 1e-12,
        "costs add up exactly: {:?}",
        day[0].usage
    );
}

#[tokio::test]
async fn buckets_start_at_or_after_since_even_between_hours() {
    let ledger = DynamoUsageLedger::new(fresh().await);
    for h in 0..3 {
        ledger
            .record(&turn("alice", t0() + Duration::hours(h), 1, 0))
            .await
            .unwrap();
    }
    let since = t0() + Duration::minutes(90);
    let got = ledger
        .buckets(QuotaScope::User, "alice", since)
        .await
        .unwrap();
    assert_eq!(
        got,
        vec![UsageBucket {
            start: t0() + Duration::hours(2),
            tokens: 1
        }]
    );
}

#[tokio::test]
async fn hour_buckets_expire_after_40_days_and_daily_aggregates_stay() {
    let dynamo = fresh().await;
    let ledger = DynamoUsageLedger::new(dynamo.clone());
    ledger
        .record(&turn("alice", t0() + Duration::minutes(17), 3, 4))
        .await
        .unwrap();
    let item = |pk: &str, sk: &str| {
        let dynamo = dynamo.clone();
        let (pk, sk) = (pk.to_string(), sk.to_string());
        async move {
            dynamo
                .client()
                .get_item()
                .table_name(dynamo.table(&USAGE))
                .key("pk", AttributeValue::S(pk))
                .key("sk", AttributeValue::S(sk))
                .send()
                .await
                .unwrap()
                .item
                .expect("the counter item")
        }
    };
    let expires = (t0() + Duration::days(40)).timestamp().to_string();
    for pk in ["user#alice", "entity#acme"] {
        let bucket = item(pk, "hour#2026-01-15T09:00:00.000000Z").await;
        assert_eq!(
            bucket.get("ttl").and_then(|v| v.as_n().ok()),
            Some(&expires),
            "{pk}: expires 40 days after the hour"
        );
        assert_eq!(
            bucket
                .get("tokens")
                .and_then(|v| v.as_n().ok())
                .map(String::as_str),
            Some("7")
        );
    }
    let day = item("day#2026-01-15", "app-a#acme#anthropic.claude-3-haiku").await;
    assert!(!day.contains_key("ttl"), "daily aggregates are kept");
    assert_eq!(
        day.get("turns")
            .and_then(|v| v.as_n().ok())
            .map(String::as_str),
        Some("1")
    );
}

#[tokio::test]
async fn a_cost_that_is_no_number_is_refused_and_counts_nowhere() {
    let ledger = DynamoUsageLedger::new(fresh().await);
    let mut bad = turn("alice", t0(), 5, 5);
    bad.usage.total_cost = f64::NAN;
    let err = ledger.record(&bad).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid, "{err}");
    assert!(
        ledger
            .buckets(QuotaScope::User, "alice", t0())
            .await
            .unwrap()
            .is_empty(),
        "nothing counted"
    );
}

#[tokio::test]
async fn a_key_dynamodb_refuses_is_invalid_and_counts_nowhere() {
    let ledger = DynamoUsageLedger::new(fresh().await);
    let mut bad = turn("alice", t0(), 5, 5);
    // The day aggregate's sort key ends with the model id; DynamoDB refuses
    // sort keys over 1 024 bytes.
    bad.model_id = "m".repeat(2000);
    let err = ledger.record(&bad).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid, "{err}");
    assert!(
        ledger
            .buckets(QuotaScope::User, "alice", t0())
            .await
            .unwrap()
            .is_empty(),
        "one transaction: the refused day aggregate takes the hour buckets with it"
    );
}

#[tokio::test]
async fn endless_contention_is_retried_then_transient() {
    let canned = dynamo_canned::failing(
        StatusCode::BAD_REQUEST,
        "TransactionCanceledException",
        "Transaction cancelled, please refer cancellation reasons for specific reasons \
         [TransactionConflict, None, None]",
    )
    .await;
    let ledger = DynamoUsageLedger::new(canned.dynamo.clone());
    let err = ledger.record(&turn("alice", t0(), 1, 1)).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");
    assert!(
        canned.requests() > 1,
        "a cancelled transaction is sent again: {} requests",
        canned.requests()
    );
}

#[tokio::test]
async fn throttling_is_transient() {
    let canned = dynamo_canned::failing(
        StatusCode::BAD_REQUEST,
        "ThrottlingException",
        "Rate of requests exceeds the allowed throughput.",
    )
    .await;
    let ledger = DynamoUsageLedger::new(canned.dynamo.clone());
    let err = ledger.record(&turn("alice", t0(), 1, 1)).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "record: {err}");
    assert_eq!(
        canned.requests(),
        1,
        "the SDK's retries are the store's only ones"
    );
    let err = ledger
        .buckets(QuotaScope::User, "alice", t0())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "buckets: {err}");
    let err = ledger
        .daily(t0().date_naive(), t0().date_naive())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "daily: {err}");
    let err = ledger.delete_user(&user_id("alice")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "delete_user: {err}");
}

//! The DynamoDB user store, job lock and turn control on moto: the testkit contracts,
//! and a lock abandoned by a crashed run carrying a TTL for clean-up.
//!
//! The lock contract runs through `dynamo_serial` (one request at a time):
//! moto evaluates a condition and writes in unlocked steps, so two
//! concurrent runs could both take a lock there, never on DynamoDB.
#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod dynamo_serial;
mod dynamo_support;
mod moto_support;

use aws_sdk_dynamodb::types::AttributeValue;
use pika_aws_adapters::dynamodb::locks::DynamoJobLock;
use pika_aws_adapters::dynamodb::users::DynamoUserStore;
use pika_aws_adapters::dynamodb::{table_name, tables};
use pika_domain::chrono::Duration;
use pika_ports::JobLock;
use pika_testkit::contracts::{job_lock::job_lock_contract, users::user_store_contract};
use pika_testkit::fixtures::t0;

#[tokio::test]
async fn turn_control_honours_its_contract() {
    pika_testkit::contracts::turns::turn_control_contract(|| async {
        pika_aws_adapters::dynamodb::turns::DynamoTurnControl::new(dynamo_serial::fresh().await)
    })
    .await;
}

#[tokio::test]
async fn allowance_store_honours_its_contract() {
    pika_testkit::contracts::allowances::allowance_store_contract(|| async {
        pika_aws_adapters::dynamodb::allowances::DynamoAllowances::new(dynamo_serial::fresh().await)
    })
    .await;
}

#[tokio::test]
async fn user_store_honours_its_contract() {
    user_store_contract(|| async { DynamoUserStore::new(dynamo_support::fresh().await) }).await;
}

#[tokio::test]
async fn job_lock_honours_its_contract() {
    job_lock_contract(|| async { DynamoJobLock::new(dynamo_serial::fresh().await) }).await;
}

#[tokio::test]
async fn a_lock_is_removed_by_ttl_a_day_after_it_expires() {
    let dynamo = dynamo_support::fresh().await;
    let lock = DynamoJobLock::new(dynamo.clone());
    let until = t0() + Duration::minutes(10);
    assert!(lock
        .try_acquire("cleanup", "run-1", t0(), until)
        .await
        .unwrap());
    let item = dynamo
        .client()
        .get_item()
        .table_name(table_name(dynamo.prefix(), &tables::LOCKS))
        .key("name", AttributeValue::S("cleanup".to_string()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the lock item");
    let ttl = (until + Duration::days(1)).timestamp().to_string();
    assert_eq!(item.get("ttl").and_then(|v| v.as_n().ok()), Some(&ttl));
    assert_eq!(
        item.get("owner")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str),
        Some("run-1")
    );
}

//! DynamoDB on moto for the adapter tests: every call of [`fresh`] gives a
//! [`Dynamo`] on a table prefix no other test uses, with every table of
//! docs/storage.md created, so tests share the emulator and never its
//! state (no global reset).
//!
//! Test files declare `mod moto_support; mod dynamo_support;`.

// Each test binary uses a different part of it.
#![allow(dead_code)]

use crate::moto_support;
use aws_sdk_dynamodb::Client;
use pika_aws_adapters::dynamodb::{create_tables, Dynamo};

/// A DynamoDB client on moto.
pub async fn client() -> Client {
    Client::new(&moto_support::sdk_config().await)
}

/// A [`Dynamo`] on a fresh, unique table prefix with every table created.
pub async fn fresh() -> Dynamo {
    let client = client().await;
    let prefix = moto_support::unique_name("pika");
    create_tables(&client, &prefix)
        .await
        .unwrap_or_else(|e| panic!("creating the tables under {prefix}: {e}"));
    Dynamo::new(client, prefix)
}

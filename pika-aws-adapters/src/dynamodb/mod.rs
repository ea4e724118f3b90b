//! The DynamoDB adapters (feature `dynamodb`): every store of Pika, the
//! usage ledger and the job lock, on the tables of `docs/storage.md`.
//!
//! Every read is a `GetItem`, `BatchGetItem` or `Query` on a key or a GSI:
//! there is no `Scan` in this module (a test checks the source).

pub mod allowances;
pub mod codec;
pub mod config;
mod contention;
pub mod cursor;
mod errors;
pub mod feedback;
pub mod journal;
pub mod locks;
pub mod messages;
mod query;
pub mod sessions;
mod stores;
pub mod tables;
pub mod turns;
pub mod usage;
pub mod users;

pub use errors::{ddb_error, is_condition_failure};
pub use stores::DynamoStores;
pub use tables::{create_tables, table_name, TableSpec, ALL_TABLES};

use aws_sdk_dynamodb::Client;
use std::sync::Arc;

/// A DynamoDB client and the prefix of Pika's tables, shared by every store
/// (the client is built once per process or Lambda container).
#[derive(Debug, Clone)]
pub struct Dynamo {
    client: Client,
    prefix: Arc<str>,
}

impl Dynamo {
    /// Stores on the tables `{prefix}-…` reached through `client`.
    pub fn new(client: Client, prefix: impl Into<String>) -> Self {
        Self {
            client,
            prefix: Arc::from(prefix.into()),
        }
    }

    /// A client from the SDK configuration (region, credentials, endpoint
    /// overrides such as `AWS_ENDPOINT_URL_DYNAMODB`), with the store
    /// timeouts ([`crate::aws::store_timeouts`]).
    pub fn from_sdk_config(config: &crate::aws::SdkConfig, prefix: impl Into<String>) -> Self {
        let conf = aws_sdk_dynamodb::config::Builder::from(config)
            .timeout_config(crate::aws::store_timeouts())
            .build();
        Self::new(Client::from_conf(conf), prefix)
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The table prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The full name of a table.
    pub fn table(&self, spec: &TableSpec) -> String {
        table_name(&self.prefix, spec)
    }
}

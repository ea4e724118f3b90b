//! [`JobLock`] on the locks table (docs/storage.md): one item per lock
//! name holding its owner and expiry. Taking the lock is one conditional
//! `PutItem` (free, expired, or already ours), so concurrent runs have
//! exactly one winner; releasing is a `DeleteItem` on the owner.

use super::codec::{s, time_key, ttl, Item};
use super::errors::{ddb_error, is_condition_failure};
use super::{tables, Dynamo};
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Duration, Utc};
use pika_ports::{JobLock, PortResult};

const NAME: &str = "name";
const OWNER: &str = "owner";
const EXPIRES_KEY: &str = "expiresKey";
const TTL: &str = "ttl";
/// How long after its expiry DynamoDB's TTL removes an abandoned lock.
const TTL_GRACE_HOURS: i64 = 24;

/// Job locks in DynamoDB (see [`JobLock`]).
#[derive(Debug, Clone)]
pub struct DynamoJobLock {
    dynamo: Dynamo,
    table: String,
}

impl DynamoJobLock {
    /// The locks table of `dynamo`.
    pub fn new(dynamo: Dynamo) -> Self {
        let table = dynamo.table(&tables::LOCKS);
        Self { dynamo, table }
    }
}

#[async_trait]
impl JobLock for DynamoJobLock {
    async fn try_acquire(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> PortResult<bool> {
        let item: Item = [
            (NAME.to_string(), s(name)),
            (OWNER.to_string(), s(owner)),
            (EXPIRES_KEY.to_string(), s(time_key(expires_at))),
            (
                TTL.to_string(),
                ttl(expires_at + Duration::hours(TTL_GRACE_HOURS)),
            ),
        ]
        .into();
        let result = self
            .dynamo
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(#name) OR #expires <= :now OR #owner = :owner",
            )
            .expression_attribute_names("#name", NAME)
            .expression_attribute_names("#expires", EXPIRES_KEY)
            .expression_attribute_names("#owner", OWNER)
            .expression_attribute_values(":now", s(time_key(now)))
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            // Someone else holds it: not an error.
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(ddb_error("take job lock", e)),
        }
    }

    async fn release(&self, name: &str, owner: &str) -> PortResult<()> {
        let result = self
            .dynamo
            .client()
            .delete_item()
            .table_name(&self.table)
            .key(NAME, s(name))
            .condition_expression("#owner = :owner")
            .expression_attribute_names("#owner", OWNER)
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match result {
            // Held by another owner, or by nobody: nothing to release.
            Err(e) if is_condition_failure(&e) => Ok(()),
            other => other
                .map(|_| ())
                .map_err(|e| ddb_error("release job lock", e)),
        }
    }
}

//! [`AllowanceStore`] on the usage table (docs/storage.md), beside the
//! quota counters it guards: one item per key (`pk = allow#{key}`,
//! `sk = state`) holding the state as JSON and its version. Every write
//! is one conditional `PutItem` naming the version it replaces, so two
//! containers deciding at once never both take the last token; reads are
//! strongly consistent. TTL removes an item a day after its state may be
//! forgotten.

use super::codec::{get_s, n, s, ttl, Item};
use super::errors::{ddb_error, is_condition_failure};
use super::{tables, Dynamo};
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Duration, Utc};
use pika_domain::fair_use::AllowanceState;
use pika_ports::{Allowance, AllowanceStore, PortError, PortResult};

const PK: &str = "pk";
const SK: &str = "sk";
const STATE: &str = "state";
const VERSION: &str = "version";
const BODY: &str = "body";
const TTL: &str = "ttl";
const TTL_GRACE_HOURS: i64 = 24;

/// Fair-use state in DynamoDB (see [`AllowanceStore`]).
#[derive(Debug, Clone)]
pub struct DynamoAllowances {
    dynamo: Dynamo,
    table: String,
}

impl DynamoAllowances {
    /// The allowances in the usage table of `dynamo`.
    pub fn new(dynamo: Dynamo) -> Self {
        let table = dynamo.table(&tables::USAGE);
        Self { dynamo, table }
    }
}

fn pk(key: &str) -> String {
    format!("allow#{key}")
}

#[async_trait]
impl AllowanceStore for DynamoAllowances {
    async fn load(&self, key: &str) -> PortResult<Option<Allowance>> {
        let out = self
            .dynamo
            .client()
            .get_item()
            .table_name(&self.table)
            .key(PK, s(pk(key)))
            .key(SK, s(STATE))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| ddb_error("read allowance", e))?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let bad = |what: &str| PortError::permanent(format!("allowance item: {what}"));
        let version = item
            .get(VERSION)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| bad("no version"))?;
        let body = get_s(&item, BODY).ok_or_else(|| bad("no body"))?;
        let state = serde_json::from_str(body).map_err(|e| bad(&e.to_string()))?;
        Ok(Some(Allowance { state, version }))
    }

    async fn save(
        &self,
        key: &str,
        state: &AllowanceState,
        expected: Option<u64>,
        forget_after: DateTime<Utc>,
    ) -> PortResult<()> {
        let body = serde_json::to_string(state)
            .map_err(|e| PortError::invalid(format!("an allowance does not serialize: {e}")))?;
        let item: Item = [
            (PK.to_string(), s(pk(key))),
            (SK.to_string(), s(STATE)),
            (VERSION.to_string(), n(expected.unwrap_or(0) + 1)),
            (BODY.to_string(), s(body)),
            (
                TTL.to_string(),
                ttl(forget_after + Duration::hours(TTL_GRACE_HOURS)),
            ),
        ]
        .into();
        let put = self
            .dynamo
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        let put = match expected {
            None => put
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PK),
            Some(version) => put
                .condition_expression("#version = :version")
                .expression_attribute_names("#version", VERSION)
                .expression_attribute_values(":version", n(version)),
        };
        match put.send().await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => {
                Err(PortError::conflict("the allowance changed meanwhile"))
            }
            Err(e) => Err(ddb_error("write allowance", e)),
        }
    }
}

//! [`UsageLedger`] on the `usage` table (docs/storage.md):
//!
//! | item | `pk` | `sk` | attributes |
//! |---|---|---|---|
//! | a user's hour | `user#{userId}` | `hour#{fixed hour start}` | `tokens`, `ttl` |
//! | an entity's hour | `entity#{entityId}` | `hour#{fixed hour start}` | `tokens`, `ttl` |
//! | a day's aggregate | `day#{YYYY-MM-DD}` | `{chatAppId}#{entityId}#{modelId}` | `day`, `chatAppId`, `entityId`, `modelId`, `inputTokens`, `outputTokens`, `inputCost`, `outputCost`, `totalCost`, `turns` |
//!
//! Every count is an `ADD` on a top-level number, and the three adds of one
//! turn commit in one `TransactWriteItems`, so concurrent turns never lose
//! counts and a failed turn counts nowhere. Ids never hold `#`, so the keys
//! cannot collide.

mod items;

use super::codec::{s, time_key};
use super::contention::{backoff, cancelled_by_contention, ATTEMPTS};
use super::query::{batch_delete, query_all};
use super::{ddb_error, tables, Dynamo};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::TransactWriteItem;
use futures::{StreamExt, TryStreamExt};
use items::{bucket_of, daily_of, day_pk, scope_pk, HOUR, HOUR_END};

pub(crate) use items::ledger_updates;
use pika_domain::chrono::{DateTime, NaiveDate, Utc};
use pika_domain::ids::UserId;
use pika_domain::quota::{QuotaScope, UsageBucket};
use pika_ports::{DailyUsage, PortResult, UsageLedger, UsageRecord};

/// Days read at once by `daily`.
const DAYS_IN_FLIGHT: usize = 4;

/// Token counters (see [`UsageLedger`]).
#[derive(Debug, Clone)]
pub struct DynamoUsageLedger {
    dynamo: Dynamo,
}

impl DynamoUsageLedger {
    /// The ledger of `dynamo`'s `usage` table.
    pub fn new(dynamo: Dynamo) -> Self {
        Self { dynamo }
    }

    fn table(&self) -> String {
        self.dynamo.table(&tables::USAGE)
    }

    /// The aggregates of one day, in key order.
    async fn day(&self, day: NaiveDate) -> PortResult<Vec<DailyUsage>> {
        let table = self.table();
        let items = query_all(|| {
            self.dynamo
                .client()
                .query()
                .table_name(&table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", "pk")
                .expression_attribute_values(":pk", s(day_pk(day)))
                .consistent_read(true)
        })
        .await?;
        items.iter().map(daily_of).collect()
    }
}

#[async_trait]
impl UsageLedger for DynamoUsageLedger {
    async fn record(&self, record: &UsageRecord) -> PortResult<()> {
        let updates = ledger_updates(&self.table(), record)?;
        let mut attempt = 0;
        loop {
            let mut request = self.dynamo.client().transact_write_items();
            for update in &updates {
                request = request
                    .transact_items(TransactWriteItem::builder().update(update.clone()).build());
            }
            match request.send().await {
                Ok(_) => return Ok(()),
                Err(e) if cancelled_by_contention(&e) && attempt + 1 < ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(ddb_error("record usage", e)),
            }
        }
    }

    async fn buckets(
        &self,
        scope: QuotaScope,
        key: &str,
        since: DateTime<Utc>,
    ) -> PortResult<Vec<UsageBucket>> {
        let table = self.table();
        let items = query_all(|| {
            self.dynamo
                .client()
                .query()
                .table_name(&table)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                .expression_attribute_names("#pk", "pk")
                .expression_attribute_names("#sk", "sk")
                .expression_attribute_values(":pk", s(scope_pk(scope, key)))
                .expression_attribute_values(":from", s(format!("{HOUR}{}", time_key(since))))
                .expression_attribute_values(":to", s(HOUR_END))
                .consistent_read(true)
        })
        .await?;
        let buckets = items
            .iter()
            .map(bucket_of)
            .collect::<PortResult<Vec<_>>>()?;
        // The key is fixed to the microsecond; `since` may be finer.
        Ok(buckets.into_iter().filter(|b| b.start >= since).collect())
    }

    /// One `Query` per day, a few days at a time, in day order.
    async fn daily(&self, from: NaiveDate, to: NaiveDate) -> PortResult<Vec<DailyUsage>> {
        let days = from.iter_days().take_while(|d| *d <= to);
        let per_day: Vec<Vec<DailyUsage>> = futures::stream::iter(days)
            .map(|day| self.day(day))
            .buffered(DAYS_IN_FLIGHT)
            .try_collect()
            .await?;
        Ok(per_day.into_iter().flatten().collect())
    }

    async fn delete_user(&self, user: &UserId) -> PortResult<()> {
        let table = self.table();
        let keys = query_all(|| {
            self.dynamo
                .client()
                .query()
                .table_name(&table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", "pk")
                .expression_attribute_names("#sk", "sk")
                .expression_attribute_values(":pk", s(scope_pk(QuotaScope::User, user.as_str())))
                .projection_expression("#pk, #sk")
                .consistent_read(true)
        })
        .await?;
        batch_delete(self.dynamo.client(), &table, keys).await
    }
}

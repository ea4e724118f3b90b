//! The usage ledger port: token counters per user and entity in hourly
//! buckets (for quotas) and daily aggregates (for analytics).

use crate::error::PortResult;
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, NaiveDate, Utc};
use pika_domain::cost::Usage;
use pika_domain::ids::{ChatAppId, EntityId, UserId};
use pika_domain::quota::{QuotaScope, UsageBucket};
use serde::{Deserialize, Serialize};

/// One turn's usage, as the ledger records it.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageRecord {
    /// When the turn ended; picks the hour bucket and the day.
    pub at: DateTime<Utc>,
    /// Who.
    pub user_id: UserId,
    /// Their entity.
    pub entity_id: EntityId,
    /// Where.
    pub chat_app_id: ChatAppId,
    /// Which model made the main call (the agent's for a turn).
    pub model_id: String,
    /// Its tokens and cost.
    pub usage: Usage,
    /// Other models' calls in the same turn (the verifier's, the title's),
    /// each booked to its own model's day aggregate: cost by model adds up.
    pub also: Vec<ModelUsage>,
    /// Whether the record counts a chat turn in the day aggregates (not
    /// for a title asked for on its own, or an insights assessment).
    pub counts_turn: bool,
}

/// One model's usage within a record.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelUsage {
    /// The model.
    pub model_id: String,
    /// Its tokens and cost.
    pub usage: Usage,
}

impl UsageRecord {
    /// Every model's usage of the record, one entry per model (the main
    /// one first, with `counts_turn`), as the day aggregates book it.
    pub fn by_model(&self) -> Vec<(String, Usage, bool)> {
        let mut out: Vec<(String, Usage, bool)> =
            vec![(self.model_id.clone(), self.usage, self.counts_turn)];
        for part in &self.also {
            match out.iter_mut().find(|(m, _, _)| *m == part.model_id) {
                Some((_, usage, _)) => *usage += part.usage,
                None => out.push((part.model_id.clone(), part.usage, false)),
            }
        }
        out
    }

    /// Tokens of every call, as the quota buckets count them.
    pub fn total_tokens(&self) -> u64 {
        self.also
            .iter()
            .fold(self.usage.tokens().total(), |sum, part| {
                sum.saturating_add(part.usage.tokens().total())
            })
    }
}

/// Usage of one day, one chat app, one entity, one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyUsage {
    /// The UTC day.
    pub day: NaiveDate,
    /// The chat app.
    pub chat_app_id: ChatAppId,
    /// The entity.
    pub entity_id: EntityId,
    /// The model.
    pub model_id: String,
    /// Tokens and cost added up.
    pub usage: Usage,
    /// How many turns.
    pub turns: u64,
}

/// Counts usage.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait UsageLedger: Send + Sync {
    /// Adds one record to the user's and the entity's hour bucket (all its
    /// tokens) and to the day's aggregate of each of its models, with
    /// atomic adds in one commit (concurrent turns never lose counts).
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn record(&self, record: &UsageRecord) -> PortResult<()>;

    /// The hour buckets of `key` (a user id or an entity id, per `scope`)
    /// whose start is at or after `since`, oldest first. Callers pass the
    /// start of an hour (`pika_domain::quota::window_start`).
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn buckets(
        &self,
        scope: QuotaScope,
        key: &str,
        since: DateTime<Utc>,
    ) -> PortResult<Vec<UsageBucket>>;

    /// The daily aggregates from `from` to `to`, both included, ordered by day.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn daily(&self, from: NaiveDate, to: NaiveDate) -> PortResult<Vec<DailyUsage>>;

    /// Deletes the user's counters (erasure); succeeds when there are none.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn delete_user(&self, user: &UserId) -> PortResult<()>;
}

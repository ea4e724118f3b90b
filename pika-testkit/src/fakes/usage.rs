//! An in-memory [`UsageLedger`].

use crate::faults::Faults;
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, NaiveDate, Utc};
use pika_domain::cost::Usage;
use pika_domain::ids::{ChatAppId, EntityId, UserId};
use pika_domain::quota::{bucket_start, QuotaScope, UsageBucket};
use pika_ports::{DailyUsage, PortResult, UsageLedger, UsageRecord};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

/// The key of a daily aggregate: day, chat app, entity, model.
type DayKey = (NaiveDate, ChatAppId, EntityId, String);

#[derive(Default)]
struct State {
    /// Tokens per hour bucket start, per (scope, key).
    buckets: HashMap<(QuotaScope, String), BTreeMap<DateTime<Utc>, u64>>,
    /// Usage and turns per day key.
    daily: BTreeMap<DayKey, (Usage, u64)>,
}

/// Hourly token counters per user and per entity, and daily aggregates
/// (see [`UsageLedger`]). Each record is added under one lock, so
/// concurrent records never lose counts.
#[derive(Default)]
pub struct InMemoryUsageLedger {
    state: Mutex<State>,
    faults: Arc<Faults>,
}

impl InMemoryUsageLedger {
    /// An empty ledger without faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty ledger whose calls go through `faults`.
    pub fn with_faults(faults: Arc<Faults>) -> Self {
        Self {
            faults,
            ..Self::default()
        }
    }

    /// The fault rules and call counts of this ledger.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    /// All tokens counted for `key` in `scope`, over every bucket. Bypasses faults.
    pub fn total_tokens(&self, scope: QuotaScope, key: &str) -> u64 {
        self.lock()
            .buckets
            .get(&(scope, key.to_string()))
            .map(|b| b.values().sum())
            .unwrap_or(0)
    }

    /// Every daily aggregate, ordered by day, chat app, entity, model. Bypasses faults.
    pub fn all_daily(&self) -> Vec<DailyUsage> {
        self.lock().daily.iter().map(to_daily).collect()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a test thread panicked; the maps are intact.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn to_daily(((day, app, entity, model), (usage, turns)): (&DayKey, &(Usage, u64))) -> DailyUsage {
    DailyUsage {
        day: *day,
        chat_app_id: app.clone(),
        entity_id: entity.clone(),
        model_id: model.clone(),
        usage: *usage,
        turns: *turns,
    }
}

#[async_trait]
impl UsageLedger for InMemoryUsageLedger {
    async fn record(&self, record: &UsageRecord) -> PortResult<()> {
        self.faults.check("UsageLedger::record").await?;
        let tokens = record.total_tokens();
        let hour = bucket_start(record.at);
        let mut state = self.lock();
        for key in [
            (QuotaScope::User, record.user_id.as_str().to_string()),
            (QuotaScope::Entity, record.entity_id.as_str().to_string()),
        ] {
            let count = state
                .buckets
                .entry(key)
                .or_default()
                .entry(hour)
                .or_insert(0);
            *count = count.saturating_add(tokens);
        }
        for (model, usage, counts_turn) in record.by_model() {
            let day = (
                record.at.date_naive(),
                record.chat_app_id.clone(),
                record.entity_id.clone(),
                model,
            );
            let (sum, turns) = state.daily.entry(day).or_default();
            *sum += usage;
            *turns = turns.saturating_add(u64::from(counts_turn));
        }
        Ok(())
    }

    async fn buckets(
        &self,
        scope: QuotaScope,
        key: &str,
        since: DateTime<Utc>,
    ) -> PortResult<Vec<UsageBucket>> {
        self.faults.check("UsageLedger::buckets").await?;
        Ok(self
            .lock()
            .buckets
            .get(&(scope, key.to_string()))
            .map(|b| {
                b.range(since..)
                    .map(|(start, tokens)| UsageBucket {
                        start: *start,
                        tokens: *tokens,
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn daily(&self, from: NaiveDate, to: NaiveDate) -> PortResult<Vec<DailyUsage>> {
        self.faults.check("UsageLedger::daily").await?;
        Ok(self
            .lock()
            .daily
            .iter()
            .filter(|((day, ..), _)| *day >= from && *day <= to)
            .map(to_daily)
            .collect())
    }

    async fn delete_user(&self, user: &UserId) -> PortResult<()> {
        self.faults.check("UsageLedger::delete_user").await?;
        self.lock()
            .buckets
            .remove(&(QuotaScope::User, user.as_str().to_string()));
        Ok(())
    }
}

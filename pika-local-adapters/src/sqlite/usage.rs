//! [`UsageLedger`] on SQLite.

use crate::sqlite::db::SqliteDb;
use crate::sqlite::support::{bad_data, to_i64, to_u64, Res};
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, NaiveDate, Utc};
use pika_domain::cost::Usage;
use pika_domain::ids::{ChatAppId, EntityId, UserId};
use pika_domain::quota::{bucket_start, QuotaScope, UsageBucket};
use pika_ports::{DailyUsage, PortResult, UsageLedger, UsageRecord};
use rusqlite::{params, Row};

/// Hourly token counters per user and per entity (`usage_buckets`) and daily
/// aggregates per day, chat app, entity and model (`usage_daily`) (see
/// [`UsageLedger`]). Every count is an atomic add in SQL
/// (`ON CONFLICT … DO UPDATE SET tokens = tokens + excluded.tokens`), and
/// the three adds of one record commit together.
#[derive(Clone, Debug)]
pub struct SqliteUsageLedger {
    db: SqliteDb,
}

impl SqliteUsageLedger {
    /// The ledger of `db`.
    pub fn new(db: SqliteDb) -> Self {
        Self { db }
    }
}

fn scope_text(scope: QuotaScope) -> &'static str {
    match scope {
        QuotaScope::User => "user",
        QuotaScope::Entity => "entity",
    }
}

/// The first whole microsecond at or after `at`.
fn micros_at_or_after(at: &DateTime<Utc>) -> i64 {
    let micros = at.timestamp_micros();
    if at.timestamp_subsec_nanos().is_multiple_of(1_000) {
        micros
    } else {
        micros.saturating_add(1)
    }
}

/// The hour buckets of a key from a start, oldest first.
pub(crate) const BUCKETS_SQL: &str = "SELECT hour_micros, tokens FROM usage_buckets \
     WHERE scope = ?1 AND key = ?2 AND hour_micros >= ?3 ORDER BY hour_micros";

/// The daily aggregates of a range of days.
pub(crate) const DAILY_SQL: &str = "SELECT day, chat_app_id, entity_id, model_id, \
     input_tokens, output_tokens, input_cost, output_cost, total_cost, turns \
     FROM usage_daily WHERE day >= ?1 AND day <= ?2 \
     ORDER BY day, chat_app_id, entity_id, model_id";

const ADD_TO_BUCKET: &str = "INSERT INTO usage_buckets (scope, key, hour_micros, tokens) \
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (scope, key, hour_micros) \
     DO UPDATE SET tokens = tokens + excluded.tokens";

/// Costs are rounded to a millionth of a dollar at every add, as
/// [`Usage`]'s own addition does.
const ADD_TO_DAY: &str = "INSERT INTO usage_daily (day, chat_app_id, entity_id, model_id, \
     input_tokens, output_tokens, input_cost, output_cost, total_cost, turns) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, round(?7, 6), round(?8, 6), round(?9, 6), ?10) \
     ON CONFLICT (day, chat_app_id, entity_id, model_id) DO UPDATE SET \
     input_tokens = input_tokens + excluded.input_tokens, \
     output_tokens = output_tokens + excluded.output_tokens, \
     input_cost = round(input_cost + excluded.input_cost, 6), \
     output_cost = round(output_cost + excluded.output_cost, 6), \
     total_cost = round(total_cost + excluded.total_cost, 6), \
     turns = turns + excluded.turns";

fn daily_of(row: &Row<'_>) -> Res<DailyUsage> {
    let day: String = row.get(0)?;
    let app: String = row.get(1)?;
    let entity: String = row.get(2)?;
    Ok(DailyUsage {
        day: day
            .parse::<NaiveDate>()
            .map_err(|_| bad_data(format!("{day:?} is not a day")))?,
        chat_app_id: ChatAppId::parse(app).map_err(bad_data)?,
        entity_id: EntityId::parse(entity).map_err(bad_data)?,
        model_id: row.get(3)?,
        usage: Usage {
            input_tokens: to_u64(row.get(4)?),
            output_tokens: to_u64(row.get(5)?),
            input_cost: row.get(6)?,
            output_cost: row.get(7)?,
            total_cost: row.get(8)?,
        },
        turns: to_u64(row.get(9)?),
    })
}

#[async_trait]
impl UsageLedger for SqliteUsageLedger {
    async fn record(&self, record: &UsageRecord) -> PortResult<()> {
        let r = record.clone();
        let tokens = to_i64(r.total_tokens());
        let hour = bucket_start(r.at);
        let hour = hour.timestamp_micros();
        self.db
            .write(move |tx| {
                let mut add = tx.prepare_cached(ADD_TO_BUCKET)?;
                add.execute(params!["user", r.user_id.as_str(), hour, tokens])?;
                add.execute(params!["entity", r.entity_id.as_str(), hour, tokens])?;
                let mut day = tx.prepare_cached(ADD_TO_DAY)?;
                for (model, usage, counts_turn) in r.by_model() {
                    day.execute(params![
                        r.at.date_naive().to_string(),
                        r.chat_app_id.as_str(),
                        r.entity_id.as_str(),
                        model,
                        to_i64(usage.input_tokens),
                        to_i64(usage.output_tokens),
                        usage.input_cost,
                        usage.output_cost,
                        usage.total_cost,
                        i64::from(counts_turn)
                    ])?;
                }
                Ok(())
            })
            .await
    }

    async fn buckets(
        &self,
        scope: QuotaScope,
        key: &str,
        since: DateTime<Utc>,
    ) -> PortResult<Vec<UsageBucket>> {
        let key = key.to_string();
        let since = micros_at_or_after(&since);
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(BUCKETS_SQL)?;
                let mut rows = stmt.query(params![scope_text(scope), key, since])?;
                let mut found = Vec::new();
                while let Some(row) = rows.next()? {
                    let micros: i64 = row.get(0)?;
                    let start = DateTime::from_timestamp_micros(micros)
                        .ok_or_else(|| bad_data(format!("{micros} is not a time")))?;
                    found.push(UsageBucket {
                        start,
                        tokens: to_u64(row.get(1)?),
                    });
                }
                Ok(found)
            })
            .await
    }

    async fn daily(&self, from: NaiveDate, to: NaiveDate) -> PortResult<Vec<DailyUsage>> {
        let (from, to) = (from.to_string(), to.to_string());
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(DAILY_SQL)?;
                let mut rows = stmt.query([from, to])?;
                let mut found = Vec::new();
                while let Some(row) = rows.next()? {
                    found.push(daily_of(row)?);
                }
                Ok(found)
            })
            .await
    }

    async fn delete_user(&self, user: &UserId) -> PortResult<()> {
        let user = user.as_str().to_string();
        self.db
            .write(move |tx| {
                tx.prepare_cached("DELETE FROM usage_buckets WHERE scope = 'user' AND key = ?1")?
                    .execute([user])?;
                Ok(())
            })
            .await
    }
}

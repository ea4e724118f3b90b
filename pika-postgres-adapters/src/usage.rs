//! [`UsageLedger`] on PostgreSQL.

use crate::db::{begin, commit, PostgresDb};
use crate::support::{bad_data, execute, get, query, to_i64, to_u64};
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, NaiveDate, Utc};
use pika_domain::cost::Usage;
use pika_domain::ids::{ChatAppId, EntityId, UserId};
use pika_domain::quota::{bucket_start, QuotaScope, UsageBucket};
use pika_ports::{DailyUsage, PortResult, UsageLedger, UsageRecord};
use tokio_postgres::Row;

/// Hourly token counters per user and per entity (`usage_buckets`) and daily
/// aggregates per day, chat app, entity and model (`usage_daily`) (see
/// [`UsageLedger`]). Every count is an atomic add in SQL
/// (`ON CONFLICT … DO UPDATE SET tokens = usage_buckets.tokens +
/// excluded.tokens`), which PostgreSQL applies to the row's latest
/// committed version after waiting for any writer holding it, so
/// concurrent servers never lose a count; the adds of one record commit
/// together.
#[derive(Clone, Debug)]
pub struct PostgresUsageLedger {
    db: PostgresDb,
}

impl PostgresUsageLedger {
    /// The ledger of `db`.
    pub fn new(db: PostgresDb) -> Self {
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

/// The hour buckets of a key from a start, oldest first (primary key).
const BUCKETS_SQL: &str = "SELECT hour_micros, tokens FROM usage_buckets \
     WHERE scope = $1 AND key = $2 AND hour_micros >= $3 ORDER BY hour_micros";

/// The daily aggregates of a range of days (primary key).
const DAILY_SQL: &str = "SELECT day, chat_app_id, entity_id, model_id, \
     input_tokens, output_tokens, input_cost, output_cost, total_cost, turns \
     FROM usage_daily WHERE day >= $1 AND day <= $2 \
     ORDER BY day, chat_app_id, entity_id, model_id";

const ADD_TO_BUCKET: &str = "INSERT INTO usage_buckets (scope, key, hour_micros, tokens) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (scope, key, hour_micros) \
     DO UPDATE SET tokens = usage_buckets.tokens + excluded.tokens";

/// Costs are rounded to a millionth of a dollar at every add, as
/// [`Usage`]'s own addition does. PostgreSQL rounds to decimal places only
/// `numeric`, hence the casts; the parameters are cast to `float8` first so
/// that they are bound as the `f64` they are.
const ADD_TO_DAY: &str = "INSERT INTO usage_daily (day, chat_app_id, entity_id, model_id, \
     input_tokens, output_tokens, input_cost, output_cost, total_cost, turns) \
     VALUES ($1, $2, $3, $4, $5, $6, \
     round($7::float8::numeric, 6)::float8, \
     round($8::float8::numeric, 6)::float8, \
     round($9::float8::numeric, 6)::float8, $10) \
     ON CONFLICT (day, chat_app_id, entity_id, model_id) DO UPDATE SET \
     input_tokens = usage_daily.input_tokens + excluded.input_tokens, \
     output_tokens = usage_daily.output_tokens + excluded.output_tokens, \
     input_cost = round((usage_daily.input_cost + excluded.input_cost)::numeric, 6)::float8, \
     output_cost = round((usage_daily.output_cost + excluded.output_cost)::numeric, 6)::float8, \
     total_cost = round((usage_daily.total_cost + excluded.total_cost)::numeric, 6)::float8, \
     turns = usage_daily.turns + excluded.turns";

fn daily_of(row: &Row) -> PortResult<DailyUsage> {
    let day: &str = get(row, 0)?;
    let app: &str = get(row, 1)?;
    let entity: &str = get(row, 2)?;
    Ok(DailyUsage {
        day: day
            .parse::<NaiveDate>()
            .map_err(|_| bad_data(format!("{day:?} is not a day")))?,
        chat_app_id: ChatAppId::parse(app).map_err(bad_data)?,
        entity_id: EntityId::parse(entity).map_err(bad_data)?,
        model_id: get(row, 3)?,
        usage: Usage {
            input_tokens: to_u64(get(row, 4)?),
            output_tokens: to_u64(get(row, 5)?),
            input_cost: get(row, 6)?,
            output_cost: get(row, 7)?,
            total_cost: get(row, 8)?,
        },
        turns: to_u64(get(row, 9)?),
    })
}

#[async_trait]
impl UsageLedger for PostgresUsageLedger {
    async fn record(&self, record: &UsageRecord) -> PortResult<()> {
        let r = record;
        let tokens = to_i64(r.total_tokens());
        let hour = bucket_start(r.at).timestamp_micros();
        let day = r.at.date_naive().to_string();
        // Each transaction locks its rows in one global order (its user's
        // bucket, its entity's bucket, then its day rows by model id, the
        // last column of their key), so concurrent records wait on one
        // another but never deadlock: a record whose `also` lists models in
        // another order than a concurrent one's would otherwise.
        let mut by_model = r.by_model();
        by_model.sort_by(|a, b| a.0.cmp(&b.0));
        let mut client = self.db.client().await?;
        let tx = begin(&mut client).await?;
        for (scope, key) in [
            ("user", r.user_id.as_str()),
            ("entity", r.entity_id.as_str()),
        ] {
            execute(&tx, ADD_TO_BUCKET, &[&scope, &key, &hour, &tokens]).await?;
        }
        for (model, usage, counts_turn) in &by_model {
            execute(
                &tx,
                ADD_TO_DAY,
                &[
                    &day,
                    &r.chat_app_id.as_str(),
                    &r.entity_id.as_str(),
                    model,
                    &to_i64(usage.input_tokens),
                    &to_i64(usage.output_tokens),
                    &usage.input_cost,
                    &usage.output_cost,
                    &usage.total_cost,
                    &i64::from(*counts_turn),
                ],
            )
            .await?;
        }
        commit(tx).await
    }

    async fn buckets(
        &self,
        scope: QuotaScope,
        key: &str,
        since: DateTime<Utc>,
    ) -> PortResult<Vec<UsageBucket>> {
        let since = micros_at_or_after(&since);
        let client = self.db.client().await?;
        query(&client, BUCKETS_SQL, &[&scope_text(scope), &key, &since])
            .await?
            .iter()
            .map(|row| {
                let micros: i64 = get(row, 0)?;
                let start = DateTime::from_timestamp_micros(micros)
                    .ok_or_else(|| bad_data(format!("{micros} is not a time")))?;
                Ok(UsageBucket {
                    start,
                    tokens: to_u64(get(row, 1)?),
                })
            })
            .collect()
    }

    async fn daily(&self, from: NaiveDate, to: NaiveDate) -> PortResult<Vec<DailyUsage>> {
        let client = self.db.client().await?;
        query(&client, DAILY_SQL, &[&from.to_string(), &to.to_string()])
            .await?
            .iter()
            .map(daily_of)
            .collect()
    }

    async fn delete_user(&self, user: &UserId) -> PortResult<()> {
        let client = self.db.client().await?;
        execute(
            &client,
            "DELETE FROM usage_buckets WHERE scope = 'user' AND key = $1",
            &[&user.as_str()],
        )
        .await?;
        Ok(())
    }
}

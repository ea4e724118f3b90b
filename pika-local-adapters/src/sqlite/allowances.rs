//! [`AllowanceStore`] on SQLite: the `allowances` table, one row per key
//! with its version. A write is one conditional statement (an insert for
//! a new key, an update naming the version), so several servers on one
//! database file never both take the last token. Rows well past their
//! `forget_after` are deleted as new keys arrive, so the table stays as
//! small as the set of recently active users and entities.

use crate::sqlite::db::SqliteDb;
use crate::sqlite::support::{from_json, time_key, to_json, Fail};
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Duration, Utc};
use pika_domain::fair_use::AllowanceState;
use pika_ports::{Allowance, AllowanceStore, PortError, PortResult};
use rusqlite::{params, OptionalExtension};

/// Rows removed at most per new key: housekeeping never makes one write slow.
const PURGE_BATCH: u32 = 64;

/// Fair-use state in the `allowances` table (see [`AllowanceStore`]).
#[derive(Clone, Debug)]
pub struct SqliteAllowances {
    db: SqliteDb,
}

impl SqliteAllowances {
    /// The allowances of `db`.
    pub fn new(db: SqliteDb) -> Self {
        Self { db }
    }
}

fn version_of(raw: i64) -> PortResult<u64> {
    u64::try_from(raw).map_err(|_| PortError::permanent("a stored allowance version is negative"))
}

#[async_trait]
impl AllowanceStore for SqliteAllowances {
    async fn load(&self, key: &str) -> PortResult<Option<Allowance>> {
        let key = key.to_string();
        let row: Option<(i64, String)> = self
            .db
            .read(move |conn| {
                Ok(conn
                    .prepare_cached("SELECT version, body FROM allowances WHERE key = ?1")?
                    .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()?)
            })
            .await?;
        row.map(|(version, body)| {
            Ok(Allowance {
                state: from_json(&body).map_err(Fail::into_port)?,
                version: version_of(version)?,
            })
        })
        .transpose()
    }

    async fn save(
        &self,
        key: &str,
        state: &AllowanceState,
        expected: Option<u64>,
        forget_after: DateTime<Utc>,
    ) -> PortResult<()> {
        let key = key.to_string();
        let body = to_json(state).map_err(Fail::into_port)?;
        let forget = time_key(&forget_after);
        let expected = expected
            .map(i64::try_from)
            .transpose()
            .map_err(|_| PortError::invalid("allowance version out of range"))?;
        // Housekeeping without a clock of its own: a state is written with
        // a `forget_after` at most a day past its writer's now, so a row
        // forgettable a day before this one's is past its time for sure.
        let stale = time_key(&(forget_after - Duration::days(1)));
        self.db
            .write(move |tx| {
                let written = match expected {
                    None => {
                        tx.prepare_cached(
                            "DELETE FROM allowances WHERE key IN (SELECT key FROM allowances \
                             WHERE forget_after < ?1 ORDER BY forget_after LIMIT ?2)",
                        )?
                        .execute(params![stale, PURGE_BATCH])?;
                        tx.prepare_cached(
                            "INSERT INTO allowances (key, version, body, forget_after) \
                             VALUES (?1, 1, ?2, ?3) ON CONFLICT (key) DO NOTHING",
                        )?
                        .execute(params![key, body, forget])?
                    }
                    Some(version) => tx
                        .prepare_cached(
                            "UPDATE allowances SET version = version + 1, body = ?2, \
                             forget_after = ?3 WHERE key = ?1 AND version = ?4",
                        )?
                        .execute(params![key, body, forget, version])?,
                };
                if written == 0 {
                    return Err(PortError::conflict("the allowance changed meanwhile").into());
                }
                Ok(())
            })
            .await
    }
}

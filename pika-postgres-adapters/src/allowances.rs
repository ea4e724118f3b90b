//! [`AllowanceStore`] on PostgreSQL: the `allowances` table, one row per
//! key with its version. A write is one conditional statement (an insert
//! for a new key, an update naming the version), which PostgreSQL checks
//! against the row's latest committed version after waiting for any writer
//! holding it, so several servers never both take the last token. Rows
//! well past their `forget_after` are deleted as new keys arrive, so the
//! table stays as small as the set of recently active users and entities.

use crate::db::{begin, commit, PostgresDb};
use crate::support::{body_at, execute, get, query_opt, time_key, to_json};
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Duration, Utc};
use pika_domain::fair_use::AllowanceState;
use pika_ports::{Allowance, AllowanceStore, PortError, PortResult};

/// Rows removed at most per new key: housekeeping never makes one write slow.
const PURGE_BATCH: i64 = 64;

/// Deletes up to `$2` rows forgettable before `$1`, oldest first. The rows
/// are locked as they are picked, and rows another transaction holds are
/// skipped: a row a concurrent write is refreshing is never deleted after
/// the write (it would be, by key, were the rows only picked and then
/// deleted), and two purges never wait on, or deadlock with, each other.
const PURGE_SQL: &str = "DELETE FROM allowances WHERE key IN (SELECT key FROM allowances \
     WHERE forget_after < $1 ORDER BY forget_after LIMIT $2 FOR UPDATE SKIP LOCKED)";

/// Fair-use state in the `allowances` table (see [`AllowanceStore`]).
#[derive(Clone, Debug)]
pub struct PostgresAllowances {
    db: PostgresDb,
}

impl PostgresAllowances {
    /// The allowances of `db`.
    pub fn new(db: PostgresDb) -> Self {
        Self { db }
    }
}

fn version_of(raw: i64) -> PortResult<u64> {
    u64::try_from(raw).map_err(|_| PortError::permanent("a stored allowance version is negative"))
}

#[async_trait]
impl AllowanceStore for PostgresAllowances {
    async fn load(&self, key: &str) -> PortResult<Option<Allowance>> {
        let client = self.db.client().await?;
        query_opt(
            &client,
            "SELECT version, body FROM allowances WHERE key = $1",
            &[&key],
        )
        .await?
        .map(|row| {
            Ok(Allowance {
                state: body_at(&row, 1)?,
                version: version_of(get(&row, 0)?)?,
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
        let body = to_json(state)?;
        let forget = time_key(&forget_after);
        let expected = expected
            .map(i64::try_from)
            .transpose()
            .map_err(|_| PortError::invalid("allowance version out of range"))?;
        let mut client = self.db.client().await?;
        let Some(version) = expected else {
            // Housekeeping without a clock of its own: a state is written
            // with a `forget_after` at most a day past its writer's now, so
            // a row forgettable a day before this one's is past its time
            // for sure. Same transaction as the insert, as in SQLite: a
            // refused write undoes its purge too.
            let stale = time_key(&(forget_after - Duration::days(1)));
            let tx = begin(&mut client).await?;
            execute(&tx, PURGE_SQL, &[&stale, &PURGE_BATCH]).await?;
            let written = execute(
                &tx,
                "INSERT INTO allowances (key, version, body, forget_after) \
                 VALUES ($1, 1, $2, $3) ON CONFLICT (key) DO NOTHING",
                &[&key, &body, &forget],
            )
            .await?;
            if written == 0 {
                return Err(conflict());
            }
            return commit(tx).await;
        };
        let written = execute(
            &client,
            "UPDATE allowances SET version = version + 1, body = $2, \
             forget_after = $3 WHERE key = $1 AND version = $4",
            &[&key, &body, &forget, &version],
        )
        .await?;
        if written == 0 {
            return Err(conflict());
        }
        Ok(())
    }
}

fn conflict() -> PortError {
    PortError::conflict("the allowance changed meanwhile")
}

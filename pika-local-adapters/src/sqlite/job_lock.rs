//! [`JobLock`] on SQLite.

use crate::sqlite::db::SqliteDb;
use crate::sqlite::support::time_key;
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_ports::{JobLock, PortResult};
use rusqlite::params;

/// Named locks in the `job_locks` table (see [`JobLock`]). Taking a lock is
/// one conditional upsert: it inserts a free lock, or takes over a row whose
/// holder is the same owner or whose expiry is at or before `now`.
#[derive(Clone, Debug)]
pub struct SqliteJobLock {
    db: SqliteDb,
}

impl SqliteJobLock {
    /// The locks of `db`.
    pub fn new(db: SqliteDb) -> Self {
        Self { db }
    }
}

#[async_trait]
impl JobLock for SqliteJobLock {
    async fn try_acquire(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> PortResult<bool> {
        let (name, owner) = (name.to_string(), owner.to_string());
        let (now, expires_at) = (time_key(&now), time_key(&expires_at));
        self.db
            .write(move |tx| {
                let taken = tx
                    .prepare_cached(
                        "INSERT INTO job_locks (name, owner, expires_at) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (name) DO UPDATE \
                         SET owner = excluded.owner, expires_at = excluded.expires_at \
                         WHERE job_locks.owner = excluded.owner OR job_locks.expires_at <= ?4",
                    )?
                    .execute(params![name, owner, expires_at, now])?;
                Ok(taken == 1)
            })
            .await
    }

    async fn release(&self, name: &str, owner: &str) -> PortResult<()> {
        let (name, owner) = (name.to_string(), owner.to_string());
        self.db
            .write(move |tx| {
                tx.prepare_cached("DELETE FROM job_locks WHERE name = ?1 AND owner = ?2")?
                    .execute([name, owner])?;
                Ok(())
            })
            .await
    }
}

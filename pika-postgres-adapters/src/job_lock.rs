//! [`JobLock`] on PostgreSQL.

use crate::db::PostgresDb;
use crate::support::{execute, time_key};
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_ports::{JobLock, PortResult};

/// Named locks in the `job_locks` table (see [`JobLock`]). Taking a lock is
/// one conditional upsert: it inserts a free lock, or takes over a row whose
/// holder is the same owner or whose expiry is at or before `now`.
/// PostgreSQL evaluates the takeover condition on the row's latest
/// committed version, after waiting for any concurrent writer of it, so of
/// several servers racing for one lock exactly one wins.
#[derive(Clone, Debug)]
pub struct PostgresJobLock {
    db: PostgresDb,
}

impl PostgresJobLock {
    /// The locks of `db`.
    pub fn new(db: PostgresDb) -> Self {
        Self { db }
    }
}

#[async_trait]
impl JobLock for PostgresJobLock {
    async fn try_acquire(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> PortResult<bool> {
        let client = self.db.client().await?;
        // One row changed (inserted, or taken over) when the lock is ours;
        // none when the update's condition refused the takeover.
        let taken = execute(
            &client,
            "INSERT INTO job_locks (name, owner, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE \
             SET owner = excluded.owner, expires_at = excluded.expires_at \
             WHERE job_locks.owner = excluded.owner OR job_locks.expires_at <= $4",
            &[&name, &owner, &time_key(&expires_at), &time_key(&now)],
        )
        .await?;
        Ok(taken == 1)
    }

    async fn release(&self, name: &str, owner: &str) -> PortResult<()> {
        let client = self.db.client().await?;
        execute(
            &client,
            "DELETE FROM job_locks WHERE name = $1 AND owner = $2",
            &[&name, &owner],
        )
        .await?;
        Ok(())
    }
}

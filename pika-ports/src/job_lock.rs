//! The job lock port: one run of a scheduled job at a time, with expiry so a
//! crashed run does not block the next ones forever.

use crate::error::PortResult;
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};

/// A named lock with an owner and an expiry.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait JobLock: Send + Sync {
    /// Takes the lock `name` for `owner` until `expires_at`, if it is free or
    /// its holder's expiry is at or before `now`. `Ok(true)` when taken,
    /// `Ok(false)` when someone else holds it. Taking a lock one already
    /// holds extends it.
    ///
    /// # Errors
    /// `Transient` / `Permanent`; a held lock is not an error.
    async fn try_acquire(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> PortResult<bool>;

    /// Releases the lock if `owner` holds it; otherwise does nothing.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn release(&self, name: &str, owner: &str) -> PortResult<()>;
}

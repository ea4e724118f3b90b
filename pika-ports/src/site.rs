//! The site configuration store: one versioned record (PIKA.md §4: the
//! site-level features every chat app starts from, quotas, turn limits,
//! insights), kept beside the chat apps in the configuration store.

use crate::error::PortResult;
use async_trait::async_trait;
use pika_domain::site::SiteRecord;

/// Stores the one site configuration record.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SiteStore: Send + Sync {
    /// The stored record; `Ok(None)` before one is stored.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn get(&self) -> PortResult<Option<SiteRecord>>;

    /// Stores `record` when none is stored (its `version` is stored as it is).
    ///
    /// # Errors
    /// - `Conflict` if a record is stored already (another process seeded it first).
    /// - `Transient` / `Permanent`.
    async fn create(&self, record: &SiteRecord) -> PortResult<()>;

    /// Replaces the stored record with `record` if the stored version is
    /// `expected_version` (the caller sets `record.version` to the next one).
    ///
    /// # Errors
    /// - `NotFound` if no record is stored.
    /// - `Conflict` if the stored version differs (someone changed it meanwhile).
    /// - `Transient` / `Permanent`.
    async fn update(&self, record: &SiteRecord, expected_version: u64) -> PortResult<()>;
}

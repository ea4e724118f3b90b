//! The in-memory [`SiteStore`]: one record, replaced only at the version the
//! caller read, as the DynamoDB adapter does with a condition on `version`.

use crate::faults::Faults;
use async_trait::async_trait;
use pika_domain::site::{SiteConfig, SiteRecord};
use pika_ports::{PortError, PortResult, SiteStore};
use std::sync::{Arc, Mutex, MutexGuard};

/// The site configuration in memory (see [`SiteStore`]).
#[derive(Default)]
pub struct InMemorySiteStore {
    record: Mutex<Option<SiteRecord>>,
    faults: Arc<Faults>,
}

impl InMemorySiteStore {
    /// An empty store without faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store whose calls go through `faults`.
    pub fn with_faults(faults: Arc<Faults>) -> Self {
        Self {
            faults,
            ..Self::default()
        }
    }

    /// The fault rules and call counts of this store.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    /// The stored record. Bypasses faults.
    pub fn current(&self) -> Option<SiteRecord> {
        self.lock().clone()
    }

    /// Stores `config` as the next version (version 1 when none is stored),
    /// as an administrator's change would. Bypasses faults: a test's setup.
    pub fn set(&self, config: SiteConfig) {
        let mut record = self.lock();
        let next = match record.take() {
            Some(mut r) => {
                r.version += 1;
                r.config = config;
                r
            }
            None => SiteRecord::seed(config, crate::fixtures::t0()),
        };
        *record = Some(next);
    }

    fn lock(&self) -> MutexGuard<'_, Option<SiteRecord>> {
        self.record.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl SiteStore for InMemorySiteStore {
    async fn get(&self) -> PortResult<Option<SiteRecord>> {
        self.faults.check("SiteStore::get").await?;
        Ok(self.lock().clone())
    }

    async fn create(&self, record: &SiteRecord) -> PortResult<()> {
        self.faults.check("SiteStore::create").await?;
        let mut stored = self.lock();
        if stored.is_some() {
            return Err(PortError::conflict(
                "the site configuration is stored already",
            ));
        }
        *stored = Some(record.clone());
        Ok(())
    }

    async fn update(&self, record: &SiteRecord, expected_version: u64) -> PortResult<()> {
        self.faults.check("SiteStore::update").await?;
        let mut stored = self.lock();
        match stored.as_ref() {
            None => Err(PortError::not_found("no site configuration is stored")),
            Some(s) if s.version != expected_version => Err(PortError::conflict(format!(
                "the site configuration is no longer at version {expected_version}"
            ))),
            Some(_) => {
                *stored = Some(record.clone());
                Ok(())
            }
        }
    }
}

//! [`SiteStore`] on PostgreSQL: the one site configuration row of the
//! `site` table, with the same optimistic concurrency as the other
//! configuration tables (`config.rs`).

use crate::config::{self, Versioned};
use crate::db::PostgresDb;
use async_trait::async_trait;
use pika_domain::site::SiteRecord;
use pika_ports::{PortResult, SiteStore};

/// The row's id: there is one site configuration (the table's `CHECK`
/// allows no other).
const CURRENT: &str = "current";

impl Versioned for SiteRecord {
    const TABLE: &'static str = "site";
    const KIND: &'static str = "site configuration";
    fn key(&self) -> &str {
        CURRENT
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn valid_key(raw: &str) -> bool {
        raw == CURRENT
    }
}

/// The site configuration in the `site` table (see [`SiteStore`]).
#[derive(Clone, Debug)]
pub struct PostgresSiteStore {
    db: PostgresDb,
}

impl PostgresSiteStore {
    /// The site configuration of `db`.
    pub fn new(db: PostgresDb) -> Self {
        Self { db }
    }
}

#[async_trait]
impl SiteStore for PostgresSiteStore {
    async fn get(&self) -> PortResult<Option<SiteRecord>> {
        config::get(&self.db, CURRENT).await
    }

    async fn create(&self, record: &SiteRecord) -> PortResult<()> {
        config::create(&self.db, record).await
    }

    async fn update(&self, record: &SiteRecord, expected_version: u64) -> PortResult<()> {
        config::update(&self.db, record, expected_version).await
    }
}

//! [`SiteStore`] on the `config` table: the one site configuration record
//! under `site#current`, replaced only at the version the caller read.

use super::versioned::{self, Versioned};
use crate::dynamodb::Dynamo;
use async_trait::async_trait;
use pika_domain::site::SiteRecord;
use pika_ports::{PortResult, SiteStore};

/// The record's id: there is one site configuration.
const CURRENT: &str = "current";

impl Versioned for SiteRecord {
    const KIND: &'static str = "site";
    const WHAT: &'static str = "site configuration";
    fn id(&self) -> &str {
        CURRENT
    }
}

/// The site configuration (see [`SiteStore`]).
#[derive(Debug, Clone)]
pub struct DynamoSiteStore {
    dynamo: Dynamo,
}

impl DynamoSiteStore {
    /// The site configuration of `dynamo`'s `config` table.
    pub fn new(dynamo: Dynamo) -> Self {
        Self { dynamo }
    }
}

#[async_trait]
impl SiteStore for DynamoSiteStore {
    async fn get(&self) -> PortResult<Option<SiteRecord>> {
        versioned::get(&self.dynamo, CURRENT).await
    }

    async fn create(&self, record: &SiteRecord) -> PortResult<()> {
        versioned::create(&self.dynamo, record).await
    }

    async fn update(&self, record: &SiteRecord, expected_version: u64) -> PortResult<()> {
        versioned::update(&self.dynamo, record, expected_version).await
    }
}

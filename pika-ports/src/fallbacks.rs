//! What a deployment without an optional service uses instead: no search
//! index, no user memory, no metrics (and, in `knowledge`, no knowledge
//! bases). The platform builder defaults to these.

use crate::{
    MemoryExchange, MetricBatch, MetricsSink, Page, PageRequest, PortError, PortResult,
    SearchDocument, SearchHit, SearchIndex, SearchQuery, UserMemory,
};
use async_trait::async_trait;
use pika_domain::ids::{SessionId, UserId};
use pika_domain::memory::{MemoryRecord, MemoryStrategy};

/// Search without an index: writes are dropped (turns must not fail for
/// it), searching is refused. The API answers 503 before it gets here.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSearch;

#[async_trait]
impl SearchIndex for NoSearch {
    async fn index(&self, _doc: &SearchDocument) -> PortResult<()> {
        Ok(())
    }
    async fn set_session_score(&self, _session: &SessionId, _score: u8) -> PortResult<()> {
        Ok(())
    }
    async fn search(
        &self,
        _query: &SearchQuery,
        _page: PageRequest,
    ) -> PortResult<Page<SearchHit>> {
        Err(PortError::permanent(
            "search is not configured on this deployment",
        ))
    }
    async fn delete_session(&self, _session: &SessionId) -> PortResult<()> {
        Ok(())
    }
    async fn delete_user(&self, _user: &UserId) -> PortResult<()> {
        Ok(())
    }
}

/// User memory switched off: nothing is remembered, nothing retrieved.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMemory;

#[async_trait]
impl UserMemory for NoMemory {
    async fn retrieve(
        &self,
        _user: &UserId,
        _strategy: MemoryStrategy,
        _query: &str,
        _limit: u32,
    ) -> PortResult<Vec<MemoryRecord>> {
        Ok(Vec::new())
    }
    async fn record(&self, _exchange: &MemoryExchange) -> PortResult<()> {
        Ok(())
    }
    async fn list(&self, _user: &UserId, _page: PageRequest) -> PortResult<Page<MemoryRecord>> {
        Ok(Page::last(Vec::new()))
    }
    async fn delete_user(&self, _user: &UserId) -> PortResult<()> {
        Ok(())
    }
}

/// Metrics switched off: every batch is dropped.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMetrics;

impl MetricsSink for NoMetrics {
    fn emit(&self, _batch: &MetricBatch) {}
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn nothing_is_searched_or_remembered_without_the_services() {
        futures::executor::block_on(async {
            let query = SearchQuery {
                text: "x".into(),
                ..SearchQuery::default()
            };
            let err = NoSearch
                .search(&query, PageRequest::default())
                .await
                .unwrap_err();
            assert!(err.message.contains("not configured"));
            let user = UserId::parse("alice").unwrap();
            let page = NoMemory.list(&user, PageRequest::default()).await.unwrap();
            assert!(page.items.is_empty());
        });
    }
}

//! What a deployment without an optional service uses instead: no search
//! index, no user memory; and the file store split over the uploads and the
//! insights buckets.

use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{SessionId, UserId};
use pika_domain::memory::{MemoryRecord, MemoryStrategy};
use pika_ports::{
    FileStore, MemoryExchange, ObjectInfo, Page, PageRequest, PortError, PortResult, PresignedUrl,
    SearchDocument, SearchHit, SearchIndex, SearchQuery, UploadGrant, UserMemory,
};

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

/// The insight documents' key prefix: those objects live in their own
/// (versioned) bucket.
const INSIGHTS_PREFIX: &str = "session-insights/";

/// One file store over two buckets: insight documents in one, everything
/// else (uploads) in the other.
pub struct SplitFileStore<F, I> {
    files: F,
    insights: I,
}

impl<F: FileStore, I: FileStore> SplitFileStore<F, I> {
    /// Uploads in `files`, insight documents in `insights`.
    pub fn new(files: F, insights: I) -> Self {
        Self { files, insights }
    }

    fn store(&self, key: &str) -> &dyn FileStore {
        if key.starts_with(INSIGHTS_PREFIX) {
            &self.insights
        } else {
            &self.files
        }
    }
}

#[async_trait]
impl<F: FileStore, I: FileStore> FileStore for SplitFileStore<F, I> {
    async fn presign_upload(&self, grant: &UploadGrant) -> PortResult<PresignedUrl> {
        self.store(&grant.key).presign_upload(grant).await
    }
    async fn presign_download(
        &self,
        key: &str,
        expires_at: DateTime<Utc>,
    ) -> PortResult<PresignedUrl> {
        self.store(key).presign_download(key, expires_at).await
    }
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> PortResult<()> {
        self.store(key).put(key, body, content_type).await
    }
    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        self.store(key).get(key).await
    }
    async fn head(&self, key: &str) -> PortResult<Option<ObjectInfo>> {
        self.store(key).head(key).await
    }
    async fn delete_prefix(&self, prefix: &str) -> PortResult<u64> {
        // A prefix may span both buckets (e.g. everything of a user).
        let insights = if INSIGHTS_PREFIX.starts_with(prefix) || prefix.starts_with(INSIGHTS_PREFIX)
        {
            self.insights.delete_prefix(prefix).await?
        } else {
            0
        };
        let files = if prefix.starts_with(INSIGHTS_PREFIX) {
            0
        } else {
            self.files.delete_prefix(prefix).await?
        };
        Ok(insights + files)
    }
    async fn purge_deleted(&self, prefix: &str) -> PortResult<u64> {
        // Only the insights bucket keeps versions.
        if INSIGHTS_PREFIX.starts_with(prefix) || prefix.starts_with(INSIGHTS_PREFIX) {
            self.insights.purge_deleted(prefix).await
        } else {
            Ok(0)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use pika_testkit::fakes::files::InMemoryFileStore;

    fn split() -> SplitFileStore<InMemoryFileStore, InMemoryFileStore> {
        SplitFileStore::new(InMemoryFileStore::new(), InMemoryFileStore::new())
    }

    #[tokio::test]
    async fn insight_documents_and_uploads_go_to_their_own_buckets() {
        let store = split();
        let doc = "session-insights/support/alice/s1.json";
        let upload = "uploads/alice/s1/f1-notes.txt";
        store
            .put(doc, b"{}".to_vec(), "application/json")
            .await
            .unwrap();
        store
            .put(upload, b"hi".to_vec(), "text/plain")
            .await
            .unwrap();

        assert_eq!(store.insights.keys(), [doc]);
        assert_eq!(store.files.keys(), [upload]);
        assert_eq!(store.get(doc).await.unwrap(), Some(b"{}".to_vec()));
        assert_eq!(store.get(upload).await.unwrap(), Some(b"hi".to_vec()));

        assert_eq!(store.delete_prefix("uploads/alice/").await.unwrap(), 1);
        assert_eq!(
            store.insights.keys(),
            [doc],
            "an uploads prefix leaves the insights"
        );
        assert_eq!(
            store
                .delete_prefix("session-insights/support/alice/")
                .await
                .unwrap(),
            1
        );
        assert!(store.insights.keys().is_empty());
    }

    #[tokio::test]
    async fn nothing_is_searched_or_remembered_without_the_services() {
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
    }
}

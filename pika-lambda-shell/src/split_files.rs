//! One file store over the deployment's buckets (docs/storage.md): insight
//! documents in the versioned insights bucket, component modules in the
//! assets bucket, everything else (uploads) in the files bucket.

use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::tag::COMPONENTS_PREFIX;
use pika_ports::{FileStore, ObjectInfo, PortResult, PresignedUrl, UploadGrant};
use std::sync::Arc;

/// The insight documents' key prefix.
pub const INSIGHTS_PREFIX: &str = "session-insights/";

/// Routes each key to the bucket of its prefix.
pub struct SplitFileStore {
    files: Arc<dyn FileStore>,
    /// (prefix, store), checked in order.
    routed: Vec<(&'static str, Arc<dyn FileStore>)>,
}

impl SplitFileStore {
    /// Uploads in `files`, insight documents in `insights`, component
    /// modules in `assets`.
    pub fn new(
        files: Arc<dyn FileStore>,
        insights: Arc<dyn FileStore>,
        assets: Arc<dyn FileStore>,
    ) -> Self {
        Self {
            files,
            routed: vec![(INSIGHTS_PREFIX, insights), (COMPONENTS_PREFIX, assets)],
        }
    }

    fn store(&self, key: &str) -> &dyn FileStore {
        self.routed
            .iter()
            .find(|(prefix, _)| key.starts_with(prefix))
            .map_or(self.files.as_ref(), |(_, store)| store.as_ref())
    }

    /// The routed stores a `prefix` reaches into (it may span several, e.g.
    /// everything of a user), and whether it reaches the files bucket.
    fn reached(&self, prefix: &str) -> (Vec<&dyn FileStore>, bool) {
        let routed = self
            .routed
            .iter()
            .filter(|(p, _)| p.starts_with(prefix) || prefix.starts_with(p))
            .map(|(_, s)| s.as_ref())
            .collect();
        let files = !self.routed.iter().any(|(p, _)| prefix.starts_with(p));
        (routed, files)
    }
}

#[async_trait]
impl FileStore for SplitFileStore {
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
        let (routed, files) = self.reached(prefix);
        let mut deleted = 0;
        for store in routed {
            deleted += store.delete_prefix(prefix).await?;
        }
        if files {
            deleted += self.files.delete_prefix(prefix).await?;
        }
        Ok(deleted)
    }
    async fn purge_deleted(&self, prefix: &str) -> PortResult<u64> {
        // Only the versioned buckets keep versions; the files bucket has none.
        let mut purged = 0;
        for store in self.reached(prefix).0 {
            purged += store.purge_deleted(prefix).await?;
        }
        Ok(purged)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use pika_testkit::fakes::files::InMemoryFileStore;

    struct Buckets {
        files: Arc<InMemoryFileStore>,
        insights: Arc<InMemoryFileStore>,
        assets: Arc<InMemoryFileStore>,
        split: SplitFileStore,
    }

    fn buckets() -> Buckets {
        let files = Arc::new(InMemoryFileStore::new());
        let insights = Arc::new(InMemoryFileStore::new());
        let assets = Arc::new(InMemoryFileStore::new());
        let split = SplitFileStore::new(files.clone(), insights.clone(), assets.clone());
        Buckets {
            files,
            insights,
            assets,
            split,
        }
    }

    #[tokio::test]
    async fn each_kind_of_object_goes_to_its_own_bucket() {
        let b = buckets();
        let store = &b.split;
        let doc = "session-insights/support/alice/s1.json";
        let upload = "uploads/alice/s1/f1-notes.txt";
        let module = "components/chart.js";
        store
            .put(doc, b"{}".to_vec(), "application/json")
            .await
            .unwrap();
        store
            .put(upload, b"hi".to_vec(), "text/plain")
            .await
            .unwrap();
        store
            .put(module, b"//".to_vec(), "text/javascript")
            .await
            .unwrap();

        assert_eq!(b.insights.keys(), [doc]);
        assert_eq!(b.files.keys(), [upload]);
        assert_eq!(b.assets.keys(), [module]);
        assert_eq!(store.get(doc).await.unwrap(), Some(b"{}".to_vec()));
        assert_eq!(store.get(upload).await.unwrap(), Some(b"hi".to_vec()));
        assert_eq!(store.get(module).await.unwrap(), Some(b"//".to_vec()));

        assert_eq!(store.delete_prefix("uploads/alice/").await.unwrap(), 1);
        assert_eq!(
            b.insights.keys(),
            [doc],
            "an uploads prefix leaves the insights"
        );
        assert_eq!(b.assets.keys(), [module], "and the components");
        assert_eq!(
            store
                .delete_prefix("session-insights/support/alice/")
                .await
                .unwrap(),
            1
        );
        assert!(b.insights.keys().is_empty());
        assert_eq!(b.assets.keys(), [module]);
    }
}

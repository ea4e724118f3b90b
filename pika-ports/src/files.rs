//! The file store port: presigned uploads and downloads, insight documents.

use crate::error::PortResult;
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a presigned upload allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadGrant {
    /// The one key it may write.
    pub key: String,
    /// The content type it must send.
    pub content_type: String,
    /// Its exact length in bytes (bound into the signature).
    pub content_length: u64,
    /// When the URL stops working.
    pub expires_at: DateTime<Utc>,
}

/// A presigned URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresignedUrl {
    /// The URL.
    pub url: String,
    /// `PUT` or `GET`.
    pub method: String,
    /// Headers the client must send as they are.
    pub headers: Vec<(String, String)>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// What the store knows of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Its size in bytes.
    pub size: u64,
    /// Its content type.
    pub content_type: Option<String>,
}

/// Stores files.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait FileStore: Send + Sync {
    /// A URL that lets a client `PUT` exactly what `grant` allows, with
    /// server-side encryption requested.
    ///
    /// # Errors
    /// `Invalid` for a key the store refuses; `Permanent` on misconfiguration.
    async fn presign_upload(&self, grant: &UploadGrant) -> PortResult<PresignedUrl>;

    /// A URL that lets a client `GET` `key` until `expires_at`.
    ///
    /// # Errors
    /// `Invalid` for a key the store refuses; `Permanent` on misconfiguration.
    async fn presign_download(
        &self,
        key: &str,
        expires_at: DateTime<Utc>,
    ) -> PortResult<PresignedUrl>;

    /// Writes an object (insight documents).
    ///
    /// # Errors
    /// - `Invalid` for a key the store refuses (empty, or with a `..` segment).
    /// - `Transient` / `Permanent`.
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> PortResult<()>;

    /// Reads an object; `Ok(None)` when absent.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>>;

    /// Describes an object; `Ok(None)` when absent.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn head(&self, key: &str) -> PortResult<Option<ObjectInfo>>;

    /// Deletes every object under `prefix` and returns how many.
    ///
    /// # Errors
    /// - `Invalid` for an empty prefix (it would delete everything).
    /// - `Transient` / `Permanent`.
    async fn delete_prefix(&self, prefix: &str) -> PortResult<u64>;

    /// Purges what deletions under `prefix` left behind in a store that
    /// keeps old versions: every version and delete marker of each object
    /// whose latest version is a delete marker. Returns how many objects
    /// were purged; a store without versions has nothing to purge.
    ///
    /// Deleting and purging are apart so that the function facing users
    /// may delete (a delete marker) without the right to destroy history,
    /// and a scheduled job finishes the erasure.
    ///
    /// # Errors
    /// - `Invalid` for an empty prefix.
    /// - `Transient` / `Permanent`.
    async fn purge_deleted(&self, prefix: &str) -> PortResult<u64> {
        if prefix.is_empty() {
            return Err(crate::PortError::invalid(
                "an empty prefix names everything",
            ));
        }
        Ok(0)
    }
}

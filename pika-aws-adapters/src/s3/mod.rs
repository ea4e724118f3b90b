//! [`S3FileStore`]: the [`FileStore`] port on one S3 bucket (docs/storage.md,
//! "S3"): presigned uploads and downloads for clients, insight documents
//! written and read by the service.
//!
//! - Presigned `PUT` URLs sign the content type, the exact content length
//!   and `x-amz-server-side-encryption` (and the KMS key id when one is
//!   configured), so S3 refuses any other body; [`PresignedUrl::headers`]
//!   lists what the client must send.
//! - Presigned URLs reach only `uploads/…` and `session-insights/…`; every
//!   call refuses empty keys and `.`/`..` segments (`Invalid`).
//! - Every write asks for server-side encryption: `AES256`, or `aws:kms`
//!   with the configured key.
//! - `get` and `head` read a missing object as `None`.

mod encryption;
mod keys;
mod prefix_delete;
mod presign;

use crate::aws::{classify, SdkConfig};
use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use encryption::Encryption;
use keys::{check_key, check_prefix, check_presignable};
use pika_domain::chrono::{DateTime, Utc};
use pika_ports::{FileStore, ObjectInfo, PortError, PortResult, PresignedUrl, UploadGrant};

/// Where the store's objects live and how they are encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// The bucket holding uploads and insight documents.
    pub bucket: String,
    /// A KMS key id, alias or ARN: objects are then encrypted with
    /// `aws:kms` under it; `None` for S3-managed keys (`AES256`).
    pub kms_key_id: Option<String>,
    /// Address buckets as `{endpoint}/{bucket}` rather than
    /// `{bucket}.{endpoint}`: needed for emulators on `127.0.0.1`.
    pub force_path_style: bool,
    /// The bucket keeps versions and this process may destroy them:
    /// deleting removes every version and delete marker too, and
    /// [`FileStore::purge_deleted`] finishes what deletions elsewhere
    /// (delete markers only) began. Off, deleting leaves a delete marker
    /// and purging does nothing: the function facing users gets no
    /// `s3:DeleteObjectVersion`.
    pub versioned: bool,
}

impl S3Config {
    /// `bucket` with S3-managed encryption and virtual-hosted addressing.
    pub fn new(bucket: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            kms_key_id: None,
            force_path_style: false,
            versioned: false,
        }
    }
}

/// A [`FileStore`] on an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3FileStore {
    client: Client,
    bucket: String,
    encryption: Encryption,
    versioned: bool,
}

impl S3FileStore {
    /// A store for `config`, with a client built from `sdk` (region,
    /// credentials, endpoint) and the configured addressing style.
    pub fn new(sdk: &SdkConfig, config: S3Config) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(config.force_path_style)
            .timeout_config(crate::aws::store_timeouts())
            .build();
        Self::with_client(Client::from_conf(s3), config)
    }

    /// A store using `client` as it is (its addressing style included;
    /// `config.force_path_style` is ignored). Tests use it to add
    /// interceptors.
    pub fn with_client(client: Client, config: S3Config) -> Self {
        Self {
            client,
            encryption: Encryption::from_kms_key(config.kms_key_id.as_deref()),
            bucket: config.bucket,
            versioned: config.versioned,
        }
    }

    /// The bucket this store writes to.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

#[async_trait]
impl FileStore for S3FileStore {
    async fn presign_upload(&self, grant: &UploadGrant) -> PortResult<PresignedUrl> {
        check_presignable(&grant.key)?;
        let length = i64::try_from(grant.content_length).map_err(|_| {
            PortError::invalid(format!(
                "content length {} is too large",
                grant.content_length
            ))
        })?;
        let window = presign::window(Utc::now(), grant.expires_at)?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&grant.key)
            .content_type(&grant.content_type)
            .content_length(length)
            .server_side_encryption(self.encryption.algorithm())
            .set_ssekms_key_id(self.encryption.kms_key_id())
            .presigned(window.config)
            .await
            .map_err(|e| classify("s3 presign PutObject", e))?;
        Ok(presign::to_presigned_url(&request, window.expires_at))
    }

    async fn presign_download(
        &self,
        key: &str,
        expires_at: DateTime<Utc>,
    ) -> PortResult<PresignedUrl> {
        check_presignable(key)?;
        let window = presign::window(Utc::now(), expires_at)?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(window.config)
            .await
            .map_err(|e| classify("s3 presign GetObject", e))?;
        Ok(presign::to_presigned_url(&request, window.expires_at))
    }

    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> PortResult<()> {
        check_key(key)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .server_side_encryption(self.encryption.algorithm())
            .set_ssekms_key_id(self.encryption.kms_key_id())
            .send()
            .await
            .map_err(|e| classify("s3 PutObject", e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        // No object can have a refused key: this store never writes one.
        if check_key(key).is_err() {
            return Ok(None);
        }
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(classify("s3 GetObject", e)),
        };
        let body = out.body.collect().await.map_err(|e| {
            PortError::transient(format!("s3 GetObject {key:?}: reading the body: {e}"))
                .with_source(e)
        })?;
        Ok(Some(body.into_bytes().to_vec()))
    }

    async fn head(&self, key: &str) -> PortResult<Option<ObjectInfo>> {
        if check_key(key).is_err() {
            return Ok(None);
        }
        // HEAD answers carry no body, so a missing key is a bare 404
        // ("NotFound"), not `NoSuchKey`.
        let out = match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => return Ok(None),
            Err(e) => return Err(classify("s3 HeadObject", e)),
        };
        Ok(Some(ObjectInfo {
            size: out
                .content_length()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            content_type: out.content_type().map(str::to_string),
        }))
    }

    async fn delete_prefix(&self, prefix: &str) -> PortResult<u64> {
        check_prefix(prefix)?;
        if self.versioned {
            prefix_delete::delete_prefix_versions(&self.client, &self.bucket, prefix).await
        } else {
            prefix_delete::delete_prefix(&self.client, &self.bucket, prefix).await
        }
    }

    async fn purge_deleted(&self, prefix: &str) -> PortResult<u64> {
        check_prefix(prefix)?;
        if !self.versioned {
            return Ok(0);
        }
        prefix_delete::purge_deleted(&self.client, &self.bucket, prefix).await
    }
}

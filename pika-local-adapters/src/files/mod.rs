//! [`LocalFileStore`]: the [`FileStore`] port on a directory, with
//! HMAC-signed, expiring URLs that the local server's file routes check.
//!
//! Layout under the root: `objects/<key>` holds each object's bytes,
//! `meta/<key>` its content type (JSON), `tmp/` writes in progress (each
//! write lands by an atomic rename). Keys are checked before they touch the
//! disk and symbolic links are never followed, so nothing outside the root
//! is ever read or written.

mod keys;
mod prefix;
mod signing;

pub use signing::{FileRequest, SignedMethod, SignedQuery, UrlError, VerifiedRequest};

use async_trait::async_trait;
use keys::{check_key, check_prefix, encode_component, encode_key, path_under};
use pika_domain::chrono::{DateTime, Utc};
use pika_ports::{FileStore, ObjectInfo, PortError, PortResult, PresignedUrl, UploadGrant};
use serde::{Deserialize, Serialize};
use std::io::ErrorKind as IoKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// An object read back for a download route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// Its bytes.
    pub body: Vec<u8>,
    /// Its content type, when one was stored.
    pub content_type: Option<String>,
}

/// What `meta/<key>` holds.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    content_type: String,
}

/// A [`FileStore`] on a local directory.
///
/// Presigned URLs are `{base}/files/{key}?method=PUT&expires={unix}&ct={type}&len={n}&sig={sig}`
/// (downloads without `ct` and `len`), where `sig` is the unpadded base64url
/// HMAC-SHA256 of key, method, expiry, type and length under the signing
/// key. Expiry is rounded down to the second. The local server's routes
/// check them with [`LocalFileStore::verify`] and then call
/// [`LocalFileStore::write_uploaded`] or [`LocalFileStore::read`].
///
/// `get` and `head` of a key the store refuses find nothing; `put`, the
/// presign methods and `delete_prefix` refuse it (`Invalid`). A key cannot
/// be both an object and a folder of other keys: writing one over the other
/// is `Invalid`. Disk errors are `Permanent`.
pub struct LocalFileStore {
    root: PathBuf,
    base_url: String,
    signing_key: Vec<u8>,
}

/// Staged writes so far in this process: with the process id, a name no
/// other write uses.
static STAGED: AtomicU64 = AtomicU64::new(0);

fn io_failed(what: &str, path: &Path, err: std::io::Error) -> PortError {
    PortError::permanent(format!("file store: {what} {}: {err}", path.display())).with_source(err)
}

/// Why a staged file did not reach its place.
enum Misplaced {
    /// The key cannot be written (or the disk failed while preparing).
    Refused(PortError),
    /// The move itself failed.
    Io(PathBuf, std::io::Error),
}

/// The kind of whatever is at `path`, without following a link.
async fn kind_at(path: &Path) -> PortResult<Option<std::fs::FileType>> {
    match tokio::fs::symlink_metadata(path).await {
        Ok(meta) => Ok(Some(meta.file_type())),
        Err(e) if e.kind() == IoKind::NotFound => Ok(None),
        Err(e) => Err(io_failed("inspect", path, e)),
    }
}

impl LocalFileStore {
    /// A store under `root_dir` (created on first write) whose URLs start
    /// with `public_base_url` (e.g. `http://localhost:8080`) and are signed
    /// with `signing_key` (32 random bytes or more; an empty key makes the
    /// presign methods fail with `Permanent`).
    pub fn new(
        root_dir: impl Into<PathBuf>,
        public_base_url: String,
        signing_key: Vec<u8>,
    ) -> Self {
        Self {
            root: root_dir.into(),
            base_url: public_base_url.trim_end_matches('/').to_string(),
            signing_key,
        }
    }

    fn objects(&self) -> PathBuf {
        self.root.join("objects")
    }

    fn metas(&self) -> PathBuf {
        self.root.join("meta")
    }

    /// The file of a checked key under `base`, when every folder on the way
    /// is a real folder and the file a regular file.
    async fn real_file(base: &Path, key: &str) -> PortResult<Option<PathBuf>> {
        let mut path = base.to_path_buf();
        let segments: Vec<&str> = key.split('/').collect();
        for (i, segment) in segments.iter().enumerate() {
            path.push(segment);
            let Some(kind) = kind_at(&path).await? else {
                return Ok(None);
            };
            let last = i + 1 == segments.len();
            if (last && !kind.is_file()) || (!last && !kind.is_dir()) {
                return Ok(None);
            }
        }
        Ok(Some(path))
    }

    /// Makes the folders of `key` under `base`, refusing to pass through
    /// anything that is not a real folder, and clears an empty folder left
    /// where the object goes.
    async fn prepare(&self, base: &Path, key: &str) -> PortResult<PathBuf> {
        let target = path_under(base, key);
        let mut path = base.to_path_buf();
        let segments: Vec<&str> = key.split('/').collect();
        for segment in &segments[..segments.len() - 1] {
            path.push(segment);
            match kind_at(&path).await? {
                Some(kind) if kind.is_dir() => {}
                Some(_) => {
                    return Err(PortError::invalid(format!(
                        "object key {key:?} passes through another object"
                    )))
                }
                None => tokio::fs::create_dir_all(&path)
                    .await
                    .map_err(|e| io_failed("create", &path, e))?,
            }
        }
        let Some(kind) = kind_at(&target).await? else {
            return Ok(target);
        };
        if kind.is_dir() {
            // An empty folder left by a delete gives way; a full one is a
            // folder of other keys.
            if tokio::fs::remove_dir(&target).await.is_err() {
                return Err(PortError::invalid(format!(
                    "object key {key:?} names a folder of other objects"
                )));
            }
        } else if !kind.is_file() {
            return Err(PortError::invalid(format!(
                "object key {key:?} names something that is not a file"
            )));
        }
        Ok(target)
    }

    /// Writes `bytes` to a fresh file under `tmp/` and returns its path.
    async fn stage(&self, bytes: &[u8]) -> PortResult<PathBuf> {
        let tmp = self.root.join("tmp");
        tokio::fs::create_dir_all(&tmp)
            .await
            .map_err(|e| io_failed("create", &tmp, e))?;
        let n = STAGED.fetch_add(1, Ordering::Relaxed);
        let stamp = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        let path = tmp.join(format!("{}-{stamp}-{n}", std::process::id()));
        tokio::fs::write(&path, bytes)
            .await
            .map_err(|e| io_failed("write", &path, e))?;
        Ok(path)
    }

    /// Moves `staged` to `key` under `base`. A delete may prune the new
    /// folders between `prepare` and the move: then it prepares once more.
    async fn place(&self, base: &Path, key: &str, staged: &Path) -> PortResult<()> {
        let mut result = self.try_place(base, key, staged).await;
        if matches!(&result, Err(Misplaced::Io(_, e)) if e.kind() == IoKind::NotFound) {
            result = self.try_place(base, key, staged).await;
        }
        let err = match result {
            Ok(()) => return Ok(()),
            Err(Misplaced::Refused(e)) => e,
            Err(Misplaced::Io(target, e)) => io_failed("move into place", &target, e),
        };
        let _ = tokio::fs::remove_file(staged).await;
        Err(err)
    }

    async fn try_place(&self, base: &Path, key: &str, staged: &Path) -> Result<(), Misplaced> {
        let target = self.prepare(base, key).await.map_err(Misplaced::Refused)?;
        tokio::fs::rename(staged, &target)
            .await
            .map_err(|e| Misplaced::Io(target, e))
    }

    async fn write(&self, key: &str, body: &[u8], content_type: &str) -> PortResult<()> {
        check_key(key)?;
        let meta = serde_json::to_vec(&Meta {
            content_type: content_type.to_string(),
        })
        .map_err(|e| PortError::permanent(format!("file store: meta: {e}")).with_source(e))?;
        let staged_meta = self.stage(&meta).await?;
        self.place(&self.metas(), key, &staged_meta).await?;
        let staged_object = self.stage(body).await?;
        self.place(&self.objects(), key, &staged_object).await
    }

    async fn read_meta(&self, key: &str) -> Option<String> {
        let path = Self::real_file(&self.metas(), key).await.ok()??;
        let bytes = tokio::fs::read(path).await.ok()?;
        serde_json::from_slice::<Meta>(&bytes)
            .ok()
            .map(|m| m.content_type)
    }

    fn presign(
        &self,
        key: &str,
        method: SignedMethod,
        expires_at: DateTime<Utc>,
        upload: Option<(&str, u64)>,
    ) -> PortResult<PresignedUrl> {
        check_key(key)?;
        let expires = expires_at.timestamp();
        let (ct, len) = (upload.map(|u| u.0), upload.map(|u| u.1));
        let sig = signing::sign(&self.signing_key, key, method, expires, ct, len)
            .ok_or_else(|| PortError::permanent("file store: no signing key configured"))?;
        let mut url = format!(
            "{}/files/{}?method={}&expires={expires}",
            self.base_url,
            encode_key(key),
            method.as_str()
        );
        let mut headers = Vec::new();
        if let Some((ct, len)) = upload {
            url.push_str(&format!("&ct={}&len={len}", encode_component(ct)));
            headers.push(("content-type".to_string(), ct.to_string()));
        }
        url.push_str(&format!("&sig={sig}"));
        Ok(PresignedUrl {
            url,
            method: method.as_str().to_string(),
            headers,
            expires_at: DateTime::from_timestamp(expires, 0).unwrap_or(expires_at),
        })
    }

    /// Checks a request on a signed URL at `now`: key, signature (compared
    /// in constant time), expiry, method, and for an upload the content
    /// type and length it declares.
    ///
    /// # Errors
    /// The first [`UrlError`] found.
    pub fn verify(
        &self,
        request: &FileRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<VerifiedRequest, UrlError> {
        check_key(request.key).map_err(|_| UrlError::BadKey)?;
        signing::verify(&self.signing_key, request, now)
    }

    /// Stores the body of a verified upload under its key, with its signed
    /// content type.
    ///
    /// # Errors
    /// `Invalid` when `upload` is not an upload or `body` is not of the
    /// signed length (nothing is written); otherwise as [`FileStore::put`].
    pub async fn write_uploaded(&self, upload: &VerifiedRequest, body: &[u8]) -> PortResult<()> {
        let (SignedMethod::Put, Some(ct), Some(len)) =
            (upload.method, upload.content_type(), upload.content_length)
        else {
            return Err(PortError::invalid("not a verified upload"));
        };
        if body.len() as u64 != len {
            return Err(PortError::invalid(format!(
                "upload of {} bytes, the URL allows exactly {len}",
                body.len()
            )));
        }
        self.write(&upload.key, body, ct).await
    }

    /// Reads the object of a verified download; `Ok(None)` when absent.
    ///
    /// # Errors
    /// `Invalid` when `download` is not a download; otherwise as
    /// [`FileStore::get`].
    pub async fn read(&self, download: &VerifiedRequest) -> PortResult<Option<StoredObject>> {
        if download.method != SignedMethod::Get {
            return Err(PortError::invalid("not a verified download"));
        }
        let Some(body) = self.get(&download.key).await? else {
            return Ok(None);
        };
        Ok(Some(StoredObject {
            body,
            content_type: self.read_meta(&download.key).await,
        }))
    }
}

#[async_trait]
impl FileStore for LocalFileStore {
    async fn presign_upload(&self, grant: &UploadGrant) -> PortResult<PresignedUrl> {
        let upload = Some((grant.content_type.as_str(), grant.content_length));
        self.presign(&grant.key, SignedMethod::Put, grant.expires_at, upload)
    }

    async fn presign_download(
        &self,
        key: &str,
        expires_at: DateTime<Utc>,
    ) -> PortResult<PresignedUrl> {
        self.presign(key, SignedMethod::Get, expires_at, None)
    }

    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> PortResult<()> {
        self.write(key, &body, content_type).await
    }

    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        if check_key(key).is_err() {
            return Ok(None);
        }
        let Some(path) = Self::real_file(&self.objects(), key).await? else {
            return Ok(None);
        };
        match tokio::fs::read(&path).await {
            Ok(body) => Ok(Some(body)),
            Err(e) if e.kind() == IoKind::NotFound => Ok(None),
            Err(e) => Err(io_failed("read", &path, e)),
        }
    }

    async fn head(&self, key: &str) -> PortResult<Option<ObjectInfo>> {
        if check_key(key).is_err() {
            return Ok(None);
        }
        let Some(path) = Self::real_file(&self.objects(), key).await? else {
            return Ok(None);
        };
        let size = match tokio::fs::symlink_metadata(&path).await {
            Ok(meta) => meta.len(),
            Err(e) if e.kind() == IoKind::NotFound => return Ok(None),
            Err(e) => return Err(io_failed("inspect", &path, e)),
        };
        Ok(Some(ObjectInfo {
            size,
            content_type: self.read_meta(key).await,
        }))
    }

    async fn delete_prefix(&self, prefix: &str) -> PortResult<u64> {
        check_prefix(prefix)?;
        prefix::delete(self, prefix).await
    }
}

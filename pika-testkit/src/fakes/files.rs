//! An in-memory file store. Presigned URLs are `memory://` URLs the test can
//! "use" with [`InMemoryFileStore::simulate_upload`].

use crate::faults::Faults;
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, SecondsFormat, Utc};
use pika_ports::{FileStore, ObjectInfo, PortError, PortResult, PresignedUrl, UploadGrant};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

/// The header a presigned upload requires for server-side encryption.
pub const SSE_HEADER: (&str, &str) = ("x-amz-server-side-encryption", "AES256");

#[derive(Debug, Clone)]
struct Object {
    body: Vec<u8>,
    content_type: String,
}

#[derive(Default)]
struct State {
    objects: BTreeMap<String, Object>,
    grants: HashMap<String, UploadGrant>,
}

/// A [`FileStore`] keeping objects in memory.
///
/// Keys that are empty, start with `/` or hold a `..` segment are refused
/// (`Invalid`) by the presign methods, `put` and `simulate_upload`; `get`
/// and `head` simply find nothing under them.
#[derive(Default)]
pub struct InMemoryFileStore {
    state: Mutex<State>,
    faults: Arc<Faults>,
}

/// Refuses keys that could escape a prefix or that S3 would not accept.
fn check_key(key: &str) -> PortResult<()> {
    if key.is_empty() {
        return Err(PortError::invalid("empty object key"));
    }
    if key.starts_with('/') {
        return Err(PortError::invalid(format!("absolute object key {key:?}")));
    }
    if key.split('/').any(|segment| segment == "..") {
        return Err(PortError::invalid(format!("object key {key:?} holds '..'")));
    }
    Ok(())
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl InMemoryFileStore {
    /// An empty store without faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store checking `faults` (ops `"FileStore::{method}"`).
    pub fn with_faults(faults: Arc<Faults>) -> Self {
        Self {
            state: Mutex::default(),
            faults,
        }
    }

    /// Its fault rules and call counts.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another test thread panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Plays a client's `PUT`. `grant_url_or_key` is either a URL from
    /// [`FileStore::presign_upload`] — then `bytes` and `content_type` must
    /// match the grant exactly, as S3 enforces the signed headers — or a
    /// plain key, stored without checks. Expiry is not checked (the store
    /// has no clock).
    ///
    /// # Errors
    /// `Invalid` when the body or type differs from the grant, or the key is
    /// refused.
    pub fn simulate_upload(
        &self,
        grant_url_or_key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> PortResult<()> {
        let mut s = self.state();
        let key = match s.grants.get(grant_url_or_key) {
            Some(grant) => {
                if grant.content_length != bytes.len() as u64 {
                    return Err(PortError::invalid(format!(
                        "upload of {} bytes, grant allows exactly {}",
                        bytes.len(),
                        grant.content_length
                    )));
                }
                if grant.content_type != content_type {
                    return Err(PortError::invalid(format!(
                        "upload of {content_type}, grant allows {}",
                        grant.content_type
                    )));
                }
                grant.key.clone()
            }
            None => {
                check_key(grant_url_or_key)?;
                grant_url_or_key.to_string()
            }
        };
        s.objects.insert(
            key,
            Object {
                body: bytes,
                content_type: content_type.to_string(),
            },
        );
        Ok(())
    }

    /// Every stored key, in order.
    pub fn keys(&self) -> Vec<String> {
        self.state().objects.keys().cloned().collect()
    }

    /// The grants of every presigned upload so far.
    pub fn grants(&self) -> Vec<UploadGrant> {
        self.state().grants.values().cloned().collect()
    }
}

#[async_trait]
impl FileStore for InMemoryFileStore {
    async fn presign_upload(&self, grant: &UploadGrant) -> PortResult<PresignedUrl> {
        self.faults.check("FileStore::presign_upload").await?;
        check_key(&grant.key)?;
        let url = format!(
            "memory://upload/{}?expires={}&len={}&type={}",
            grant.key,
            rfc3339(grant.expires_at),
            grant.content_length,
            grant.content_type
        );
        self.state().grants.insert(url.clone(), grant.clone());
        Ok(PresignedUrl {
            url,
            method: "PUT".to_string(),
            headers: vec![
                ("content-type".to_string(), grant.content_type.clone()),
                (SSE_HEADER.0.to_string(), SSE_HEADER.1.to_string()),
            ],
            expires_at: grant.expires_at,
        })
    }

    async fn presign_download(
        &self,
        key: &str,
        expires_at: DateTime<Utc>,
    ) -> PortResult<PresignedUrl> {
        self.faults.check("FileStore::presign_download").await?;
        check_key(key)?;
        Ok(PresignedUrl {
            url: format!("memory://download/{key}?expires={}", rfc3339(expires_at)),
            method: "GET".to_string(),
            headers: Vec::new(),
            expires_at,
        })
    }

    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> PortResult<()> {
        self.faults.check("FileStore::put").await?;
        check_key(key)?;
        self.state().objects.insert(
            key.to_string(),
            Object {
                body,
                content_type: content_type.to_string(),
            },
        );
        Ok(())
    }

    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        self.faults.check("FileStore::get").await?;
        Ok(self.state().objects.get(key).map(|o| o.body.clone()))
    }

    async fn head(&self, key: &str) -> PortResult<Option<ObjectInfo>> {
        self.faults.check("FileStore::head").await?;
        Ok(self.state().objects.get(key).map(|o| ObjectInfo {
            size: o.body.len() as u64,
            content_type: Some(o.content_type.clone()),
        }))
    }

    async fn delete_prefix(&self, prefix: &str) -> PortResult<u64> {
        self.faults.check("FileStore::delete_prefix").await?;
        if prefix.is_empty() {
            return Err(PortError::invalid(
                "an empty prefix would delete every object",
            ));
        }
        let mut s = self.state();
        let before = s.objects.len();
        s.objects.retain(|key, _| !key.starts_with(prefix));
        Ok((before - s.objects.len()) as u64)
    }
}

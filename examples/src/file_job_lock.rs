//! A [`JobLock`] written outside Pika's adapters, the way a team with its
//! own infrastructure would: one small file per lock in a directory (a
//! shared volume, say), holding `owner expiry`. Taking and releasing read
//! and write the file under one mutex, so they are atomic within the
//! process; the contract suite of `pika-testkit` proves it behaves as
//! Pika's own locks do (`tests/custom_store.rs`).

use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_ports::{JobLock, PortError, PortResult};
use std::path::PathBuf;
use tokio::sync::Mutex;

/// Job locks as files in a directory.
pub struct FileJobLock {
    dir: PathBuf,
    /// Read-then-write of a lock file is one step.
    guard: Mutex<()>,
}

impl FileJobLock {
    /// Locks kept in `dir` (created when missing).
    ///
    /// # Errors
    /// `Permanent` when the directory cannot be created.
    pub fn new(dir: impl Into<PathBuf>) -> PortResult<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)
            .map_err(|e| PortError::permanent(format!("cannot create {}: {e}", dir.display())))?;
        Ok(Self {
            dir,
            guard: Mutex::new(()),
        })
    }

    /// The file of lock `name`: its bytes in hex, so any name is a safe
    /// file name.
    fn file(&self, name: &str) -> PathBuf {
        let hex: String = name.bytes().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{hex}.lock"))
    }

    /// The holder of lock `name` and its expiry, if any.
    async fn holder(&self, name: &str) -> PortResult<Option<(String, DateTime<Utc>)>> {
        match tokio::fs::read_to_string(self.file(name)).await {
            Ok(text) => {
                let (owner, expiry) = text
                    .rsplit_once(' ')
                    .ok_or_else(|| PortError::permanent("a lock file is damaged"))?;
                let expiry = DateTime::parse_from_rfc3339(expiry.trim())
                    .map_err(|e| PortError::permanent(format!("a lock file is damaged: {e}")))?;
                Ok(Some((owner.to_string(), expiry.with_timezone(&Utc))))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(PortError::transient(format!("cannot read a lock: {e}"))),
        }
    }
}

#[async_trait]
impl JobLock for FileJobLock {
    async fn try_acquire(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> PortResult<bool> {
        let _step = self.guard.lock().await;
        if let Some((holder, expiry)) = self.holder(name).await? {
            if holder != owner && expiry > now {
                return Ok(false);
            }
        }
        let text = format!("{owner} {}", expires_at.to_rfc3339());
        tokio::fs::write(self.file(name), text)
            .await
            .map_err(|e| PortError::transient(format!("cannot write a lock: {e}")))?;
        Ok(true)
    }

    async fn release(&self, name: &str, owner: &str) -> PortResult<()> {
        let _step = self.guard.lock().await;
        match self.holder(name).await? {
            Some((holder, _)) if holder == owner => tokio::fs::remove_file(self.file(name))
                .await
                .or_else(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => Ok(()),
                    _ => Err(PortError::transient(format!("cannot release a lock: {e}"))),
                }),
            _ => Ok(()),
        }
    }
}

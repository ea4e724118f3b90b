//! An in-memory [`JobLock`].

use crate::faults::Faults;
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_ports::{JobLock, PortResult};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Who holds a lock, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    /// The owner that took it.
    pub owner: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// Named locks in a map (see [`JobLock`]): taken when free or expired,
/// extended by their owner, released only by their owner.
#[derive(Default)]
pub struct InMemoryJobLock {
    locks: Mutex<HashMap<String, LockHolder>>,
    faults: Arc<Faults>,
}

impl InMemoryJobLock {
    /// No locks, no faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// No locks; calls go through `faults`.
    pub fn with_faults(faults: Arc<Faults>) -> Self {
        Self {
            faults,
            ..Self::default()
        }
    }

    /// The fault rules and call counts of these locks.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    /// The recorded holder of `name`, expired or not. Bypasses faults.
    pub fn holder(&self, name: &str) -> Option<LockHolder> {
        self.lock().get(name).cloned()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, LockHolder>> {
        // A poisoned lock only means a test thread panicked; the map is intact.
        self.locks.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl JobLock for InMemoryJobLock {
    async fn try_acquire(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> PortResult<bool> {
        self.faults.check("JobLock::try_acquire").await?;
        let mut locks = self.lock();
        let free = locks
            .get(name)
            .is_none_or(|h| h.owner == owner || h.expires_at <= now);
        if free {
            locks.insert(
                name.to_string(),
                LockHolder {
                    owner: owner.to_string(),
                    expires_at,
                },
            );
        }
        Ok(free)
    }

    async fn release(&self, name: &str, owner: &str) -> PortResult<()> {
        self.faults.check("JobLock::release").await?;
        let mut locks = self.lock();
        if locks.get(name).is_some_and(|h| h.owner == owner) {
            locks.remove(name);
        }
        Ok(())
    }
}

//! An in-memory [`UserStore`].

use crate::faults::Faults;
use async_trait::async_trait;
use pika_domain::ids::UserId;
use pika_domain::user::User;
use pika_domain::user_data::Overrides;
use pika_ports::{PortResult, UserStore};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// User profiles in a map keyed by user id (see [`UserStore`]).
#[derive(Default)]
pub struct InMemoryUserStore {
    users: Mutex<BTreeMap<UserId, User>>,
    overrides: Mutex<BTreeMap<UserId, Overrides>>,
    faults: Arc<Faults>,
}

impl InMemoryUserStore {
    /// An empty store without faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store whose calls go through `faults`.
    pub fn with_faults(faults: Arc<Faults>) -> Self {
        Self {
            faults,
            ..Self::default()
        }
    }

    /// The fault rules and call counts of this store.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    /// Every stored profile, ordered by user id. Bypasses faults.
    pub fn all(&self) -> Vec<User> {
        self.lock().values().cloned().collect()
    }

    /// How many profiles are stored.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no profile is stored.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<UserId, User>> {
        // A poisoned lock only means a test thread panicked; the map is intact.
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl UserStore for InMemoryUserStore {
    async fn get(&self, id: &UserId) -> PortResult<Option<User>> {
        self.faults.check("UserStore::get").await?;
        Ok(self.lock().get(id).cloned())
    }

    async fn put(&self, user: &User) -> PortResult<()> {
        self.faults.check("UserStore::put").await?;
        self.lock().insert(user.user_id.clone(), user.clone());
        Ok(())
    }

    async fn delete(&self, id: &UserId) -> PortResult<()> {
        self.faults.check("UserStore::delete").await?;
        self.lock().remove(id);
        self.overrides
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        Ok(())
    }

    async fn overrides(&self, id: &UserId) -> PortResult<Overrides> {
        self.faults.check("UserStore::overrides").await?;
        Ok(self
            .overrides
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
            .unwrap_or_default())
    }

    async fn put_overrides(&self, id: &UserId, overrides: &Overrides) -> PortResult<()> {
        self.faults.check("UserStore::put_overrides").await?;
        let mut all = self.overrides.lock().unwrap_or_else(|e| e.into_inner());
        if overrides.is_empty() {
            all.remove(id);
        } else {
            all.insert(id.clone(), overrides.clone());
        }
        Ok(())
    }
}

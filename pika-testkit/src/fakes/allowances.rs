//! The in-memory [`AllowanceStore`]: states with their versions under a
//! mutex, each write checked against the version it names, as the SQLite
//! and DynamoDB adapters check theirs. Two services sharing one instance
//! behave as two processes over one store.

use crate::faults::Faults;
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::fair_use::AllowanceState;
use pika_ports::{Allowance, AllowanceStore, PortError, PortResult};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Fair-use state in memory (see [`AllowanceStore`]).
#[derive(Default)]
pub struct InMemoryAllowances {
    states: Mutex<HashMap<String, Allowance>>,
    faults: Arc<Faults>,
}

impl InMemoryAllowances {
    /// An empty store without faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The fault rules and call counts of this store.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    /// The state under `key`. Bypasses faults.
    pub fn state(&self, key: &str) -> Option<AllowanceState> {
        self.lock().get(key).map(|a| a.state.clone())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Allowance>> {
        self.states.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl AllowanceStore for InMemoryAllowances {
    async fn load(&self, key: &str) -> PortResult<Option<Allowance>> {
        self.faults.check("AllowanceStore::load").await?;
        Ok(self.lock().get(key).cloned())
    }

    async fn save(
        &self,
        key: &str,
        state: &AllowanceState,
        expected: Option<u64>,
        _forget_after: DateTime<Utc>,
    ) -> PortResult<()> {
        self.faults.check("AllowanceStore::save").await?;
        let mut states = self.lock();
        let stored = states.get(key).map(|a| a.version);
        if stored != expected {
            return Err(PortError::conflict("the allowance changed meanwhile"));
        }
        states.insert(
            key.to_string(),
            Allowance {
                state: state.clone(),
                version: expected.unwrap_or(0) + 1,
            },
        );
        Ok(())
    }
}

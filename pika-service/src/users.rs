//! The users store kept current from the identity provider's claims
//! (PIKA.md §2): a user is recorded on first sight, and again whenever
//! their token says something new (a role, a name, custom data), so admins
//! and jobs find users without a token. Each process remembers whom it
//! has recorded as what, so a request costs no store call once a user is
//! known — one read (and a write when changed) per user and process.

use crate::ports::Ports;
use crate::retry::retry_transient;
use pika_domain::ids::UserId;
use pika_domain::user::User;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The most users one process remembers; past it, it starts over (a
/// forgotten user costs one read at their next request).
const REMEMBERED: usize = 10_000;

/// Records users as their tokens describe them.
#[derive(Clone)]
pub struct UserDirectory {
    ports: Ports,
    seen: Arc<Mutex<HashMap<UserId, User>>>,
}

impl UserDirectory {
    /// A directory over `ports.users`.
    pub fn new(ports: Ports) -> Self {
        Self {
            ports,
            seen: Arc::default(),
        }
    }

    fn known(&self, user: &User) -> bool {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&user.user_id)
            .is_some_and(|u| u == user)
    }

    fn remember_locally(&self, user: &User) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= REMEMBERED {
            seen.clear();
        }
        seen.insert(user.user_id.clone(), user.clone());
    }

    /// Records `user` unless this process knows them as they are. Best
    /// effort: a store failure is logged, and the next request tries again.
    pub async fn remember(&self, user: &User) {
        if self.known(user) {
            return;
        }
        let users = &self.ports.users;
        let stored = match retry_transient(|| users.get(&user.user_id)).await {
            Ok(stored) => stored,
            Err(e) => {
                tracing::warn!(error = %e, user = %user.user_id, "the users store could not be read");
                return;
            }
        };
        if stored.as_ref() != Some(user) {
            if let Err(e) = retry_transient(|| users.put(user)).await {
                tracing::warn!(error = %e, user = %user.user_id, "the user could not be recorded");
                return;
            }
        }
        self.remember_locally(user);
    }

    /// Forgets `user` here (after an erasure), so their next request
    /// records them again.
    pub fn forget(&self, user: &UserId) {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(user);
    }
}

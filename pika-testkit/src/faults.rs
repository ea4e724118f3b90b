//! Fault injection shared by every fake: fail the Nth call of an operation,
//! fail every call (throttle), or delay calls.
//!
//! Operations are named `"{Trait}::{method}"`, e.g. `"MessageStore::put"`.
//! Every fake calls [`Faults::check`] at the start of each method.

use pika_ports::{ErrorKind, PortError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

#[derive(Default)]
struct State {
    calls: HashMap<String, usize>,
    fail_nth: HashMap<String, Vec<(usize, ErrorKind)>>,
    fail_always: HashMap<String, ErrorKind>,
    delays: HashMap<String, Duration>,
}

/// Fault rules and call counts for one fake (or several sharing it).
#[derive(Default)]
pub struct Faults {
    state: Mutex<State>,
}

impl Faults {
    /// No faults.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another test thread panicked; the
        // counters are still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The `n`th call (1-based, counted from the start) of `op` fails with `kind`.
    pub fn fail_nth(&self, op: &str, n: usize, kind: ErrorKind) {
        self.state()
            .fail_nth
            .entry(op.to_string())
            .or_default()
            .push((n, kind));
    }

    /// Every call of `op` fails with `kind` until [`Faults::clear`].
    pub fn fail_always(&self, op: &str, kind: ErrorKind) {
        self.state().fail_always.insert(op.to_string(), kind);
    }

    /// Every call of `op` fails as throttled (`Transient`).
    pub fn throttle(&self, op: &str) {
        self.fail_always(op, ErrorKind::Transient);
    }

    /// Every call of `op` waits `delay` first.
    pub fn delay(&self, op: &str, delay: Duration) {
        self.state().delays.insert(op.to_string(), delay);
    }

    /// Removes every rule (call counts stay).
    pub fn clear(&self) {
        let mut s = self.state();
        s.fail_nth.clear();
        s.fail_always.clear();
        s.delays.clear();
    }

    /// How many times `op` was called.
    pub fn calls(&self, op: &str) -> usize {
        self.state().calls.get(op).copied().unwrap_or(0)
    }

    /// Counts a call of `op`, waits if delayed, and fails if a rule says so.
    ///
    /// # Errors
    /// The injected [`PortError`], whose message names `op`.
    pub async fn check(&self, op: &str) -> Result<(), PortError> {
        let (delay, failure) = {
            let mut s = self.state();
            let count = {
                let c = s.calls.entry(op.to_string()).or_insert(0);
                *c += 1;
                *c
            };
            let nth = s
                .fail_nth
                .get(op)
                .and_then(|rules| rules.iter().find(|(n, _)| *n == count).map(|(_, k)| *k));
            let failure = nth.or_else(|| s.fail_always.get(op).copied());
            (s.delays.get(op).copied(), failure)
        };
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        match failure {
            Some(kind) => Err(PortError::new(kind, format!("injected fault in {op}"))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn nth_call_fails_once() {
        let f = Faults::new();
        f.fail_nth("X::y", 2, ErrorKind::Conflict);
        assert!(f.check("X::y").await.is_ok());
        assert_eq!(f.check("X::y").await.unwrap_err().kind, ErrorKind::Conflict);
        assert!(f.check("X::y").await.is_ok());
        assert_eq!(f.calls("X::y"), 3);
    }

    #[tokio::test]
    async fn throttle_until_cleared() {
        let f = Faults::new();
        f.throttle("X::y");
        assert!(f.check("X::y").await.unwrap_err().kind.is_retryable());
        f.clear();
        assert!(f.check("X::y").await.is_ok());
    }
}

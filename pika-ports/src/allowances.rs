//! Fair-use state shared by every process: each user's and each entity's
//! rate bucket and running turns' holds (`pika_domain::fair_use`), one
//! record per key (`user#{id}`, `entity#{id}`). The
//! rules are the domain's; a store only reads a state with its version and
//! writes a new one if nobody wrote in between, so two containers deciding
//! at once never both get the last token or the last place.

use crate::error::PortResult;
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::fair_use::AllowanceState;

/// A stored state and the version a change must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    /// The state.
    pub state: AllowanceState,
    /// Its version: 1 for the first write, one more for each after.
    pub version: u64,
}

/// Keeps fair-use state.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait AllowanceStore: Send + Sync {
    /// The state under `key`, if any. A state past the `forget_after` it
    /// was saved with may be gone or still here: the rules treat an old
    /// bucket as full and lapsed holds as absent either way.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn load(&self, key: &str) -> PortResult<Option<Allowance>>;

    /// Writes `state` under `key` as version `expected + 1` (1 when
    /// `expected` is `None`), only if the stored version is still
    /// `expected` (`None`: nothing stored). The store may drop the state
    /// after `forget_after`.
    ///
    /// # Errors
    /// - `Conflict` when another write came first: load again and decide again.
    /// - `Transient` / `Permanent`.
    async fn save(
        &self,
        key: &str,
        state: &AllowanceState,
        expected: Option<u64>,
        forget_after: DateTime<Utc>,
    ) -> PortResult<()>;
}

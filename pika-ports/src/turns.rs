//! Turn control across processes: which turn holds a session, its stop
//! flag and its events so far, kept in the store so that every container
//! (on Lambda, a streamed turn holds its own) sees the same running turn:
//! a second turn is refused wherever it arrives, a stop reaches the runner
//! from any container, and a resume from any container follows the live
//! events.
//!
//! The runner holds a short lease on the session and renews it on each
//! heartbeat, sending its new events along; a runner that died lets its
//! lease run out, and the session is free again.

use crate::error::PortResult;
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{MessageId, SessionId};
use pika_domain::stream::SequencedEvent;

/// A running turn's hold on its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnLease {
    /// The session.
    pub session_id: SessionId,
    /// The answer being written: names the turn.
    pub assistant_message_id: MessageId,
    /// When the hold ends unless renewed.
    pub expires_at: DateTime<Utc>,
}

/// What another process sees of a running turn.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnProgress {
    /// Its events after the one asked for, in order.
    pub events: Vec<SequencedEvent>,
    /// Whether its lease holds (more events may come).
    pub running: bool,
}

/// Turn state every process shares.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait TurnControl: Send + Sync {
    /// Holds the session for the turn of `lease`.
    ///
    /// # Errors
    /// - `Conflict` when another turn holds the session with a lease not
    ///   yet expired at `now`.
    /// - `Transient` / `Permanent`.
    async fn begin(&self, lease: &TurnLease, now: DateTime<Utc>) -> PortResult<()>;

    /// Renews the lease to `lease.expires_at` and appends `events` (in
    /// order, after those sent before); answers whether a stop was asked.
    ///
    /// # Errors
    /// - `NotFound` when this turn no longer holds the session (it ended,
    ///   or another took over after its lease ran out).
    /// - `Transient` / `Permanent`.
    async fn heartbeat(&self, lease: &TurnLease, events: &[SequencedEvent]) -> PortResult<bool>;

    /// Asks the turn holding `session` (with a lease not expired at `now`)
    /// to stop; `Ok(false)` when none does.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn request_stop(&self, session: &SessionId, now: DateTime<Utc>) -> PortResult<bool>;

    /// Records the user's answer to the request of the turn holding
    /// `session` (lease not expired at `now`) to confirm the tool call
    /// `tool_use_id`. The first answer stands; a later one changes nothing.
    /// `Ok(false)` when no turn holds the session.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn decide(
        &self,
        session: &SessionId,
        tool_use_id: &str,
        approve: bool,
        now: DateTime<Utc>,
    ) -> PortResult<bool>;

    /// The answer recorded for `tool_use_id` in the turn writing `message`;
    /// `None` while there is none (or the turn no longer holds the session).
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn decision(
        &self,
        session: &SessionId,
        message: &MessageId,
        tool_use_id: &str,
    ) -> PortResult<Option<bool>>;

    /// The events of the turn writing `message` after `after` (all when
    /// `None`), while it holds the session; `Ok(None)` when it does not (it
    /// ended: its answer is stored — or it never ran).
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn progress(
        &self,
        session: &SessionId,
        message: &MessageId,
        after: Option<u64>,
        now: DateTime<Utc>,
    ) -> PortResult<Option<TurnProgress>>;

    /// Frees the session if the turn writing `message` holds it (its answer
    /// is stored); freeing a session it does not hold succeeds.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn end(&self, session: &SessionId, message: &MessageId) -> PortResult<()>;
}

//! The session store port.

use crate::error::PortResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::cost::Usage;
use pika_domain::ids::{ChatAppId, EntityId, MessageId, SessionId, ShareId, UserId};
use pika_domain::session::{InsightStatus, Session, ShareInfo};

/// What one finished turn changes on its session, applied atomically.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnRecord {
    /// Added to the session's usage totals (an atomic add, never a read-modify-write).
    pub usage: Usage,
    /// The turn's assistant message becomes the newest message.
    pub last_message_id: MessageId,
    /// When the turn ended; becomes `updated_at`.
    pub at: DateTime<Utc>,
    /// Marks the session as needing insights (the sparse index).
    pub mark_for_insights: bool,
}

/// A partial update of a session; `None` fields are left as they are.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionPatch {
    /// Sets (`Some(Some)`) or clears (`Some(None)`) the title.
    pub title: Option<Option<String>>,
    /// Pins or unpins.
    pub pinned: Option<bool>,
    /// Sets or clears the share.
    pub share: Option<Option<ShareInfo>>,
    /// Sets the insight status.
    pub insight_status: Option<InsightStatus>,
    /// Sets the newest analysed message.
    pub last_analyzed_message_id: Option<MessageId>,
    /// Sets or clears the expiry.
    pub expires_at: Option<Option<DateTime<Utc>>>,
    /// Apply only if the session's newest message is still this one
    /// (so an analysis never hides a turn that arrived meanwhile).
    pub if_last_message_id: Option<MessageId>,
    /// Becomes `updated_at` when set.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Stores chat sessions. Every listing is served from a key or an index,
/// never a scan.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Creates `session`.
    ///
    /// # Errors
    /// - `Conflict` if a session with this id exists (nothing is changed).
    /// - `Transient` when the backend throttles or times out; retry.
    /// - `Permanent` on misconfiguration.
    async fn create(&self, session: &Session) -> PortResult<()>;

    /// The session with `id`; `Ok(None)` when there is none.
    ///
    /// # Errors
    /// `Transient` / `Permanent` as for every call.
    async fn get(&self, id: &SessionId) -> PortResult<Option<Session>>;

    /// The sessions of `user`, optionally of one chat app, newest first
    /// (by session id, which is time-ordered).
    ///
    /// # Errors
    /// - `Invalid` for a cursor this store did not issue.
    /// - `Transient` / `Permanent`.
    async fn list_by_user(
        &self,
        user: &UserId,
        chat_app: Option<ChatAppId>,
        page: PageRequest,
    ) -> PortResult<Page<Session>>;

    /// The sessions of `entity`, newest first.
    ///
    /// # Errors
    /// - `Invalid` for a foreign cursor.
    /// - `Transient` / `Permanent`.
    async fn list_by_entity(
        &self,
        entity: &EntityId,
        page: PageRequest,
    ) -> PortResult<Page<Session>>;

    /// The session shared under `share`, whether or not the share is still
    /// active (the caller checks); `Ok(None)` when no session has it.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn get_by_share(&self, share: &ShareId) -> PortResult<Option<Session>>;

    /// Up to `limit` sessions whose insight status is `Pending` or `Failed`
    /// and that were last updated at or before `idle_before`, least recently
    /// updated first.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn list_needing_insights(
        &self,
        idle_before: DateTime<Utc>,
        limit: u32,
    ) -> PortResult<Vec<Session>>;

    /// Up to `limit` sessions whose `expires_at` is at or before `now`.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn list_expired(&self, now: DateTime<Utc>, limit: u32) -> PortResult<Vec<Session>>;

    /// Applies a finished turn atomically: adds usage, sets the newest
    /// message and `updated_at`, marks for insights. Returns the session after.
    ///
    /// # Errors
    /// - `NotFound` if the session does not exist.
    /// - `Transient` / `Permanent`.
    async fn record_turn(&self, id: &SessionId, turn: &TurnRecord) -> PortResult<Session>;

    /// Applies `patch` and returns the session after.
    ///
    /// # Errors
    /// - `NotFound` if the session does not exist.
    /// - `Conflict` if `patch.if_last_message_id` is set and differs.
    /// - `Transient` / `Permanent`.
    async fn update(&self, id: &SessionId, patch: &SessionPatch) -> PortResult<Session>;

    /// Deletes the session record (not its messages). Deleting a missing
    /// session succeeds.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn delete(&self, id: &SessionId) -> PortResult<()>;
}

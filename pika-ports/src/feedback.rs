//! The feedback store port.

use crate::error::PortResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use pika_domain::feedback::{Feedback, FeedbackStatus};
use pika_domain::ids::{ChatAppId, FeedbackId, SessionId};

/// Which feedback to list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeedbackFilter {
    /// Only this status.
    pub status: Option<FeedbackStatus>,
    /// Only this chat app.
    pub chat_app_id: Option<ChatAppId>,
}

/// Stores feedback records.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait FeedbackStore: Send + Sync {
    /// Creates `feedback`.
    ///
    /// # Errors
    /// `Conflict` if the id exists; `Transient` / `Permanent`.
    async fn create(&self, feedback: &Feedback) -> PortResult<()>;

    /// One record; `Ok(None)` when there is none.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn get(&self, id: &FeedbackId) -> PortResult<Option<Feedback>>;

    /// Replaces a record (triage).
    ///
    /// # Errors
    /// `NotFound` if there is no such record; `Transient` / `Permanent`.
    async fn update(&self, feedback: &Feedback) -> PortResult<()>;

    /// The feedback of one session, oldest first (by `created_at`, then id).
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn list_by_session(&self, session: &SessionId) -> PortResult<Vec<Feedback>>;

    /// Feedback matching `filter`, newest first (by `created_at`, then id).
    ///
    /// # Errors
    /// `Invalid` for a foreign cursor; `Transient` / `Permanent`.
    async fn list(&self, filter: &FeedbackFilter, page: PageRequest) -> PortResult<Page<Feedback>>;

    /// Deletes the feedback of one session; succeeds when there is none.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn delete_by_session(&self, session: &SessionId) -> PortResult<()>;
}

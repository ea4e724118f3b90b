//! The search index port: full text over session messages (PIKA.md §10).

use crate::error::PortResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{ChatAppId, EntityId, MessageId, SessionId, UserId};
use serde::{Deserialize, Serialize};

/// One indexed turn: a user message and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchDocument {
    /// The session.
    pub session_id: SessionId,
    /// The answer's message id (documents are keyed by it).
    pub message_id: MessageId,
    /// The session's owner.
    pub user_id: UserId,
    /// The chat app.
    pub chat_app_id: ChatAppId,
    /// The session's entity.
    pub entity_id: EntityId,
    /// The session title when known.
    #[serde(default)]
    pub title: Option<String>,
    /// The text to search: question and answer.
    pub text: String,
    /// When the turn ended.
    pub created_at: DateTime<Utc>,
    /// The session's overall insight score, once assessed.
    #[serde(default)]
    pub insight_score: Option<u8>,
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SearchSort {
    /// Best match first.
    #[default]
    Relevance,
    /// Newest first.
    Newest,
    /// Oldest first.
    Oldest,
}

/// A search.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchQuery {
    /// Words to find (all of them, case-insensitively).
    pub text: String,
    /// Only this owner's documents. The service always sets it for callers
    /// who may read only their own sessions.
    pub user_id: Option<UserId>,
    /// Only this chat app.
    pub chat_app_id: Option<ChatAppId>,
    /// Only this entity.
    pub entity_id: Option<EntityId>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
    /// Insight score at least this.
    pub min_score: Option<u8>,
    /// Order.
    pub sort: SearchSort,
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// The document.
    pub document: SearchDocument,
    /// A piece of text around the match.
    pub snippet: String,
    /// Relevance (higher is better).
    pub score: f32,
}

/// Indexes and searches sessions.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SearchIndex: Send + Sync {
    /// Adds or replaces the document of `doc.message_id`.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn index(&self, doc: &SearchDocument) -> PortResult<()>;

    /// Sets the insight score on every document of a session; succeeds when
    /// there are none.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn set_session_score(&self, session: &SessionId, score: u8) -> PortResult<()>;

    /// Documents matching `query`, in its order, one page at a time.
    ///
    /// # Errors
    /// `Invalid` for a foreign cursor or a query the index cannot parse;
    /// `Transient` / `Permanent`.
    async fn search(&self, query: &SearchQuery, page: PageRequest) -> PortResult<Page<SearchHit>>;

    /// Deletes every document of a session; succeeds when there are none.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn delete_session(&self, session: &SessionId) -> PortResult<()>;

    /// Deletes every document of a user; succeeds when there are none.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn delete_user(&self, user: &UserId) -> PortResult<()>;
}

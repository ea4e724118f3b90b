//! The user memory port (PIKA.md §10; Bedrock AgentCore Memory on AWS).

use crate::error::PortResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{SessionId, UserId};
use pika_domain::memory::{MemoryRecord, MemoryStrategy};

/// One exchange to remember.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryExchange {
    /// Whose memory.
    pub user_id: UserId,
    /// Where it happened.
    pub session_id: SessionId,
    /// What the user said.
    pub user_text: String,
    /// What the agent answered.
    pub assistant_text: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Remembers things about users.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait UserMemory: Send + Sync {
    /// Up to `limit` records of `user` for `strategy`, most relevant to
    /// `query` first.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn retrieve(
        &self,
        user: &UserId,
        strategy: MemoryStrategy,
        query: &str,
        limit: u32,
    ) -> PortResult<Vec<MemoryRecord>>;

    /// Records an exchange (the backend extracts records from it). Records
    /// may become retrievable only after extraction, which some backends run
    /// asynchronously; the contract suite allows for that delay.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn record(&self, exchange: &MemoryExchange) -> PortResult<()>;

    /// The user's records, newest first.
    ///
    /// # Errors
    /// `Invalid` for a foreign cursor; `Transient` / `Permanent`.
    async fn list(&self, user: &UserId, page: PageRequest) -> PortResult<Page<MemoryRecord>>;

    /// Forgets everything about `user`; succeeds when there is nothing.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn delete_user(&self, user: &UserId) -> PortResult<()>;
}

//! Configuration stores: chat apps (+ overrides), agents, tools. Updates use
//! optimistic concurrency on a `version` attribute.

use crate::error::PortResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use pika_domain::agent::Agent;
use pika_domain::chat_app::{ChatApp, ChatAppOverride};
use pika_domain::ids::{AgentId, ChatAppId, ToolId};
use pika_domain::tool::Tool;

/// Stores chat apps and their overrides.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ChatAppStore: Send + Sync {
    /// The chat app; `Ok(None)` when there is none.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn get(&self, id: &ChatAppId) -> PortResult<Option<ChatApp>>;

    /// All chat apps, ordered by id.
    ///
    /// # Errors
    /// `Invalid` for a foreign cursor; `Transient` / `Permanent`.
    async fn list(&self, page: PageRequest) -> PortResult<Page<ChatApp>>;

    /// Creates `app` as given (its `version` is stored as it is).
    ///
    /// # Errors
    /// `Conflict` if the id exists; `Transient` / `Permanent`.
    async fn create(&self, app: &ChatApp) -> PortResult<()>;

    /// Replaces the stored app with `app` if the stored version is
    /// `expected_version` (the caller sets `app.version` to the next one).
    ///
    /// # Errors
    /// - `NotFound` if there is no such app.
    /// - `Conflict` if the stored version differs (someone changed it meanwhile).
    /// - `Transient` / `Permanent`.
    async fn update(&self, app: &ChatApp, expected_version: u64) -> PortResult<()>;

    /// Deletes the app and its override; deleting a missing app succeeds.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn delete(&self, id: &ChatAppId) -> PortResult<()>;

    /// The override of the app; `Ok(None)` when there is none.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn get_override(&self, id: &ChatAppId) -> PortResult<Option<ChatAppOverride>>;

    /// Creates or replaces the override of an existing app.
    ///
    /// # Errors
    /// `NotFound` if the app does not exist; `Transient` / `Permanent`.
    async fn put_override(&self, id: &ChatAppId, ovr: &ChatAppOverride) -> PortResult<()>;

    /// Removes the override; removing a missing override succeeds.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn delete_override(&self, id: &ChatAppId) -> PortResult<()>;
}

/// Stores agents.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait AgentStore: Send + Sync {
    /// The agent; `Ok(None)` when there is none.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn get(&self, id: &AgentId) -> PortResult<Option<Agent>>;

    /// All agents, ordered by id.
    ///
    /// # Errors
    /// `Invalid` for a foreign cursor; `Transient` / `Permanent`.
    async fn list(&self, page: PageRequest) -> PortResult<Page<Agent>>;

    /// Creates `agent` as given.
    ///
    /// # Errors
    /// `Conflict` if the id exists; `Transient` / `Permanent`.
    async fn create(&self, agent: &Agent) -> PortResult<()>;

    /// Replaces the agent if the stored version is `expected_version`.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` on a version mismatch; `Transient` / `Permanent`.
    async fn update(&self, agent: &Agent, expected_version: u64) -> PortResult<()>;

    /// Deletes the agent; deleting a missing agent succeeds.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn delete(&self, id: &AgentId) -> PortResult<()>;
}

/// Stores tool definitions.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ToolStore: Send + Sync {
    /// The tool; `Ok(None)` when there is none.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn get(&self, id: &ToolId) -> PortResult<Option<Tool>>;

    /// The tools with these ids that exist, in the order of `ids` (one batch
    /// read); an id given twice is returned once, at its first position.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn get_many(&self, ids: &[ToolId]) -> PortResult<Vec<Tool>>;

    /// All tools, ordered by id.
    ///
    /// # Errors
    /// `Invalid` for a foreign cursor; `Transient` / `Permanent`.
    async fn list(&self, page: PageRequest) -> PortResult<Page<Tool>>;

    /// Creates `tool` as given.
    ///
    /// # Errors
    /// `Conflict` if the id exists; `Transient` / `Permanent`.
    async fn create(&self, tool: &Tool) -> PortResult<()>;

    /// Replaces the tool if the stored version is `expected_version`.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` on a version mismatch; `Transient` / `Permanent`.
    async fn update(&self, tool: &Tool, expected_version: u64) -> PortResult<()>;

    /// Deletes the tool; deleting a missing tool succeeds.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn delete(&self, id: &ToolId) -> PortResult<()>;
}

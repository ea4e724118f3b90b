//! The bundle of every port, built once per process (or Lambda container)
//! by a shell and handed to each service.

use crate::{
    AgentRuntime, AgentStore, AllowanceStore, ChatAppStore, Clock, CompletionModel, FeedbackStore,
    FileStore, IdGenerator, JobLock, MessageStore, MetricsSink, SearchIndex, SessionStore,
    SiteStore, ToolInvoker, ToolStore, TurnControl, TurnJournal, UsageLedger, UserMemory,
    UserStore,
};
use std::sync::Arc;

/// Every port, built once per process (or Lambda container) by a shell.
#[derive(Clone)]
#[allow(missing_docs)] // each field is the port of the same name
pub struct Ports {
    pub sessions: Arc<dyn SessionStore>,
    pub messages: Arc<dyn MessageStore>,
    pub chat_apps: Arc<dyn ChatAppStore>,
    /// The site configuration (read through the services' configuration cache).
    pub site: Arc<dyn SiteStore>,
    pub agents: Arc<dyn AgentStore>,
    pub tools: Arc<dyn ToolStore>,
    pub users: Arc<dyn UserStore>,
    pub feedback: Arc<dyn FeedbackStore>,
    pub usage: Arc<dyn UsageLedger>,
    pub job_lock: Arc<dyn JobLock>,
    pub runtime: Arc<dyn AgentRuntime>,
    pub completions: Arc<dyn CompletionModel>,
    pub tool_invoker: Arc<dyn ToolInvoker>,
    pub files: Arc<dyn FileStore>,
    pub search: Arc<dyn SearchIndex>,
    /// Knowledge bases agents search ([`crate::NoKnowledgeBases`] where
    /// the deployment has none).
    pub knowledge: Arc<dyn crate::KnowledgeRetriever>,
    pub memory: Arc<dyn UserMemory>,
    pub metrics: Arc<dyn MetricsSink>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    /// Writes a turn's records in two requests when the stores can (DynamoDB);
    /// `None`: the service writes them one by one through the stores.
    pub journal: Option<Arc<dyn TurnJournal>>,
    /// Which turn holds each session, its stop flag and live events, shared
    /// by every process over the same store.
    pub turns: Arc<dyn TurnControl>,
    /// Rate-limit buckets and running turns' holds per user and entity,
    /// shared by every process over the same store.
    pub allowances: Arc<dyn AllowanceStore>,
}

//! The bundle of ports every service holds, and the service settings.

use pika_domain::cost::PriceTable;
use pika_domain::site::SiteConfig;
use pika_ports::{
    AgentRuntime, AgentStore, ChatAppStore, Clock, CompletionModel, FeedbackStore, FileStore,
    IdGenerator, JobLock, MessageStore, MetricsSink, SearchIndex, SessionStore, ToolInvoker,
    ToolStore, UsageLedger, UserMemory, UserStore,
};
use std::sync::Arc;
use std::time::Duration;

/// Every port, built once per process (or Lambda container) by a shell.
#[derive(Clone)]
#[allow(missing_docs)] // each field is the port of the same name
pub struct Ports {
    pub sessions: Arc<dyn SessionStore>,
    pub messages: Arc<dyn MessageStore>,
    pub chat_apps: Arc<dyn ChatAppStore>,
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
    pub memory: Arc<dyn UserMemory>,
    pub metrics: Arc<dyn MetricsSink>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

/// Settings shared by the services.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// The site configuration (features, quotas, turn limits, insights).
    pub site: SiteConfig,
    /// Model prices.
    pub prices: PriceTable,
    /// How long chat app, agent and tool configuration is cached.
    pub config_ttl: Duration,
    /// How many past messages a turn reads as history (one store read).
    pub history_messages: u32,
    /// Largest upload in bytes when the chat app sets none.
    pub default_max_upload_bytes: u64,
    /// How long presigned URLs live.
    pub presign_ttl: Duration,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            site: SiteConfig::default(),
            prices: PriceTable::bedrock_defaults(),
            config_ttl: Duration::from_secs(60),
            history_messages: 40,
            default_max_upload_bytes: 10 * 1024 * 1024,
            presign_ttl: Duration::from_secs(300),
        }
    }
}

//! Every fake in one bundle, sharing one clock and one id sequence, so a
//! test builds a whole platform in one line and can still inspect each fake.

use super::allowances::InMemoryAllowances;
use super::clock::{ManualClock, SequentialIds};
use super::completions::ScriptedCompletions;
use super::config::{InMemoryAgentStore, InMemoryChatAppStore, InMemoryToolStore};
use super::feedback::InMemoryFeedbackStore;
use super::files::InMemoryFileStore;
use super::job_lock::InMemoryJobLock;
use super::journal::InMemoryTurnJournal;
use super::knowledge::InMemoryKnowledge;
use super::memory::InMemoryUserMemory;
use super::messages::InMemoryMessageStore;
use super::metrics::RecordingMetrics;
use super::runtime::ScriptedRuntime;
use super::search::InMemorySearchIndex;
use super::sessions::InMemorySessionStore;
use super::site::InMemorySiteStore;
use super::tools::FakeToolInvoker;
use super::turns::InMemoryTurnControl;
use super::usage::InMemoryUsageLedger;
use super::users::InMemoryUserStore;
use pika_domain::agent::Agent;
use pika_domain::chat_app::ChatApp;
use pika_domain::site::SiteConfig;
use pika_domain::tool::Tool;
use pika_ports::{AgentStore, ChatAppStore, PortResult, Ports, ToolStore};
use std::sync::Arc;

/// One fake of every port.
#[derive(Clone, Default)]
#[allow(missing_docs)] // each field is the fake of the port of the same name
pub struct FakePorts {
    pub sessions: Arc<InMemorySessionStore>,
    pub messages: Arc<InMemoryMessageStore>,
    pub chat_apps: Arc<InMemoryChatAppStore>,
    pub site: Arc<InMemorySiteStore>,
    pub agents: Arc<InMemoryAgentStore>,
    pub tools: Arc<InMemoryToolStore>,
    pub users: Arc<InMemoryUserStore>,
    pub feedback: Arc<InMemoryFeedbackStore>,
    pub usage: Arc<InMemoryUsageLedger>,
    pub job_lock: Arc<InMemoryJobLock>,
    pub runtime: Arc<ScriptedRuntime>,
    pub completions: Arc<ScriptedCompletions>,
    pub tool_invoker: Arc<FakeToolInvoker>,
    pub files: Arc<InMemoryFileStore>,
    pub search: Arc<InMemorySearchIndex>,
    pub knowledge: Arc<InMemoryKnowledge>,
    pub memory: Arc<InMemoryUserMemory>,
    pub metrics: Arc<RecordingMetrics>,
    pub clock: Arc<ManualClock>,
    pub ids: Arc<SequentialIds>,
    pub turns: Arc<InMemoryTurnControl>,
    pub allowances: Arc<InMemoryAllowances>,
}

impl FakePorts {
    /// Fresh, empty fakes; the clock shows [`crate::fixtures::t0`]. No site
    /// configuration is stored: the services read the defaults (every
    /// site-gated feature off) until a test stores one.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fresh fakes with `site` stored as the site configuration.
    pub fn with_site(site: SiteConfig) -> Self {
        let fakes = Self::default();
        fakes.site.set(site);
        fakes
    }

    /// Stores `tools`, `agent` (unless an agent with its id exists) and `app`.
    ///
    /// # Errors
    /// The stores' errors (e.g. `Conflict` for an app that exists).
    pub async fn seed_app(&self, app: &ChatApp, agent: &Agent, tools: &[Tool]) -> PortResult<()> {
        for tool in tools {
            self.tools.create(tool).await?;
        }
        if self.agents.get(&agent.agent_id).await?.is_none() {
            self.agents.create(agent).await?;
        }
        self.chat_apps.create(app).await
    }

    /// The fakes as the port bundle services take (sharing the same fakes).
    pub fn ports(&self) -> Ports {
        Ports {
            sessions: self.sessions.clone(),
            messages: self.messages.clone(),
            chat_apps: self.chat_apps.clone(),
            site: self.site.clone(),
            agents: self.agents.clone(),
            tools: self.tools.clone(),
            users: self.users.clone(),
            feedback: self.feedback.clone(),
            usage: self.usage.clone(),
            job_lock: self.job_lock.clone(),
            runtime: self.runtime.clone(),
            completions: self.completions.clone(),
            tool_invoker: self.tool_invoker.clone(),
            files: self.files.clone(),
            search: self.search.clone(),
            knowledge: self.knowledge.clone(),
            memory: self.memory.clone(),
            metrics: self.metrics.clone(),
            clock: self.clock.clone(),
            ids: self.ids.clone(),
            journal: None,
            turns: self.turns.clone(),
            allowances: self.allowances.clone(),
        }
    }

    /// The port bundle with a turn journal over the same fakes (the write
    /// path of a DynamoDB deployment), and the journal to count its calls.
    pub fn ports_with_journal(&self) -> (Ports, InMemoryTurnJournal) {
        let journal = InMemoryTurnJournal::new(
            self.sessions.clone(),
            self.messages.clone(),
            self.usage.clone(),
        );
        let mut ports = self.ports();
        ports.journal = Some(Arc::new(journal.clone()));
        (ports, journal)
    }
}

//! [`PlatformBuilder`]: the ports one by one, defaults for the optional
//! ones, and an error naming every required port left out.

use super::Platform;
use crate::{Ports, ServiceSettings};
use pika_ports::{
    AgentRuntime, AgentStore, AllowanceStore, ChatAppStore, Clock, CompletionModel, FeedbackStore,
    FileStore, IdGenerator, JobLock, KnowledgeRetriever, MessageStore, MetricsSink,
    NoKnowledgeBases, NoMemory, NoMetrics, NoSearch, SearchIndex, SessionStore, SiteStore,
    SystemClock, ToolInvoker, ToolStore, TurnControl, TurnJournal, UsageLedger, UserMemory,
    UserStore, UuidV7Ids,
};
use std::fmt;
use std::sync::Arc;

/// The required ports a [`PlatformBuilder`] was not given, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingPorts(pub Vec<&'static str>);

impl fmt::Display for MissingPorts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the platform needs these ports: {}", self.0.join(", "))
    }
}

impl std::error::Error for MissingPorts {}

macro_rules! builder {
    (
        required { $($req:ident: $req_ty:ty),* $(,)? }
        optional { $($opt:ident: $opt_ty:ty = $default:expr),* $(,)? }
    ) => {
        /// Collects the ports of a [`Platform`]. Required: every store, the
        /// agent runtime, the completion model, the tool invoker, the file
        /// store and the turn control. Defaulted: the clock (system), ids
        /// (UUIDv7), search (none: searching answers that it is not
        /// configured), knowledge bases (none), user memory (off), metrics
        /// (dropped), and the turn journal (none: records are written one
        /// by one).
        #[derive(Default)]
        pub struct PlatformBuilder {
            $($req: Option<Arc<$req_ty>>,)*
            $($opt: Option<Arc<$opt_ty>>,)*
            journal: Option<Arc<dyn TurnJournal>>,
            settings: ServiceSettings,
        }

        impl PlatformBuilder {
            $(
                #[doc = concat!("The `", stringify!($req), "` port (required).")]
                #[must_use]
                pub fn $req(mut self, port: Arc<$req_ty>) -> Self {
                    self.$req = Some(port);
                    self
                }
            )*
            $(
                #[doc = concat!("The `", stringify!($opt), "` port (defaulted when not given).")]
                #[must_use]
                pub fn $opt(mut self, port: Arc<$opt_ty>) -> Self {
                    self.$opt = Some(port);
                    self
                }
            )*

            /// The ports, checked: every required one given.
            ///
            /// # Errors
            /// [`MissingPorts`], naming every required port left out.
            pub fn ports(self) -> Result<(Ports, ServiceSettings), MissingPorts> {
                let mut missing = Vec::new();
                $(if self.$req.is_none() { missing.push(stringify!($req)); })*
                if !missing.is_empty() {
                    return Err(MissingPorts(missing));
                }
                let ports = Ports {
                    $($req: self.$req.ok_or(MissingPorts(vec![stringify!($req)]))?,)*
                    $($opt: self.$opt.unwrap_or_else(|| Arc::new($default)),)*
                    journal: self.journal,
                };
                Ok((ports, self.settings))
            }
        }
    };
}

builder! {
    required {
        sessions: dyn SessionStore,
        messages: dyn MessageStore,
        chat_apps: dyn ChatAppStore,
        site: dyn SiteStore,
        agents: dyn AgentStore,
        tools: dyn ToolStore,
        users: dyn UserStore,
        feedback: dyn FeedbackStore,
        usage: dyn UsageLedger,
        job_lock: dyn JobLock,
        runtime: dyn AgentRuntime,
        completions: dyn CompletionModel,
        tool_invoker: dyn ToolInvoker,
        files: dyn FileStore,
        turns: dyn TurnControl,
        allowances: dyn AllowanceStore,
    }
    optional {
        search: dyn SearchIndex = NoSearch,
        knowledge: dyn KnowledgeRetriever = NoKnowledgeBases,
        memory: dyn UserMemory = NoMemory,
        metrics: dyn MetricsSink = NoMetrics,
        clock: dyn Clock = SystemClock,
        ids: dyn IdGenerator = UuidV7Ids,
    }
}

impl PlatformBuilder {
    /// Starts from every port of `ports` (to replace some of them).
    pub fn from_ports(ports: Ports) -> Self {
        Self {
            sessions: Some(ports.sessions),
            messages: Some(ports.messages),
            chat_apps: Some(ports.chat_apps),
            site: Some(ports.site),
            agents: Some(ports.agents),
            tools: Some(ports.tools),
            users: Some(ports.users),
            feedback: Some(ports.feedback),
            usage: Some(ports.usage),
            job_lock: Some(ports.job_lock),
            runtime: Some(ports.runtime),
            completions: Some(ports.completions),
            tool_invoker: Some(ports.tool_invoker),
            files: Some(ports.files),
            turns: Some(ports.turns),
            allowances: Some(ports.allowances),
            search: Some(ports.search),
            knowledge: Some(ports.knowledge),
            memory: Some(ports.memory),
            metrics: Some(ports.metrics),
            clock: Some(ports.clock),
            ids: Some(ports.ids),
            journal: ports.journal,
            settings: ServiceSettings::default(),
        }
    }

    /// The turn journal: a turn's records written together (DynamoDB
    /// transactions); without one they are written one by one.
    #[must_use]
    pub fn journal(mut self, journal: Arc<dyn TurnJournal>) -> Self {
        self.journal = Some(journal);
        self
    }

    /// The services' settings (default: [`ServiceSettings::default`]).
    #[must_use]
    pub fn settings(mut self, settings: ServiceSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Every service.
    ///
    /// # Errors
    /// [`MissingPorts`], naming every required port left out.
    pub fn build(self) -> Result<Platform, MissingPorts> {
        let (ports, settings) = self.ports()?;
        Ok(Platform::new(ports, settings))
    }
}

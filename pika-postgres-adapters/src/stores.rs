//! Every store over one [`PostgresDb`], for a shell's port bundle.

use crate::{
    PostgresAgentStore, PostgresAllowances, PostgresChatAppStore, PostgresDb,
    PostgresFeedbackStore, PostgresJobLock, PostgresMessageStore, PostgresSessionStore,
    PostgresSiteStore, PostgresToolStore, PostgresTurnControl, PostgresUsageLedger,
    PostgresUserMemory, PostgresUserStore,
};

/// Every PostgreSQL store over one [`PostgresDb`]. Each field is cheap to
/// clone and shares the pool.
#[derive(Clone, Debug)]
pub struct PostgresStores {
    /// The database the stores share.
    pub db: PostgresDb,
    /// Sessions.
    pub sessions: PostgresSessionStore,
    /// Messages and client-message claims.
    pub messages: PostgresMessageStore,
    /// Chat apps and their overrides.
    pub chat_apps: PostgresChatAppStore,
    /// The site configuration.
    pub site: PostgresSiteStore,
    /// Agents.
    pub agents: PostgresAgentStore,
    /// Tool definitions.
    pub tools: PostgresToolStore,
    /// User profiles.
    pub users: PostgresUserStore,
    /// Feedback records.
    pub feedback: PostgresFeedbackStore,
    /// Hourly and daily usage counters.
    pub usage: PostgresUsageLedger,
    /// Named job locks.
    pub job_lock: PostgresJobLock,
    /// User memory.
    pub memory: PostgresUserMemory,
    /// Which turn holds each session.
    pub turns: PostgresTurnControl,
    /// Rate-limit buckets and running turns' holds.
    pub allowances: PostgresAllowances,
}

impl PostgresStores {
    /// Every store over `db`.
    pub fn new(db: PostgresDb) -> Self {
        Self {
            sessions: PostgresSessionStore::new(db.clone()),
            messages: PostgresMessageStore::new(db.clone()),
            chat_apps: PostgresChatAppStore::new(db.clone()),
            site: PostgresSiteStore::new(db.clone()),
            agents: PostgresAgentStore::new(db.clone()),
            tools: PostgresToolStore::new(db.clone()),
            users: PostgresUserStore::new(db.clone()),
            feedback: PostgresFeedbackStore::new(db.clone()),
            usage: PostgresUsageLedger::new(db.clone()),
            job_lock: PostgresJobLock::new(db.clone()),
            memory: PostgresUserMemory::new(db.clone()),
            turns: PostgresTurnControl::new(db.clone()),
            allowances: PostgresAllowances::new(db.clone()),
            db,
        }
    }
}

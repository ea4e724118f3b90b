//! Every DynamoDB store over one [`Dynamo`], as a shell puts them into its
//! `Ports` (the Lambda functions, the tests that run a whole turn).

use super::allowances::DynamoAllowances;
use super::config::{DynamoAgentStore, DynamoChatAppStore, DynamoSiteStore, DynamoToolStore};
use super::feedback::DynamoFeedbackStore;
use super::journal::DynamoTurnJournal;
use super::locks::DynamoJobLock;
use super::messages::DynamoMessageStore;
use super::sessions::DynamoSessionStore;
use super::turns::DynamoTurnControl;
use super::usage::DynamoUsageLedger;
use super::users::DynamoUserStore;
use super::Dynamo;
use pika_ports::Ports;
use std::sync::Arc;

/// One of each DynamoDB port, sharing a client.
#[derive(Clone)]
#[allow(missing_docs)] // each field is the store of the port of the same name
pub struct DynamoStores {
    pub sessions: Arc<DynamoSessionStore>,
    pub messages: Arc<DynamoMessageStore>,
    pub chat_apps: Arc<DynamoChatAppStore>,
    pub site: Arc<DynamoSiteStore>,
    pub agents: Arc<DynamoAgentStore>,
    pub tools: Arc<DynamoToolStore>,
    pub users: Arc<DynamoUserStore>,
    pub feedback: Arc<DynamoFeedbackStore>,
    pub usage: Arc<DynamoUsageLedger>,
    pub job_lock: Arc<DynamoJobLock>,
    /// A turn's writes as two transactions.
    pub journal: Arc<DynamoTurnJournal>,
    /// Which turn holds each session.
    pub turns: Arc<DynamoTurnControl>,
    /// Rate-limit buckets and running turns' holds.
    pub allowances: Arc<DynamoAllowances>,
}

impl DynamoStores {
    /// `rest` with every store, the turn journal and turn control taken
    /// from here: the bundle of a deployment on DynamoDB, whatever runs the
    /// model, the tools and the rest.
    pub fn into_ports(self, rest: Ports) -> Ports {
        Ports {
            sessions: self.sessions,
            messages: self.messages,
            chat_apps: self.chat_apps,
            site: self.site,
            agents: self.agents,
            tools: self.tools,
            users: self.users,
            feedback: self.feedback,
            usage: self.usage,
            job_lock: self.job_lock,
            journal: Some(self.journal),
            turns: self.turns,
            allowances: self.allowances,
            ..rest
        }
    }

    /// Every store on `dynamo`'s tables.
    pub fn new(dynamo: &Dynamo) -> Self {
        Self {
            sessions: Arc::new(DynamoSessionStore::new(dynamo.clone())),
            messages: Arc::new(DynamoMessageStore::new(dynamo.clone())),
            chat_apps: Arc::new(DynamoChatAppStore::new(dynamo.clone())),
            site: Arc::new(DynamoSiteStore::new(dynamo.clone())),
            agents: Arc::new(DynamoAgentStore::new(dynamo.clone())),
            tools: Arc::new(DynamoToolStore::new(dynamo.clone())),
            users: Arc::new(DynamoUserStore::new(dynamo.clone())),
            feedback: Arc::new(DynamoFeedbackStore::new(dynamo.clone())),
            usage: Arc::new(DynamoUsageLedger::new(dynamo.clone())),
            job_lock: Arc::new(DynamoJobLock::new(dynamo.clone())),
            journal: Arc::new(DynamoTurnJournal::new(dynamo.clone())),
            turns: Arc::new(DynamoTurnControl::new(dynamo.clone())),
            allowances: Arc::new(DynamoAllowances::new(dynamo.clone())),
        }
    }
}

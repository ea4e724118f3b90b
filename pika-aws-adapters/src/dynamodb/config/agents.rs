//! [`AgentStore`] on the `config` table: agents under `agent#{id}`.

use super::versioned::{self, Versioned};
use crate::dynamodb::Dynamo;
use async_trait::async_trait;
use pika_domain::agent::Agent;
use pika_domain::ids::AgentId;
use pika_ports::{AgentStore, Page, PageRequest, PortResult};

impl Versioned for Agent {
    const KIND: &'static str = "agent";
    const WHAT: &'static str = "agent";
    fn id(&self) -> &str {
        self.agent_id.as_str()
    }
}

/// Agents (see [`AgentStore`]).
#[derive(Debug, Clone)]
pub struct DynamoAgentStore {
    dynamo: Dynamo,
}

impl DynamoAgentStore {
    /// The agents of `dynamo`'s `config` table.
    pub fn new(dynamo: Dynamo) -> Self {
        Self { dynamo }
    }
}

#[async_trait]
impl AgentStore for DynamoAgentStore {
    async fn get(&self, id: &AgentId) -> PortResult<Option<Agent>> {
        versioned::get(&self.dynamo, id.as_str()).await
    }

    async fn list(&self, page: PageRequest) -> PortResult<Page<Agent>> {
        versioned::list(&self.dynamo, page).await
    }

    async fn create(&self, agent: &Agent) -> PortResult<()> {
        versioned::create(&self.dynamo, agent).await
    }

    async fn update(&self, agent: &Agent, expected_version: u64) -> PortResult<()> {
        versioned::update(&self.dynamo, agent, expected_version).await
    }

    async fn delete(&self, id: &AgentId) -> PortResult<()> {
        versioned::delete::<Agent>(&self.dynamo, id.as_str()).await
    }
}

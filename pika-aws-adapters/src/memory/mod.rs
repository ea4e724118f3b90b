//! [`AgentCoreMemory`]: the [`UserMemory`] port on Amazon Bedrock AgentCore
//! Memory (PIKA.md §10, §12).
//!
//! - `record` sends the exchange as one `CreateEvent` (actor = the user,
//!   session = the chat session, a conversational payload of the user's and
//!   the assistant's text). AgentCore extracts records from events
//!   **asynchronously**: a record becomes retrievable some time later.
//! - `retrieve` is `RetrieveMemoryRecords` (semantic search, `topK`) in the
//!   strategy's namespace for the user, e.g. `/users/{actorId}/preferences`.
//! - `list` reads both namespaces with `ListMemoryRecords` and pages newest
//!   first with its own cursor.
//! - `delete_user` deletes the user's records and their raw events.
//!
//! User ids AgentCore does not accept as actor ids (e-mail addresses, `|`)
//! are escaped (module `actor`). Errors are classified by
//! [`crate::aws::classify`]: throttling and 5xx are `Transient`, validation
//! `Invalid`, a missing memory `NotFound`, access denied `Permanent`.

mod actor;
mod erase;
mod listing;
mod records;

use crate::aws::{classify, SdkConfig};
use actor::{actor_id, namespace, ACTOR_PLACEHOLDER};
use async_trait::async_trait;
use aws_sdk_bedrockagentcore::types::{Content, Conversational, PayloadType, Role, SearchCriteria};
use aws_sdk_bedrockagentcore::Client;
use pika_domain::ids::UserId;
use pika_domain::memory::{MemoryRecord, MemoryStrategy};
use pika_ports::page::{Page, PageRequest};
use pika_ports::{MemoryExchange, PortError, PortResult, UserMemory};

/// Which memory to use and where each strategy's records live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCoreMemoryConfig {
    /// The AgentCore Memory resource id.
    pub memory_id: String,
    /// Namespace template of the user-preference strategy; must hold
    /// `{actorId}`. Default `/users/{actorId}/preferences`.
    pub preferences_namespace: String,
    /// Namespace template of the semantic (facts) strategy; must hold
    /// `{actorId}`. Default `/users/{actorId}/facts`.
    pub semantic_namespace: String,
    /// The most records one retrieval asks for (the port's limit lowers
    /// it). Default 5 (PIKA.md §10).
    pub top_k: u32,
}

impl AgentCoreMemoryConfig {
    /// `memory_id` with the default namespaces and top-k.
    pub fn new(memory_id: impl Into<String>) -> Self {
        Self {
            memory_id: memory_id.into(),
            preferences_namespace: "/users/{actorId}/preferences".to_string(),
            semantic_namespace: "/users/{actorId}/facts".to_string(),
            top_k: 5,
        }
    }

    fn template(&self, strategy: MemoryStrategy) -> &str {
        match strategy {
            MemoryStrategy::Preferences => &self.preferences_namespace,
            MemoryStrategy::Semantic => &self.semantic_namespace,
        }
    }
}

/// A [`UserMemory`] on AgentCore Memory.
#[derive(Debug, Clone)]
pub struct AgentCoreMemory {
    client: Client,
    config: AgentCoreMemoryConfig,
}

impl AgentCoreMemory {
    /// A memory with a client built from `sdk`.
    ///
    /// # Errors
    /// `Permanent` when a namespace template lacks `{actorId}` (every user
    /// would share one memory) or the memory id is empty.
    pub fn new(sdk: &SdkConfig, config: AgentCoreMemoryConfig) -> PortResult<Self> {
        Self::with_client(Client::new(sdk), config)
    }

    /// A memory using `client` as it is.
    ///
    /// # Errors
    /// As [`AgentCoreMemory::new`].
    pub fn with_client(client: Client, config: AgentCoreMemoryConfig) -> PortResult<Self> {
        if config.memory_id.trim().is_empty() {
            return Err(PortError::permanent(
                "agentcore memory: no memory id configured",
            ));
        }
        for strategy in MemoryStrategy::ALL {
            if !config.template(strategy).contains(ACTOR_PLACEHOLDER) {
                return Err(PortError::permanent(format!(
                    "agentcore memory: the {strategy:?} namespace {:?} must contain {ACTOR_PLACEHOLDER}, or users would share records",
                    config.template(strategy)
                )));
            }
        }
        Ok(Self { client, config })
    }

    fn namespace_of(&self, user: &UserId, strategy: MemoryStrategy) -> PortResult<String> {
        Ok(namespace(self.config.template(strategy), &actor_id(user)?))
    }

    /// Every record of `user`, both strategies.
    async fn all_records(&self, user: &UserId) -> PortResult<Vec<MemoryRecord>> {
        let mut all = Vec::new();
        for strategy in MemoryStrategy::ALL {
            let ns = self.namespace_of(user, strategy)?;
            let summaries =
                records::list_namespace(&self.client, &self.config.memory_id, &ns).await?;
            all.extend(
                summaries
                    .iter()
                    .filter_map(|s| records::to_record(s, user, strategy)),
            );
        }
        Ok(all)
    }
}

fn message(text: &str, role: Role) -> PortResult<PayloadType> {
    let turn = Conversational::builder()
        .content(Content::Text(text.to_string()))
        .role(role)
        .build()
        .map_err(|e| PortError::permanent(format!("agentcore CreateEvent: {e}")).with_source(e))?;
    Ok(PayloadType::Conversational(turn))
}

#[async_trait]
impl UserMemory for AgentCoreMemory {
    async fn retrieve(
        &self,
        user: &UserId,
        strategy: MemoryStrategy,
        query: &str,
        limit: u32,
    ) -> PortResult<Vec<MemoryRecord>> {
        let top_k = limit.min(self.config.top_k);
        if top_k == 0 {
            return Ok(Vec::new());
        }
        let ns = self.namespace_of(user, strategy)?;
        let top_k = i32::try_from(top_k).unwrap_or(i32::MAX);
        // AgentCore refuses an empty query; without one, nothing is "most
        // relevant", and the newest records are the best guess.
        if query.trim().is_empty() {
            let mut records = self.all_records(user).await?;
            records.retain(|r| r.strategy == strategy);
            let page = listing::page_of(records, &PageRequest::first(limit))?;
            return Ok(page.items.into_iter().take(top_k as usize).collect());
        }
        let criteria = SearchCriteria::builder()
            .search_query(query)
            .top_k(top_k)
            .build()
            .map_err(|e| {
                PortError::permanent(format!("agentcore RetrieveMemoryRecords: {e}")).with_source(e)
            })?;
        let out = self
            .client
            .retrieve_memory_records()
            .memory_id(&self.config.memory_id)
            .namespace(ns)
            .search_criteria(criteria)
            .max_results(top_k)
            .send()
            .await
            .map_err(|e| classify("agentcore RetrieveMemoryRecords", e))?;
        Ok(out
            .memory_record_summaries
            .iter()
            .filter_map(|s| records::to_record(s, user, strategy))
            .take(top_k as usize)
            .collect())
    }

    async fn record(&self, exchange: &MemoryExchange) -> PortResult<()> {
        // Empty texts are refused by AgentCore and carry nothing to remember.
        let mut payload = Vec::new();
        if !exchange.user_text.trim().is_empty() {
            payload.push(message(&exchange.user_text, Role::User)?);
        }
        if !exchange.assistant_text.trim().is_empty() {
            payload.push(message(&exchange.assistant_text, Role::Assistant)?);
        }
        if payload.is_empty() {
            return Ok(());
        }
        let at = exchange.at;
        self.client
            .create_event()
            .memory_id(&self.config.memory_id)
            .actor_id(actor_id(&exchange.user_id)?)
            .session_id(exchange.session_id.to_string())
            .event_timestamp(
                aws_smithy_types::DateTime::from_nanos(i128::from(at.timestamp_micros()) * 1000)
                    .map_err(|e| PortError::invalid(format!("exchange time {at}: {e}")))?,
            )
            .set_payload(Some(payload))
            .send()
            .await
            .map_err(|e| classify("agentcore CreateEvent", e))?;
        Ok(())
    }

    async fn list(&self, user: &UserId, page: PageRequest) -> PortResult<Page<MemoryRecord>> {
        let records = self.all_records(user).await?;
        listing::page_of(records, &page)
    }

    async fn delete_user(&self, user: &UserId) -> PortResult<()> {
        for strategy in MemoryStrategy::ALL {
            let ns = self.namespace_of(user, strategy)?;
            erase::erase_records(&self.client, &self.config.memory_id, &ns).await?;
        }
        erase::erase_events(&self.client, &self.config.memory_id, &actor_id(user)?).await
    }
}

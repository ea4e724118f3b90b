//! Amazon Bedrock as Pika's model ports.
//!
//! - [`ConverseRuntime`]: the [`AgentRuntime`](pika_ports::AgentRuntime)
//!   over `ConverseStream`. Pika runs the tool loop itself: a `toolUse`
//!   block becomes a [`RuntimeEvent::ToolUse`](pika_ports::RuntimeEvent),
//!   and the service sends the results back in the next call's history.
//! - [`ConverseCompletions`]: the [`CompletionModel`](pika_ports::CompletionModel)
//!   over `Converse`, for the verifier, titles and assessments.
//! - [`InlineAgentRuntime`]: the [`AgentRuntime`](pika_ports::AgentRuntime)
//!   over `InvokeInlineAgent`. Each tool function becomes an action group
//!   that returns control; the results go back through
//!   `inlineSessionState.returnControlInvocationResults`. It searches the
//!   agent's knowledge bases itself (`knowledgeBases`), reporting Bedrock's
//!   citations as a `citations` trace.
//! - [`BedrockKnowledge`]: the [`KnowledgeRetriever`](pika_ports::KnowledgeRetriever)
//!   over `Retrieve`, for the Converse path's search tool.
//!
//! Every adapter builds its SDK client once from an [`SdkConfig`] (see
//! [`crate::aws::load_sdk_config`]). Errors follow the ports: throttling,
//! quotas, a model not ready, internal and dependency failures, and a
//! stream that breaks off are `Transient`; a refused request is `Invalid`;
//! no access or an unknown model is `Permanent`. The mapping to and from
//! the Bedrock wire shapes is described in `docs/aws-bedrock.md`.

mod converse;
mod converse_events;
mod converse_wire;
mod document;
mod errors;
mod inline_agent;
mod inline_collaborators;
mod inline_events;
mod inline_wire;
mod knowledge;
mod outbox;
mod stream;

pub use converse::{ConverseCompletions, ConverseRuntime};
pub use inline_agent::{check_inline_agent, InlineAgentRuntime};
pub use knowledge::BedrockKnowledge;

use crate::aws::SdkConfig;
use pika_domain::agent::GuardrailConfig;
use std::time::Duration;

/// What the Bedrock adapters add to the SDK configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct BedrockOptions {
    /// The site's guardrail: applied to every call whose agent has none of
    /// its own (`AgentRequest::guardrail`), and to verifier and title calls.
    pub guardrail: Option<GuardrailConfig>,
    /// Longest wait for the next event of a streamed answer; a longer gap
    /// fails the call as `Transient`.
    pub idle_timeout: Duration,
}

impl Default for BedrockOptions {
    /// No guardrail; two minutes between events.
    fn default() -> Self {
        Self {
            guardrail: None,
            idle_timeout: Duration::from_secs(120),
        }
    }
}

/// The Bedrock runtime client of `sdk` (`bedrock-runtime`).
fn runtime_client(sdk: &SdkConfig) -> aws_sdk_bedrockruntime::Client {
    aws_sdk_bedrockruntime::Client::new(sdk)
}

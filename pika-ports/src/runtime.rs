//! The agent runtime port: a model that answers with a stream of events and
//! may ask for tools (Bedrock `InvokeInlineAgent` / `ConverseStream`, an
//! OpenAI-compatible server, an embedded model, a scripted fake).

use crate::error::{PortError, PortResult};
use async_trait::async_trait;
use futures::stream::BoxStream;
use pika_domain::agent::GuardrailConfig;
use pika_domain::cost::TokenUsage;
use pika_domain::ids::{SessionId, ToolName};
use pika_domain::message::Role;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One block of a conversation message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum ContentBlock {
    /// Text.
    Text {
        /// The text.
        text: String,
    },
    /// The model asked for a tool (assistant messages).
    ToolUse {
        /// The model's id for the call.
        tool_use_id: String,
        /// The function.
        name: String,
        /// Its input.
        input: Value,
    },
    /// A tool's answer (user messages).
    ToolResult {
        /// The call.
        tool_use_id: String,
        /// Whether it succeeded.
        ok: bool,
        /// Its output or error text.
        output: Value,
    },
}

/// A message of the conversation sent to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationMessage {
    /// Who speaks.
    pub role: Role,
    /// What they say.
    pub content: Vec<ContentBlock>,
}

impl ConversationMessage {
    /// A message of plain text.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            content: vec![ContentBlock::Text { text: text.into() }],
        }
    }

    /// The text blocks joined.
    pub fn joined_text(&self) -> String {
        self.content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// A function the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolSpec {
    /// The function name.
    pub name: ToolName,
    /// What it does.
    pub description: String,
    /// A JSON Schema object of its input.
    pub input_schema: Value,
    /// The Lambda function that runs it, for providers that may invoke it
    /// themselves (Bedrock agents' Lambda executor); `None`: the caller runs
    /// the tool (return of control).
    pub lambda_arn: Option<String>,
}

/// One invocation of the agent.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRequest {
    /// The model (or inference profile).
    pub model_id: String,
    /// The system instruction (with assistance blocks and memory already in).
    pub instruction: String,
    /// The conversation, oldest first, ending with the user's turn (or tool results).
    pub messages: Vec<ConversationMessage>,
    /// Functions the model may call.
    pub tools: Vec<ToolSpec>,
    /// Most output tokens.
    pub max_output_tokens: u32,
    /// The session, for providers that keep their own history.
    pub session_id: SessionId,
    /// Attributes handed to tools (PIKA.md §5).
    pub session_attributes: Map<String, Value>,
    /// The agent's guardrail, for providers that apply one (Bedrock).
    pub guardrail: Option<GuardrailConfig>,
    /// The agent's knowledge bases with the caller's filters, for runtimes
    /// that search them themselves ([`AgentRuntime::retrieves_knowledge`]);
    /// empty for the others, which get a search tool among `tools`.
    pub knowledge_bases: Vec<KnowledgeBaseRequest>,
    /// The agents the model may hand questions to, for runtimes that run
    /// collaboration themselves ([`AgentRuntime::collaborates`]); empty for
    /// the others, which get an `ask_{agentId}` tool per collaborator.
    pub collaborators: Vec<CollaboratorRequest>,
}

/// An agent a runtime lets the model consult on its own (a Bedrock inline
/// agent's collaborator). Its tools that come back to the caller (no
/// `lambda_arn`) are returned as tool uses like the agent's own.
#[derive(Debug, Clone, PartialEq)]
pub struct CollaboratorRequest {
    /// Its name, unique within the request (the agent's id).
    pub name: String,
    /// When the agent should ask it (what it is for).
    pub when_to_ask: String,
    /// Its own instruction.
    pub instruction: String,
    /// Its model.
    pub model_id: String,
    /// Its functions.
    pub tools: Vec<ToolSpec>,
    /// Its knowledge bases, with the caller's filters.
    pub knowledge_bases: Vec<KnowledgeBaseRequest>,
    /// Its guardrail.
    pub guardrail: Option<GuardrailConfig>,
}

/// A knowledge base a runtime searches itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnowledgeBaseRequest {
    /// The knowledge base.
    pub knowledge_base_id: String,
    /// When to search it, for the model.
    pub description: String,
    /// Conditions on the documents' metadata (the caller's values).
    pub filter: Vec<pika_domain::knowledge::Condition>,
    /// Passages per search.
    pub max_results: u32,
}

/// Why a model call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The answer is complete.
    EndTurn,
    /// The model waits for the results of the tools it asked for.
    ToolUse,
    /// The output limit was reached.
    MaxTokens,
    /// A guardrail or content filter intervened.
    ContentFiltered,
    /// The provider ran the tool loop itself (Bedrock agents) and stopped
    /// at its own bound on iterations; the answer is cut short.
    IterationLimit,
}

/// One event of a model call.
#[derive(Debug, Clone, PartialEq)]
pub enum RuntimeEvent {
    /// Answer text.
    TextDelta(String),
    /// The model asks the caller to run a tool (return of control).
    ToolUse {
        /// The model's id for the call.
        tool_use_id: String,
        /// The function.
        name: String,
        /// Its input.
        input: Value,
    },
    /// The provider ran a tool itself and reports the result.
    ToolResult {
        /// The call.
        tool_use_id: String,
        /// The function.
        name: String,
        /// Whether it succeeded.
        ok: bool,
        /// Its output.
        output: Value,
    },
    /// A trace from the provider.
    Trace {
        /// What kind.
        kind: String,
        /// Details.
        detail: Value,
    },
    /// Token usage (may come more than once; the caller adds them up).
    Usage(TokenUsage),
    /// The call ended; nothing follows.
    Completed(StopReason),
}

/// The events of one call. An `Err` item is the error event: the call failed
/// and nothing follows it. A stream that ends without `Completed` or `Err`
/// was cut.
pub type RuntimeStream = BoxStream<'static, Result<RuntimeEvent, PortError>>;

/// Runs the agent's model.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait AgentRuntime: Send + Sync {
    /// Starts a call and returns its event stream. Dropping the stream
    /// cancels the call.
    ///
    /// # Errors
    /// Before any event:
    /// - `Transient` when the model is throttled or unavailable; retry later.
    /// - `Invalid` when the request is refused (too long, bad tool schema).
    /// - `Permanent` on misconfiguration (unknown model, no access).
    ///
    /// Later failures arrive as an `Err` item in the stream, with the same kinds.
    async fn invoke(&self, request: AgentRequest) -> PortResult<RuntimeStream>;

    /// Checks an agent's instruction against what this runtime would refuse
    /// at a turn, so an administrator meets the limit when saving, not as a
    /// failed turn. Default: every instruction passes.
    ///
    /// # Errors
    /// `Invalid`, naming the limit broken.
    fn check_instruction(&self, instruction: &str) -> PortResult<()> {
        let _ = instruction;
        Ok(())
    }

    /// Whether this runtime searches knowledge bases itself (given in
    /// [`AgentRequest::knowledge_bases`], its citations reported as a
    /// `citations` trace of [`pika_domain::knowledge::Citation`]s). Default:
    /// no — the caller offers a search tool and runs it.
    fn retrieves_knowledge(&self) -> bool {
        false
    }

    /// Whether this runtime runs collaborators itself (given in
    /// [`AgentRequest::collaborators`]). Default: no — the caller offers
    /// each collaborator as a tool and runs its answer.
    fn collaborates(&self) -> bool {
        false
    }

    /// Checks tool definitions the same way. Default: all pass.
    ///
    /// # Errors
    /// `Invalid`, naming the limit broken and the tool.
    fn check_tools(&self, tools: &[ToolSpec]) -> PortResult<()> {
        let _ = tools;
        Ok(())
    }
}

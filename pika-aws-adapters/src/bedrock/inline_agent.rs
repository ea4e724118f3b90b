//! `InvokeInlineAgent` as the agent runtime: the agent is defined on every
//! call (instruction, model, tools as action groups, guardrail), Bedrock
//! orchestrates, and returns control when it wants a tool run.

use super::errors::{call_error, stream_error};
use super::inline_collaborators::{collaborators, guardrail};
use super::inline_events::InlineParser;
use super::inline_wire::{action_groups, call};
use super::knowledge::inline_knowledge_bases;
use super::stream::{runtime_stream, EventSource};
use super::BedrockOptions;
use crate::aws::SdkConfig;
use async_trait::async_trait;
use aws_sdk_bedrockagentruntime::primitives::event_stream::EventReceiver;
use aws_sdk_bedrockagentruntime::types::error::InlineAgentResponseStreamError;
use aws_sdk_bedrockagentruntime::types::{
    AgentCollaboration, InlineAgentResponseStream, StreamingConfigurations,
};
use aws_sdk_bedrockagentruntime::Client;
use futures::future::BoxFuture;
use futures::FutureExt;
use pika_ports::{AgentRequest, AgentRuntime, PortError, PortResult, RuntimeStream, ToolSpec};

/// The shortest instruction `InvokeInlineAgent` takes, in characters.
pub const MIN_INSTRUCTION_CHARS: usize = 40;
/// The longest action-group (tool function) description it takes.
pub const MAX_DESCRIPTION_CHARS: usize = 200;

/// What Bedrock refuses in an inline agent's definition, found before a
/// turn: a short instruction, a long tool description.
///
/// # Errors
/// `Invalid`, naming the limit and the tool.
pub fn check_inline_agent(instruction: Option<&str>, tools: &[ToolSpec]) -> PortResult<()> {
    if let Some(instruction) = instruction {
        let chars = instruction.trim().chars().count();
        if chars < MIN_INSTRUCTION_CHARS {
            return Err(PortError::invalid(format!(
                "Bedrock inline agents need an instruction of at least {MIN_INSTRUCTION_CHARS} characters (this one has {chars})"
            )));
        }
    }
    if let Some(tool) = tools
        .iter()
        .find(|t| t.description.chars().count() > MAX_DESCRIPTION_CHARS)
    {
        return Err(PortError::invalid(format!(
            "Bedrock inline agents take tool descriptions of at most {MAX_DESCRIPTION_CHARS} characters; {} has {}",
            tool.name,
            tool.description.chars().count()
        )));
    }
    Ok(())
}

/// The agent runtime over Bedrock inline agents. Cheap to clone (clones
/// share the client).
#[derive(Clone, Debug)]
pub struct InlineAgentRuntime {
    client: Client,
    options: BedrockOptions,
}

impl InlineAgentRuntime {
    /// A runtime whose client is built once from `sdk`.
    pub fn new(sdk: &SdkConfig, options: BedrockOptions) -> Self {
        Self {
            client: Client::new(sdk),
            options,
        }
    }
}

#[async_trait]
impl AgentRuntime for InlineAgentRuntime {
    fn check_instruction(&self, instruction: &str) -> PortResult<()> {
        check_inline_agent(Some(instruction), &[])
    }

    fn check_tools(&self, tools: &[ToolSpec]) -> PortResult<()> {
        check_inline_agent(None, tools)
    }

    /// Bedrock searches the agent's knowledge bases itself.
    fn retrieves_knowledge(&self) -> bool {
        true
    }

    /// Bedrock consults collaborators itself, the agent as supervisor.
    fn collaborates(&self) -> bool {
        true
    }

    async fn invoke(&self, request: AgentRequest) -> PortResult<RuntimeStream> {
        let inline = call(&request)?;
        // The agent's own guardrail, else the site's.
        let guardrail = request
            .guardrail
            .as_ref()
            .or(self.options.guardrail.as_ref())
            .map(guardrail)
            .transpose()?;
        let groups = action_groups(&request.tools)?;
        let bases = inline_knowledge_bases(&request.knowledge_bases)?;
        let (collaborators, configurations) = collaborators(&request.collaborators)?;
        let supervising = !collaborators.is_empty();
        // Bedrock's references do not name their knowledge base; with one,
        // it is that one.
        let knowledge_base = match request.knowledge_bases.as_slice() {
            [one] => one.knowledge_base_id.clone(),
            _ => "bedrock".to_string(),
        };
        tracing::debug!(
            model = %request.model_id,
            session = %request.session_id,
            action_groups = groups.len(),
            continuation = inline.input_text.is_none(),
            "InvokeInlineAgent"
        );
        let output = self
            .client
            .invoke_inline_agent()
            .session_id(request.session_id.to_string())
            .foundation_model(&request.model_id)
            .instruction(&request.instruction)
            .set_action_groups((!groups.is_empty()).then_some(groups))
            .set_knowledge_bases((!bases.is_empty()).then_some(bases))
            .set_guardrail_configuration(guardrail)
            .set_agent_collaboration(supervising.then_some(AgentCollaboration::Supervisor))
            .set_collaborators(supervising.then_some(collaborators))
            .set_collaborator_configurations(supervising.then_some(configurations))
            .set_input_text(inline.input_text)
            .inline_session_state(inline.session_state)
            .enable_trace(true)
            .streaming_configurations(
                StreamingConfigurations::builder()
                    .stream_final_response(true)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| call_error("InvokeInlineAgent", e))?;
        Ok(runtime_stream(
            InlineSource(output.completion),
            InlineParser::citing(knowledge_base),
            self.options.idle_timeout,
        ))
    }
}

/// The event receiver of an `InvokeInlineAgent` answer.
struct InlineSource(EventReceiver<InlineAgentResponseStream, InlineAgentResponseStreamError>);

impl EventSource for InlineSource {
    type Event = InlineAgentResponseStream;

    fn recv(&mut self) -> BoxFuture<'_, Result<Option<InlineAgentResponseStream>, PortError>> {
        async move {
            self.0
                .recv()
                .await
                .map_err(|e| stream_error("InvokeInlineAgent", e))
        }
        .boxed()
    }
}

//! The Converse API as the agent runtime (`ConverseStream`) and as the
//! completion model (`Converse`).

use super::converse_events::{tokens, ConverseParser};
use super::converse_wire::{inference, messages, system, tool_config};
use super::errors::{call_error, stream_error};
use super::stream::{runtime_stream, EventSource};
use super::{runtime_client, BedrockOptions};
use crate::aws::SdkConfig;
use async_trait::async_trait;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use aws_sdk_bedrockruntime::types::{
    ContentBlock as Block, ConverseOutput, ConverseStreamOutput, GuardrailConfiguration,
    GuardrailStreamConfiguration, GuardrailTrace,
};
use aws_sdk_bedrockruntime::Client;
use futures::future::BoxFuture;
use futures::FutureExt;
use pika_domain::message::Role;
use pika_ports::{
    AgentRequest, AgentRuntime, Completion, CompletionModel, CompletionRequest,
    ConversationMessage, PortError, PortResult, RuntimeStream,
};

/// The agent runtime over `ConverseStream`; Pika runs the tools. Cheap to
/// clone (clones share the client).
#[derive(Clone, Debug)]
pub struct ConverseRuntime {
    client: Client,
    options: BedrockOptions,
}

impl ConverseRuntime {
    /// A runtime whose client is built once from `sdk`.
    pub fn new(sdk: &SdkConfig, options: BedrockOptions) -> Self {
        Self {
            client: runtime_client(sdk),
            options,
        }
    }
}

#[async_trait]
impl AgentRuntime for ConverseRuntime {
    async fn invoke(&self, request: AgentRequest) -> PortResult<RuntimeStream> {
        tracing::debug!(
            model = %request.model_id,
            messages = request.messages.len(),
            tools = request.tools.len(),
            "ConverseStream"
        );
        // The agent's own guardrail, else the site's.
        let guardrail = request
            .guardrail
            .as_ref()
            .or(self.options.guardrail.as_ref());
        let guardrail = guardrail.map(|g| {
            GuardrailStreamConfiguration::builder()
                .guardrail_identifier(&g.guardrail_identifier)
                .guardrail_version(&g.guardrail_version)
                .trace(GuardrailTrace::Enabled)
                .build()
        });
        let output = self
            .client
            .converse_stream()
            .model_id(&request.model_id)
            .set_system(system(&request.instruction))
            .set_messages(Some(messages(&request.messages)?))
            .set_tool_config(tool_config(&request.tools)?)
            .inference_config(inference(request.max_output_tokens))
            .set_guardrail_config(guardrail)
            .send()
            .await
            .map_err(|e| call_error("ConverseStream", e))?;
        Ok(runtime_stream(
            ConverseSource(output.stream),
            ConverseParser::default(),
            self.options.idle_timeout,
        ))
    }
}

/// The event receiver of a `ConverseStream` answer.
struct ConverseSource(
    aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver<
        ConverseStreamOutput,
        ConverseStreamOutputError,
    >,
);

impl EventSource for ConverseSource {
    type Event = ConverseStreamOutput;

    fn recv(&mut self) -> BoxFuture<'_, Result<Option<ConverseStreamOutput>, PortError>> {
        async move {
            self.0
                .recv()
                .await
                .map_err(|e| stream_error("ConverseStream", e))
        }
        .boxed()
    }
}

/// Single-shot completions over `Converse` (verifier, titles, assessments).
/// Cheap to clone (clones share the client).
#[derive(Clone, Debug)]
pub struct ConverseCompletions {
    client: Client,
    options: BedrockOptions,
}

impl ConverseCompletions {
    /// A completion model whose client is built once from `sdk`.
    pub fn new(sdk: &SdkConfig, options: BedrockOptions) -> Self {
        Self {
            client: runtime_client(sdk),
            options,
        }
    }
}

#[async_trait]
impl CompletionModel for ConverseCompletions {
    async fn complete(&self, request: CompletionRequest) -> PortResult<Completion> {
        tracing::debug!(model = %request.model_id, purpose = ?request.purpose, "Converse");
        let input = [ConversationMessage::text(Role::User, request.input)];
        let guardrail = self.options.guardrail.as_ref().map(|g| {
            GuardrailConfiguration::builder()
                .guardrail_identifier(&g.guardrail_identifier)
                .guardrail_version(&g.guardrail_version)
                .build()
        });
        let output = self
            .client
            .converse()
            .model_id(&request.model_id)
            .set_system(system(&request.instruction))
            .set_messages(Some(messages(&input)?))
            .inference_config(inference(request.max_output_tokens))
            .set_guardrail_config(guardrail)
            .send()
            .await
            .map_err(|e| call_error("Converse", e))?;
        let text = match &output.output {
            Some(ConverseOutput::Message(message)) => message
                .content
                .iter()
                .filter_map(|block| match block {
                    Block::Text(text) => Some(text.as_str()),
                    _ => None,
                })
                .collect(),
            _ => String::new(),
        };
        let usage = output.usage.as_ref().map(tokens).unwrap_or_default();
        Ok(Completion { text, usage })
    }
}

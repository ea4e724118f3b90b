//! `InvokeInlineAgent` events to runtime events: chunks are text, a return
//! of control is one tool use per function call, traces carry the usage of
//! each model invocation and the tools Bedrock ran itself, and files are
//! reported as a trace. The stream has no stop event: its end completes the
//! call (`ToolUse` after a return of control).

use super::errors::is_max_iterations;
use super::inline_wire::tool_use_id;
use super::knowledge::citations_of;
use super::outbox::Outbox;
use super::stream::EventParser;
use aws_sdk_bedrockagentruntime::types::{
    ExecutionType, FunctionParameter, GuardrailAction, InlineAgentFilePart,
    InlineAgentResponseStream, InlineAgentReturnControlPayload, InvocationInput,
    InvocationInputMember, Metadata, Observation, OrchestrationTrace, PostProcessingTrace,
    PreProcessingTrace, Trace,
};
use pika_domain::cost::TokenUsage;
use pika_ports::{PortError, RuntimeEvent, StopReason};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// A tool call Bedrock runs itself (a Lambda executor), until its observation.
#[derive(Debug)]
struct ProviderCall {
    tool_use_id: String,
    name: String,
}

/// The parser of one `InvokeInlineAgent` call.
#[derive(Debug, Default)]
pub(super) struct InlineParser {
    out: Outbox,
    returned_control: bool,
    guardrail_intervened: bool,
    /// Calls Bedrock runs itself, by the trace id their observation carries.
    provider_calls: HashMap<String, ProviderCall>,
    /// The knowledge base its citations are credited to.
    knowledge_base: String,
}

impl InlineParser {
    /// A parser crediting citations to `knowledge_base`.
    pub(super) fn citing(knowledge_base: String) -> Self {
        Self {
            knowledge_base,
            ..Self::default()
        }
    }
}

impl EventParser for InlineParser {
    type Event = InlineAgentResponseStream;

    fn on_event(&mut self, event: InlineAgentResponseStream) {
        match event {
            InlineAgentResponseStream::Chunk(part) => {
                if let Some(attribution) = &part.attribution {
                    let cited = citations_of(attribution, &self.knowledge_base);
                    if !cited.is_empty() {
                        self.out.push(RuntimeEvent::Trace {
                            kind: "citations".to_string(),
                            detail: serde_json::to_value(&cited).unwrap_or(Value::Null),
                        });
                    }
                }
                let text = part
                    .bytes
                    .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
                    .unwrap_or_default();
                if !text.is_empty() {
                    self.out.push(RuntimeEvent::TextDelta(text));
                }
            }
            InlineAgentResponseStream::ReturnControl(payload) => self.return_control(payload),
            InlineAgentResponseStream::Trace(part) => {
                if let Some(trace) = part.trace {
                    self.trace(trace);
                }
            }
            InlineAgentResponseStream::Files(part) => self.files(&part),
            _ => {}
        }
    }

    fn on_end(&mut self) {
        let stop = if self.returned_control {
            StopReason::ToolUse
        } else if self.guardrail_intervened {
            StopReason::ContentFiltered
        } else {
            StopReason::EndTurn
        };
        self.out.complete(stop);
    }

    fn outbox(&mut self) -> &mut Outbox {
        &mut self.out
    }

    fn on_error(&mut self, error: PortError) {
        if is_max_iterations(&error.message) {
            self.limit(&error.message);
        } else {
            self.out.fail(error);
        }
    }
}

impl InlineParser {
    fn return_control(&mut self, payload: InlineAgentReturnControlPayload) {
        let Some(invocation_id) = payload.invocation_id.filter(|id| !id.is_empty()) else {
            return self.out.fail(PortError::permanent(
                "Bedrock returned control without an invocation id; its results could not be sent back",
            ));
        };
        for (index, input) in payload
            .invocation_inputs
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            match input {
                InvocationInputMember::FunctionInvocationInput(call) => {
                    self.returned_control = true;
                    self.out.push(RuntimeEvent::ToolUse {
                        tool_use_id: tool_use_id(&invocation_id, index, call.agent_id.as_deref()),
                        name: call.function.unwrap_or(call.action_group),
                        input: arguments(call.parameters.as_deref().unwrap_or_default()),
                    });
                }
                // Pika defines functions only, never OpenAPI action groups.
                other => tracing::warn!(?other, "Bedrock returned control for an API call"),
            }
        }
    }

    fn trace(&mut self, trace: Trace) {
        match trace {
            Trace::OrchestrationTrace(step) => self.orchestration(step),
            Trace::PreProcessingTrace(PreProcessingTrace::ModelInvocationOutput(output)) => {
                self.usage(output.metadata.as_ref());
            }
            Trace::PostProcessingTrace(PostProcessingTrace::ModelInvocationOutput(output)) => {
                self.usage(output.metadata.as_ref());
            }
            Trace::GuardrailTrace(guardrail) => {
                let action = guardrail.action.as_ref().map(|a| a.as_str().to_string());
                if guardrail.action == Some(GuardrailAction::Intervened) {
                    self.guardrail_intervened = true;
                }
                self.push_trace("guardrail", json!({ "action": action }));
            }
            Trace::FailureTrace(failure) => {
                let reason = failure.failure_reason.unwrap_or_default();
                if is_max_iterations(&reason) {
                    self.limit(&reason);
                } else {
                    self.push_trace(
                        "failure",
                        json!({ "reason": reason, "code": failure.failure_code }),
                    );
                }
            }
            _ => {}
        }
    }

    fn orchestration(&mut self, step: OrchestrationTrace) {
        match step {
            OrchestrationTrace::ModelInvocationOutput(output) => {
                self.usage(output.metadata.as_ref());
            }
            OrchestrationTrace::Rationale(rationale) => {
                self.push_trace("rationale", json!({ "text": rationale.text }));
            }
            OrchestrationTrace::InvocationInput(input) => self.invocation_input(input),
            OrchestrationTrace::Observation(observation) => self.observation(observation),
            _ => {}
        }
    }

    /// An action group call: traced; when Bedrock runs it itself (Lambda
    /// executor), its observation will be the tool's result.
    fn invocation_input(&mut self, input: InvocationInput) {
        let Some(call) = input.action_group_invocation_input else {
            return;
        };
        let name = call
            .function
            .clone()
            .or_else(|| call.action_group_name.clone())
            .unwrap_or_default();
        let execution = call.execution_type.as_ref().map(|e| e.as_str().to_string());
        self.push_trace(
            "tool_invocation",
            json!({
                "actionGroup": call.action_group_name,
                "function": call.function,
                "executionType": execution,
            }),
        );
        if call.execution_type == Some(ExecutionType::Lambda) {
            if let Some(trace_id) = input.trace_id {
                let tool_use_id = call.invocation_id.unwrap_or_else(|| trace_id.clone());
                self.provider_calls
                    .insert(trace_id, ProviderCall { tool_use_id, name });
            }
        }
    }

    fn observation(&mut self, observation: Observation) {
        if let Some(output) = &observation.action_group_invocation_output {
            let call = observation
                .trace_id
                .as_ref()
                .and_then(|id| self.provider_calls.remove(id));
            if let Some(call) = call {
                let text = output.text.clone().unwrap_or_default();
                let output = serde_json::from_str(&text).unwrap_or(Value::String(text));
                self.out.push(RuntimeEvent::ToolResult {
                    tool_use_id: call.tool_use_id,
                    name: call.name,
                    ok: true,
                    output,
                });
                return;
            }
        }
        let kind = observation.r#type.as_ref().map(|t| t.as_str().to_string());
        self.push_trace("observation", json!({ "type": kind }));
    }

    /// Files the agent produced. The port has no event for file contents,
    /// so they are reported by name, type and size.
    fn files(&mut self, part: &InlineAgentFilePart) {
        let files: Vec<Value> = part
            .files
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|f| {
                json!({
                    "name": f.name,
                    "type": f.r#type,
                    "size": f.bytes.as_ref().map(|b| b.as_ref().len()),
                })
            })
            .collect();
        self.push_trace("files", json!({ "files": files }));
    }

    fn usage(&mut self, metadata: Option<&Metadata>) {
        let Some(usage) = metadata.and_then(|m| m.usage.as_ref()) else {
            return;
        };
        let count = |n: Option<i32>| n.and_then(|n| u64::try_from(n).ok()).unwrap_or_default();
        self.out.push(RuntimeEvent::Usage(TokenUsage::new(
            count(usage.input_tokens),
            count(usage.output_tokens),
        )));
    }

    /// Bedrock's own iteration bound: a `limit` trace (as the service emits
    /// for its bound), then the error.
    fn limit(&mut self, detail: &str) {
        self.push_trace("limit", json!({ "source": "bedrock", "reason": detail }));
        self.out.complete(StopReason::IterationLimit);
    }

    fn push_trace(&mut self, kind: &str, detail: Value) {
        self.out.push(RuntimeEvent::Trace {
            kind: kind.to_string(),
            detail,
        });
    }
}

/// A function call's parameters as a JSON object. Bedrock sends every
/// value as a string with its declared type; numbers, booleans and arrays
/// are read back, and a value that does not read stays a string.
fn arguments(parameters: &[FunctionParameter]) -> Value {
    let mut object = Map::new();
    for parameter in parameters {
        let Some(name) = &parameter.name else {
            continue;
        };
        let raw = parameter.value.clone().unwrap_or_default();
        let value = match parameter.r#type.as_deref() {
            Some("integer" | "number" | "boolean" | "array") => {
                serde_json::from_str(&raw).unwrap_or(Value::String(raw))
            }
            _ => Value::String(raw),
        };
        object.insert(name.clone(), value);
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameter(name: &str, kind: &str, value: &str) -> FunctionParameter {
        FunctionParameter::builder()
            .name(name)
            .r#type(kind)
            .value(value)
            .build()
    }

    #[test]
    fn parameters_are_read_back_by_their_type() {
        let input = arguments(&[
            parameter("city", "string", "42"),
            parameter("days", "integer", "3"),
            parameter("metric", "boolean", "true"),
            parameter("tags", "array", "[\"a\",\"b\"]"),
            parameter("ratio", "number", "not a number"),
        ]);
        assert_eq!(
            input,
            json!({ "city": "42", "days": 3, "metric": true, "tags": ["a", "b"], "ratio": "not a number" })
        );
    }
}

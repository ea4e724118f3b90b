//! One answer from the model: stream its text to the caller, run the tools it
//! asks for (bounded iterations, a timeout per tool), stop when told.

use super::collaborate::{self, Collaboration};
use super::confirm::{self, Answer, Confirmations};
use super::emitter::Emitter;
use super::knowledge::{self, Knowledge};
use super::ChatInner;
use futures::StreamExt;
use pika_domain::cost::TokenUsage;
use pika_domain::history::estimate_tokens;
use pika_domain::ids::SessionId;
use pika_domain::knowledge::Citation;
use pika_domain::message::{Role, ToolCallRecord};
use pika_domain::tool::output::capped;
use pika_domain::tool::{ExecutionType, Tool};
use pika_ports::{
    AgentRequest, ContentBlock, ConversationMessage, ErrorKind, PortError, RuntimeEvent,
    StopReason, ToolInvocation, ToolSpec,
};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::watch;

/// What the model call sees, fixed for the whole turn.
pub(super) struct LoopContext {
    pub(super) model_id: String,
    pub(super) instruction: String,
    pub(super) specs: Vec<ToolSpec>,
    /// Tool definitions by function name.
    pub(super) tools_by_function: HashMap<String, Tool>,
    pub(super) attributes: Map<String, Value>,
    pub(super) max_output_tokens: u32,
    pub(super) max_tool_iterations: u32,
    pub(super) default_tool_timeout: Duration,
    /// The cap on one tool output ([`capped`]).
    pub(super) max_tool_output_bytes: u64,
    pub(super) session_id: SessionId,
    /// When the loop gives up ([`LoopEnd::OutOfTime`]).
    pub(super) deadline: Option<tokio::time::Instant>,
    /// The agent's guardrail.
    pub(super) guardrail: Option<pika_domain::agent::GuardrailConfig>,
    /// Where the answers to confirmation requests come from.
    pub(super) confirmations: Confirmations,
    /// The agent's knowledge bases, searched by the service (`None` when
    /// it has none, or the runtime searches them itself).
    pub(super) knowledge: Option<Knowledge>,
    /// The knowledge bases handed to a runtime that searches them itself.
    pub(super) native_knowledge: Vec<pika_ports::KnowledgeBaseRequest>,
    /// The agents this one may ask (`None` when none, or too deep).
    pub(super) collaboration: Option<Collaboration>,
    /// The agents this one may ask, handed to a runtime that consults them
    /// itself (empty otherwise).
    pub(super) native_collaborators: Vec<pika_ports::CollaboratorRequest>,
}

impl LoopContext {
    /// Tool specs and the function → tool map of `tools`.
    pub(crate) fn tool_specs(tools: &[Tool]) -> (Vec<ToolSpec>, HashMap<String, Tool>) {
        let mut specs = Vec::new();
        let mut by_function = HashMap::new();
        for tool in tools {
            for f in &tool.function_schema {
                specs.push(ToolSpec {
                    // A call that needs the user's consent comes back to
                    // Pika (return of control), which asks for it first.
                    lambda_arn: (tool.execution_type == ExecutionType::Lambda
                        && !f.require_confirmation)
                        .then(|| tool.lambda_arn.clone())
                        .flatten(),
                    name: f.name.clone(),
                    description: f.description.clone(),
                    input_schema: f.json_schema(),
                });
                by_function.insert(f.name.to_string(), tool.clone());
            }
        }
        (specs, by_function)
    }
}

/// How an answer ended.
#[derive(Debug, Clone)]
pub(super) enum LoopEnd {
    /// The model finished.
    Completed,
    /// Stopped by the user or shutdown.
    Stopped,
    /// The model failed (or its stream was cut).
    Failed(PortError),
    /// The model kept asking for tools past the bound.
    ToolLimit,
    /// The turn's time limit passed.
    OutOfTime,
    /// Something in the turn panicked (caught by the runner).
    Panicked,
}

/// What one answer produced.
pub(super) struct LoopResult {
    pub(super) text: String,
    pub(super) tool_calls: Vec<ToolCallRecord>,
    pub(super) tokens: TokenUsage,
    pub(super) end: LoopEnd,
    /// The conversation including this answer (for a correction).
    pub(super) conversation: Vec<ConversationMessage>,
    /// The knowledge-base passages the answer drew on.
    pub(super) citations: Vec<Citation>,
}

enum Next {
    Stop,
    OutOfTime,
    Item(Option<Result<RuntimeEvent, PortError>>),
}

/// Runs the model on `conversation` until it answers, fails, is stopped, or
/// exceeds the tool bound.
pub(super) async fn run(
    inner: &ChatInner,
    cx: &LoopContext,
    mut conversation: Vec<ConversationMessage>,
    emit: &Emitter,
    stop: &mut watch::Receiver<bool>,
) -> LoopResult {
    let mut text = String::new();
    let mut tool_calls = Vec::new();
    let mut tokens = TokenUsage::default();
    let mut citations: Vec<Citation> = Vec::new();
    let finish = |end, conversation, text: String, tool_calls, tokens, citations| LoopResult {
        text,
        tool_calls,
        tokens,
        end,
        conversation,
        citations,
    };

    for iteration in 0..=cx.max_tool_iterations {
        let request = AgentRequest {
            model_id: cx.model_id.clone(),
            instruction: cx.instruction.clone(),
            messages: conversation.clone(),
            tools: cx.specs.clone(),
            max_output_tokens: cx.max_output_tokens,
            session_id: cx.session_id,
            session_attributes: cx.attributes.clone(),
            guardrail: cx.guardrail.clone(),
            knowledge_bases: cx.native_knowledge.clone(),
            collaborators: cx.native_collaborators.clone(),
        };
        let invoked = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => Err(LoopEnd::Stopped),
            _ = until(cx.deadline) => Err(LoopEnd::OutOfTime),
            r = inner.ports.runtime.invoke(request) => Ok(r),
        };
        let mut events = match invoked {
            Err(end) => {
                // The request may be on its way: its prompt is charged.
                tokens += estimate_call(cx, &conversation, "");
                return finish(end, conversation, text, tool_calls, tokens, citations);
            }
            Ok(Err(e)) => {
                return finish(
                    LoopEnd::Failed(e),
                    conversation,
                    text,
                    tool_calls,
                    tokens,
                    citations,
                )
            }
            Ok(Ok(s)) => s,
        };

        let mut call_text = String::new();
        let mut requested: Vec<(String, String, Value)> = Vec::new();
        // Whether this call reported its usage; a call cut before it did
        // (stopped, out of time, failed, broken off) is charged an
        // estimate, so stopping a turn just before its end is no way
        // around the quota.
        let mut reported = false;
        let unreported = |reported: bool, conversation: &[ConversationMessage], said: &str| {
            if reported {
                TokenUsage::default()
            } else {
                estimate_call(cx, conversation, said)
            }
        };
        let reason = loop {
            let next = tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => Next::Stop,
                _ = until(cx.deadline) => Next::OutOfTime,
                item = events.next() => Next::Item(item),
            };
            match next {
                Next::Stop => {
                    tokens += unreported(reported, &conversation, &call_text);
                    return finish(
                        LoopEnd::Stopped,
                        conversation,
                        text,
                        tool_calls,
                        tokens,
                        citations,
                    );
                }
                Next::OutOfTime => {
                    tokens += unreported(reported, &conversation, &call_text);
                    return finish(
                        LoopEnd::OutOfTime,
                        conversation,
                        text,
                        tool_calls,
                        tokens,
                        citations,
                    );
                }
                Next::Item(Some(Ok(RuntimeEvent::TextDelta(t)))) => {
                    emit.delta(&t);
                    call_text.push_str(&t);
                    text.push_str(&t);
                }
                Next::Item(Some(Ok(RuntimeEvent::ToolUse {
                    tool_use_id,
                    name,
                    input,
                }))) => {
                    requested.push((tool_use_id, name, input));
                }
                Next::Item(Some(Ok(RuntimeEvent::ToolResult {
                    tool_use_id,
                    name,
                    ok,
                    output,
                }))) => {
                    // The provider ran this tool itself (e.g. Bedrock's Lambda executor).
                    let output = capped(output, cx.max_tool_output_bytes);
                    emit.tool_call(&tool_use_id, &name, &Value::Null);
                    emit.tool_result(&tool_use_id, ok, &output);
                    tool_calls.push(ToolCallRecord {
                        tool_use_id,
                        tool_name: name,
                        input: Value::Null,
                        ok,
                        output,
                        duration_ms: 0,
                    });
                }
                Next::Item(Some(Ok(RuntimeEvent::Trace { kind, detail }))) if kind == CITATIONS => {
                    // The provider searched the knowledge bases itself.
                    if let Ok(found) = serde_json::from_value::<Vec<Citation>>(detail) {
                        cite(emit, &mut citations, found);
                    }
                }
                Next::Item(Some(Ok(RuntimeEvent::Trace { kind, detail }))) => {
                    emit.trace(&kind, detail)
                }
                Next::Item(Some(Ok(RuntimeEvent::Usage(u)))) => {
                    reported = true;
                    tokens += u;
                }
                Next::Item(Some(Ok(RuntimeEvent::Completed(reason)))) => break reason,
                Next::Item(Some(Err(e))) => {
                    tokens += unreported(reported, &conversation, &call_text);
                    return finish(
                        LoopEnd::Failed(e),
                        conversation,
                        text,
                        tool_calls,
                        tokens,
                        citations,
                    );
                }
                Next::Item(None) => {
                    tokens += unreported(reported, &conversation, &call_text);
                    let cut = PortError::transient(
                        "the model's stream ended before the answer was complete",
                    );
                    return finish(
                        LoopEnd::Failed(cut),
                        conversation,
                        text,
                        tool_calls,
                        tokens,
                        citations,
                    );
                }
            }
        };
        drop(events);

        if reason == StopReason::IterationLimit {
            // The provider's own tool loop hit its bound: as Pika's own.
            conversation.push(ConversationMessage::text(Role::Assistant, call_text));
            return finish(
                LoopEnd::ToolLimit,
                conversation,
                text,
                tool_calls,
                tokens,
                citations,
            );
        }
        if reason != StopReason::ToolUse || requested.is_empty() {
            conversation.push(ConversationMessage::text(Role::Assistant, call_text));
            return finish(
                LoopEnd::Completed,
                conversation,
                text,
                tool_calls,
                tokens,
                citations,
            );
        }
        if iteration == cx.max_tool_iterations {
            emit.trace(
                "limit",
                json!({ "maxToolIterations": cx.max_tool_iterations }),
            );
            return finish(
                LoopEnd::ToolLimit,
                conversation,
                text,
                tool_calls,
                tokens,
                citations,
            );
        }

        let mut asked = Vec::new();
        if !call_text.is_empty() {
            asked.push(ContentBlock::Text { text: call_text });
        }
        let mut results = Vec::new();
        for (tool_use_id, name, input) in requested {
            asked.push(ContentBlock::ToolUse {
                tool_use_id: tool_use_id.clone(),
                name: name.clone(),
                input: input.clone(),
            });
            emit.tool_call(&tool_use_id, &name, &input);
            let started = tokio::time::Instant::now();
            let outcome = if collaborate::is_collaborator(cx, &name) {
                // A collaborator's answer watches the stop and the deadline
                // itself, and returns what its calls used: never dropped
                // half-way, so its tokens are always booked.
                let r = call_tool(inner, cx, emit, &tool_use_id, &name, input.clone()).await;
                if *stop.borrow() {
                    Err(LoopEnd::Stopped)
                } else if cx
                    .deadline
                    .is_some_and(|d| tokio::time::Instant::now() >= d)
                {
                    Err(LoopEnd::OutOfTime)
                } else {
                    Ok(r)
                }
            } else {
                tokio::select! {
                    biased;
                    _ = stop.wait_for(|s| *s) => Err(LoopEnd::Stopped),
                    _ = until(cx.deadline) => Err(LoopEnd::OutOfTime),
                    r = call_tool(inner, cx, emit, &tool_use_id, &name, input.clone()) => Ok(r),
                }
            };
            let (ok, output) = match outcome {
                Ok((ok, output, found)) => {
                    cite(emit, &mut citations, found);
                    (ok, capped(output, cx.max_tool_output_bytes))
                }
                Err(end) => {
                    conversation.push(ConversationMessage {
                        role: Role::Assistant,
                        content: asked,
                    });
                    return finish(end, conversation, text, tool_calls, tokens, citations);
                }
            };
            emit.tool_result(&tool_use_id, ok, &output);
            tool_calls.push(ToolCallRecord {
                tool_use_id: tool_use_id.clone(),
                tool_name: name,
                input,
                ok,
                output: output.clone(),
                duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            });
            results.push(ContentBlock::ToolResult {
                tool_use_id,
                ok,
                output,
            });
        }
        conversation.push(ConversationMessage {
            role: Role::Assistant,
            content: asked,
        });
        conversation.push(ConversationMessage {
            role: Role::User,
            content: results,
        });
    }
    finish(
        LoopEnd::ToolLimit,
        conversation,
        text,
        tool_calls,
        tokens,
        citations,
    )
}

/// An estimate of what a model call cut before it reported its usage
/// cost: its prompt (instruction, conversation, tool specs) and what it had
/// said, at about four characters per token.
fn estimate_call(cx: &LoopContext, conversation: &[ConversationMessage], said: &str) -> TokenUsage {
    let mut prompt = u64::from(estimate_tokens(&cx.instruction));
    for message in conversation {
        for block in &message.content {
            let n = match block {
                ContentBlock::Text { text } => estimate_tokens(text),
                ContentBlock::ToolUse { input, .. } => estimate_tokens(&input.to_string()),
                ContentBlock::ToolResult { output, .. } => estimate_tokens(&output.to_string()),
            };
            prompt += u64::from(n);
        }
    }
    for spec in &cx.specs {
        prompt += u64::from(estimate_tokens(&spec.description));
        prompt += u64::from(estimate_tokens(&spec.input_schema.to_string()));
    }
    TokenUsage::new(prompt, u64::from(estimate_tokens(said)))
}

/// Resolves at `deadline`; never without one.
async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The kind of trace that carries citations.
pub(super) const CITATIONS: &str = "citations";

/// Adds `found` to the answer's citations and streams them (whatever the
/// trace settings: they are part of the answer).
fn cite(emit: &Emitter, citations: &mut Vec<Citation>, found: Vec<Citation>) {
    if found.is_empty() {
        return;
    }
    emit.push(pika_domain::stream::TurnEvent::Trace {
        kind: CITATIONS.to_string(),
        detail: serde_json::to_value(&found).unwrap_or(Value::Null),
    });
    citations.extend(found);
}

/// Runs a tool call: a knowledge search, or a tool (asking first when its
/// function needs consent). Answers `(ok, output, citations)`.
async fn call_tool(
    inner: &ChatInner,
    cx: &LoopContext,
    emit: &Emitter,
    tool_use_id: &str,
    function: &str,
    input: Value,
) -> (bool, Value, Vec<Citation>) {
    if let Some(k) = cx
        .knowledge
        .as_ref()
        .filter(|_| function == knowledge::SEARCH_FUNCTION)
    {
        return knowledge::search(inner, k, &input).await;
    }
    if let Some(collaboration) = &cx.collaboration {
        let asked = collaboration
            .collaborators
            .iter()
            .find(|c| c.function.as_str() == function);
        if let Some(c) = asked {
            return collaborate::ask(inner, cx, emit, collaboration, c, &input).await;
        }
    }
    let (ok, output) = consented_call(inner, cx, emit, tool_use_id, function, input).await;
    (ok, output, Vec::new())
}

/// Runs one tool, first asking the user when its function needs consent.
async fn consented_call(
    inner: &ChatInner,
    cx: &LoopContext,
    emit: &Emitter,
    tool_use_id: &str,
    function: &str,
    input: Value,
) -> (bool, Value) {
    let needs_consent = cx.tools_by_function.get(function).is_some_and(|tool| {
        tool.function_schema
            .iter()
            .any(|f| f.name.as_str() == function && f.require_confirmation)
    });
    if needs_consent {
        emit.push(pika_domain::stream::TurnEvent::ConfirmationRequired {
            tool_use_id: tool_use_id.to_string(),
            tool_name: function.to_string(),
            input: input.clone(),
        });
        let answer = confirm::answer(inner, &cx.confirmations, tool_use_id).await;
        emit.trace(
            "confirmation",
            json!({ "toolUseId": tool_use_id, "answer": format!("{answer:?}").to_lowercase() }),
        );
        match answer {
            Answer::Approved => {}
            Answer::Declined => return (false, json!({ "error": "the user declined this call" })),
            Answer::TimedOut => {
                return (
                    false,
                    json!({ "error": "the user did not confirm this call in time" }),
                )
            }
        }
    }
    run_tool(inner, cx, function, input).await
}

/// Runs one tool with its timeout. Failures become a result the model can
/// read (`ok: false`), never a failed turn.
async fn run_tool(
    inner: &ChatInner,
    cx: &LoopContext,
    function: &str,
    input: Value,
) -> (bool, Value) {
    let Some(tool) = cx.tools_by_function.get(function) else {
        return (
            false,
            json!({ "error": format!("no tool named '{function}' is available") }),
        );
    };
    let Some(schema) = tool
        .function_schema
        .iter()
        .find(|f| f.name.as_str() == function)
    else {
        return (
            false,
            json!({ "error": format!("no tool named '{function}' is available") }),
        );
    };
    let timeout = tool
        .execution_timeout_ms
        .map(Duration::from_millis)
        .unwrap_or(cx.default_tool_timeout);
    let call = ToolInvocation {
        tool: tool.clone(),
        function: schema.name.clone(),
        input,
        session_attributes: cx.attributes.clone(),
    };
    match tokio::time::timeout(timeout, inner.ports.tool_invoker.invoke(call)).await {
        Ok(Ok(output)) => (true, output),
        Ok(Err(e)) => {
            tracing::warn!(tool = function, error = %e, "tool call failed");
            let message = match e.kind {
                ErrorKind::Invalid => format!("the tool rejected its input: {}", e.message),
                ErrorKind::NotFound => "the tool is not available".to_string(),
                ErrorKind::Transient => "the tool is busy; try again later".to_string(),
                _ => "the tool failed".to_string(),
            };
            (false, json!({ "error": message }))
        }
        Err(_) => (
            false,
            json!({ "error": format!("the tool did not answer within {} ms", timeout.as_millis()) }),
        ),
    }
}

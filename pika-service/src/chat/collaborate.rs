//! Collaborators (PIKA.md §5): agents this agent may hand a question to.
//! Each is a tool the model may call, `ask_{agentId}`; calling it runs the
//! collaborator's own answer (its instruction, model, tools and knowledge
//! bases) on the question, and hands its answer back as the tool's result.
//! A collaborator may delegate in turn, to [`MAX_DEPTH`] levels; its usage
//! is booked under its model with the turn.
//!
//! A runtime that runs collaboration itself ([`AgentRuntime::collaborates`],
//! Bedrock's inline agent as a supervisor) gets the collaborators instead
//! of the tools ([`native`]): Bedrock then consults them, and their
//! functions that come back to Pika run through the turn's tool path. One
//! level only there, and their tokens arrive in the supervisor's usage.
//!
//! [`AgentRuntime::collaborates`]: pika_ports::AgentRuntime::collaborates
//!
//! The collaborator's text never reaches the user directly: its deltas are
//! dropped (the calling agent words the answer); its tool calls, traces,
//! confirmation requests and citations reach the stream like the caller's.

use super::confirm::Confirmations;
use super::emitter::Emitter;
use super::knowledge::{self, Knowledge};
use super::model_loop::{self, LoopContext, LoopEnd};
use super::ChatInner;
use pika_domain::agent::Agent;
use pika_domain::cost::TokenUsage;
use pika_domain::ids::ToolName;
use pika_domain::knowledge::Citation;
use pika_domain::message::Role;
use pika_domain::tool::Tool;
use pika_domain::user::User;
use pika_ports::{CollaboratorRequest, ConversationMessage, ToolSpec};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// How deep delegation goes: the turn's agent is level 0; its collaborators
/// answer at level 1 and may delegate once more.
pub(super) const MAX_DEPTH: u32 = 2;

/// One agent the model may ask.
pub(super) struct Collaborator {
    /// The function the model calls.
    pub(super) function: ToolName,
    pub(super) agent: Agent,
    pub(super) tools: Vec<Tool>,
}

/// What delegation needs at one level.
pub(super) struct Collaboration {
    pub(super) collaborators: Vec<Collaborator>,
    /// The level of the agent that may delegate.
    pub(super) depth: u32,
    pub(super) caller: User,
    pub(super) stop: watch::Receiver<bool>,
    /// What every collaborator's answer produced, at any depth.
    pub(super) gathered: Arc<Mutex<Gathered>>,
}

/// What collaborators' answers leave for the turn's record.
#[derive(Default)]
pub(super) struct Gathered {
    /// Tokens under each collaborator's model, for the ledger.
    pub(super) booked: Vec<(String, TokenUsage)>,
    /// The tools they ran (stored with the answer).
    pub(super) tool_calls: Vec<pika_domain::message::ToolCallRecord>,
    /// The passages they cited (already streamed).
    pub(super) citations: Vec<Citation>,
}

/// Whether `function` asks one of the collaborators of `cx`.
pub(super) fn is_collaborator(cx: &LoopContext, function: &str) -> bool {
    cx.collaboration.as_ref().is_some_and(|c| {
        c.collaborators
            .iter()
            .any(|c| c.function.as_str() == function)
    })
}

/// The function name of a collaborator; `None` when its id cannot make one.
fn function_name(agent: &Agent) -> Option<ToolName> {
    ToolName::parse(format!("ask_{}", agent.agent_id)).ok()
}

/// The collaborators of `agent` that exist (a missing one is left out,
/// with a warning: an admin deleted it with force).
pub(super) async fn load(inner: &ChatInner, agent: &Agent) -> Vec<Collaborator> {
    let mut out = Vec::new();
    for id in &agent.collaborators {
        let found = match inner.config.agent(id).await {
            Ok(Some(a)) => a,
            Ok(None) => {
                tracing::warn!(agent = %agent.agent_id, collaborator = %id, "a collaborator does not exist");
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, collaborator = %id, "a collaborator could not be read");
                continue;
            }
        };
        let tools = match inner.config.tools(&found.tool_ids).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, collaborator = %id, "a collaborator's tools could not be read");
                continue;
            }
        };
        if let Some(function) = function_name(&found) {
            out.push(Collaborator {
                function,
                agent: found,
                tools,
            });
        }
    }
    out
}

/// What `agent` is for, from its instruction.
fn about(agent: &Agent) -> String {
    let about: String = agent.instruction.chars().take(150).collect();
    format!("Ask agent {}: {about}", agent.agent_id)
        .chars()
        .take(200)
        .collect()
}

/// The tool spec of asking `c`.
pub(super) fn spec(c: &Collaborator) -> ToolSpec {
    ToolSpec {
        name: c.function.clone(),
        description: about(&c.agent),
        input_schema: json!({
            "type": "object",
            "properties": { "question": { "type": "string", "description": "The question, with what the agent needs to know" } },
            "required": ["question"],
        }),
        lambda_arn: None,
    }
}

/// `collaborators` as a runtime that runs them itself takes them, each
/// with its own instruction, model, tools and knowledge bases (with the
/// caller's filters). Their functions that come back to Pika join
/// `tools_by_function`; a function whose name one of the turn's own tools
/// (or an earlier collaborator's) already uses is not offered to the
/// collaborator, so a call by that name can only mean one tool.
pub(super) fn native(
    inner: &ChatInner,
    collaborators: &[Collaborator],
    caller: &User,
    tools_by_function: &mut HashMap<String, Tool>,
) -> Vec<CollaboratorRequest> {
    collaborators
        .iter()
        .map(|c| {
            let (specs, by_function) = LoopContext::tool_specs(&c.tools);
            let specs = specs
                .into_iter()
                .filter(|spec| {
                    let name = spec.name.as_str();
                    let Some(tool) = by_function.get(name) else {
                        return false;
                    };
                    match tools_by_function.get(name) {
                        Some(taken) if taken.tool_id != tool.tool_id => {
                            tracing::warn!(
                                collaborator = %c.agent.agent_id,
                                function = name,
                                "a collaborator's function has the name of another tool's; not offered"
                            );
                            false
                        }
                        _ => {
                            tools_by_function.insert(name.to_string(), tool.clone());
                            true
                        }
                    }
                })
                .collect();
            let (_, knowledge_bases) = knowledge::of_agent(inner, &c.agent, caller);
            CollaboratorRequest {
                name: c.agent.agent_id.to_string(),
                when_to_ask: about(&c.agent),
                instruction: c.agent.instruction.clone(),
                model_id: c.agent.model_id.clone(),
                tools: specs,
                knowledge_bases,
                guardrail: c.agent.guardrail.clone(),
            }
        })
        .collect()
}

/// Runs `c`'s answer to the question in `input`: `(ok, output, citations)`.
pub(super) async fn ask(
    inner: &ChatInner,
    cx: &LoopContext,
    emit: &Emitter,
    collaboration: &Collaboration,
    c: &Collaborator,
    input: &Value,
) -> (bool, Value, Vec<Citation>) {
    let Some(question) = input
        .get("question")
        .and_then(Value::as_str)
        .filter(|q| !q.trim().is_empty())
    else {
        return (
            false,
            json!({ "error": "give a non-empty 'question' to ask" }),
            Vec::new(),
        );
    };
    let depth = collaboration.depth + 1;
    let nested = nested_context(inner, cx, collaboration, c, depth).await;
    let mut stop = collaboration.stop.clone();
    let conversation = vec![ConversationMessage::text(Role::User, question)];
    // Boxed: an answer may ask a collaborator, whose answer may ask another.
    let result = Box::pin(model_loop::run(
        inner,
        &nested,
        conversation,
        &emit.quiet(),
        &mut stop,
    ))
    .await;
    {
        let mut gathered = collaboration
            .gathered
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        gathered
            .booked
            .push((c.agent.model_id.clone(), result.tokens));
        gathered.tool_calls.extend(result.tool_calls);
        // Streamed already (the nested answer emits on the same log).
        gathered.citations.extend(result.citations);
    }
    emit.trace(
        "collaborator",
        json!({ "agentId": c.agent.agent_id, "depth": depth,
                "inputTokens": result.tokens.input_tokens, "outputTokens": result.tokens.output_tokens }),
    );
    match result.end {
        LoopEnd::Completed => (
            true,
            json!({ "agentId": c.agent.agent_id, "answer": result.text }),
            Vec::new(),
        ),
        _ => (
            false,
            json!({ "error": format!("agent {} could not answer", c.agent.agent_id) }),
            Vec::new(),
        ),
    }
}

/// The loop context of `c`'s answer at `depth`: its own instruction,
/// model, tools and knowledge bases; the turn's limits, deadline and
/// session attributes (naming it as the agent).
async fn nested_context(
    inner: &ChatInner,
    cx: &LoopContext,
    collaboration: &Collaboration,
    c: &Collaborator,
    depth: u32,
) -> LoopContext {
    let (mut specs, tools_by_function) = LoopContext::tool_specs(&c.tools);
    let (knowledge, native_knowledge) = knowledge::of_agent(inner, &c.agent, &collaboration.caller);
    if let Some(k) = &knowledge {
        specs.extend(knowledge::spec(&k.bases));
    }
    let deeper = if depth < MAX_DEPTH {
        let collaborators = load(inner, &c.agent).await;
        specs.extend(collaborators.iter().map(spec));
        (!collaborators.is_empty()).then(|| Collaboration {
            collaborators,
            depth,
            caller: collaboration.caller.clone(),
            stop: collaboration.stop.clone(),
            gathered: Arc::clone(&collaboration.gathered),
        })
    } else {
        None
    };
    let mut attributes = cx.attributes.clone();
    attributes.insert("agentId".to_string(), json!(c.agent.agent_id));
    LoopContext {
        model_id: c.agent.model_id.clone(),
        instruction: c.agent.instruction.clone(),
        specs,
        tools_by_function,
        attributes,
        max_output_tokens: cx.max_output_tokens,
        max_tool_iterations: cx.max_tool_iterations,
        default_tool_timeout: cx.default_tool_timeout,
        max_tool_output_bytes: cx.max_tool_output_bytes,
        session_id: cx.session_id,
        deadline: cx.deadline,
        guardrail: c.agent.guardrail.clone(),
        confirmations: Confirmations::clone(&cx.confirmations),
        knowledge: knowledge.map(|k: Knowledge| k),
        native_knowledge,
        collaboration: deeper,
        native_collaborators: Vec::new(),
    }
}

//! The chat-completions wire format: request bodies built from the port
//! requests, and the response shapes read back.

use super::text_tools;
use crate::tool_text::output_text;
use pika_domain::cost::TokenUsage;
use pika_domain::message::Role;
use pika_ports::{AgentRequest, CompletionRequest, ContentBlock, ConversationMessage, ToolSpec};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Map, Value};

/// The streaming request body of an agent call. In text tool-call mode the
/// tools go into the system prompt and the history renders tool calls and
/// results as text, so no `tools` field is sent.
pub(super) fn chat_body(request: &AgentRequest, model: &str, text_tools: bool) -> Value {
    let system = if text_tools && !request.tools.is_empty() {
        text_tools::system_prompt(&request.instruction, &request.tools)
    } else {
        request.instruction.clone()
    };
    let mut messages = Vec::new();
    if !system.trim().is_empty() {
        messages.push(json!({ "role": "system", "content": system }));
    }
    if text_tools {
        text_tools::conversation(&request.messages, &mut messages);
    } else {
        conversation(&request.messages, &mut messages);
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert("messages".into(), Value::Array(messages));
    body.insert("stream".into(), json!(true));
    body.insert("stream_options".into(), json!({ "include_usage": true }));
    body.insert("max_tokens".into(), json!(request.max_output_tokens));
    if !text_tools && !request.tools.is_empty() {
        body.insert("tools".into(), tools(&request.tools));
    }
    Value::Object(body)
}

/// The non-streaming request body of a completion.
pub(super) fn completion_body(request: &CompletionRequest, model: &str) -> Value {
    let mut messages = Vec::new();
    if !request.instruction.trim().is_empty() {
        messages.push(json!({ "role": "system", "content": request.instruction }));
    }
    messages.push(json!({ "role": "user", "content": request.input }));
    json!({
        "model": model,
        "messages": messages,
        "stream": false,
        "max_tokens": request.max_output_tokens,
    })
}

/// OpenAI `tools`: one `function` entry per spec.
fn tools(specs: &[ToolSpec]) -> Value {
    specs
        .iter()
        .map(|s| {
            json!({
                "type": "function",
                "function": {
                    "name": s.name.as_str(),
                    "description": s.description,
                    "parameters": s.input_schema,
                }
            })
        })
        .collect()
}

/// The conversation in OpenAI's shape: assistant tool requests as
/// `tool_calls`, tool results as `tool` messages (before any user text of
/// the same turn, since they answer the assistant message just before).
fn conversation(history: &[ConversationMessage], out: &mut Vec<Value>) {
    for message in history {
        let text = message.joined_text();
        match message.role {
            Role::Assistant => {
                let calls: Vec<Value> = message
                    .content
                    .iter()
                    .filter_map(|block| match block {
                        ContentBlock::ToolUse {
                            tool_use_id,
                            name,
                            input,
                        } => Some(json!({
                            "id": tool_use_id,
                            "type": "function",
                            "function": { "name": name, "arguments": input.to_string() },
                        })),
                        _ => None,
                    })
                    .collect();
                let mut entry = Map::new();
                entry.insert("role".into(), json!("assistant"));
                entry.insert("content".into(), json!(text));
                if !calls.is_empty() {
                    entry.insert("tool_calls".into(), Value::Array(calls));
                }
                out.push(Value::Object(entry));
            }
            Role::User => {
                let mut results = 0usize;
                for block in &message.content {
                    if let ContentBlock::ToolResult {
                        tool_use_id,
                        output,
                        ..
                    } = block
                    {
                        results += 1;
                        out.push(json!({
                            "role": "tool",
                            "tool_call_id": tool_use_id,
                            "content": output_text(output),
                        }));
                    }
                }
                if !text.is_empty() || results == 0 {
                    out.push(json!({ "role": "user", "content": text }));
                }
            }
        }
    }
}

/// `null` read as the type's default (servers send `"choices": null`).
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// One streamed chunk (`chat.completion.chunk`), or an error object.
#[derive(Debug, Deserialize)]
pub(super) struct StreamChunk {
    #[serde(default, deserialize_with = "null_as_default")]
    pub(super) choices: Vec<ChunkChoice>,
    #[serde(default)]
    pub(super) usage: Option<WireUsage>,
    #[serde(default)]
    pub(super) error: Option<Value>,
}

/// One choice of a chunk.
#[derive(Debug, Deserialize)]
pub(super) struct ChunkChoice {
    #[serde(default)]
    pub(super) index: u32,
    #[serde(default)]
    pub(super) delta: Option<Delta>,
    #[serde(default)]
    pub(super) finish_reason: Option<String>,
}

/// What a chunk adds.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Delta {
    #[serde(default)]
    pub(super) content: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub(super) tool_calls: Vec<ToolCallDelta>,
}

/// A fragment of a tool call.
#[derive(Debug, Deserialize)]
pub(super) struct ToolCallDelta {
    #[serde(default)]
    pub(super) index: Option<usize>,
    #[serde(default)]
    pub(super) id: Option<String>,
    #[serde(default)]
    pub(super) function: Option<FunctionDelta>,
}

/// A fragment of a tool call's function.
#[derive(Debug, Deserialize)]
pub(super) struct FunctionDelta {
    #[serde(default)]
    pub(super) name: Option<String>,
    /// A piece of the JSON text (some servers send the whole object instead).
    #[serde(default)]
    pub(super) arguments: Option<Value>,
}

/// Token usage as servers report it.
#[derive(Debug, Default, Deserialize)]
pub(super) struct WireUsage {
    #[serde(default, deserialize_with = "null_as_default")]
    prompt_tokens: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    completion_tokens: u64,
}

impl WireUsage {
    /// As the domain counts it.
    pub(super) fn tokens(&self) -> TokenUsage {
        TokenUsage::new(self.prompt_tokens, self.completion_tokens)
    }
}

/// A non-streamed answer (`chat.completion`).
#[derive(Debug, Deserialize)]
pub(super) struct ChatResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub(super) choices: Vec<ResponseChoice>,
    #[serde(default)]
    pub(super) usage: Option<WireUsage>,
}

/// One choice of a non-streamed answer.
#[derive(Debug, Deserialize)]
pub(super) struct ResponseChoice {
    #[serde(default)]
    pub(super) message: Option<ResponseMessage>,
}

/// The message of a non-streamed answer.
#[derive(Debug, Deserialize)]
pub(super) struct ResponseMessage {
    /// A string, `null`, or (on some servers) a list of text parts.
    #[serde(default)]
    pub(super) content: Option<Value>,
}

impl ResponseMessage {
    /// The text of the message.
    pub(super) fn text(&self) -> String {
        match &self.content {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(parts)) => parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect(),
            _ => String::new(),
        }
    }
}

/// `GET /models`.
#[derive(Debug, Deserialize)]
pub(super) struct ModelList {
    #[serde(default, deserialize_with = "null_as_default")]
    pub(super) data: Vec<ModelEntry>,
}

/// One model of `GET /models`.
#[derive(Debug, Deserialize)]
pub(super) struct ModelEntry {
    pub(super) id: String,
}

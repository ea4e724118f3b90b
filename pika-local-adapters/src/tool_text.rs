//! Tool calling in plain text, for model servers and embedded models without
//! native tool support: the tool schemas go into the system prompt (the
//! Hermes / Qwen format), the model answers
//! `<tool_call>{"name": ..., "arguments": {...}}</tool_call>` in its text,
//! and [`TextToolFilter`] lifts those blocks out of the streamed text.
//!
//! Used by the `openai` adapter (with `text_tool_calls`) and by the
//! `embedded` model; it depends on no backend.
//!
//! ```
//! use pika_local_adapters::tool_text::{Piece, TextToolFilter};
//! use serde_json::json;
//!
//! let mut filter = TextToolFilter::default();
//! let mut pieces = filter.push("Checking. <tool_call>{\"name\": \"now\", ");
//! pieces.extend(filter.push("\"arguments\": {}}</tool_call>"));
//! pieces.extend(filter.finish());
//! assert_eq!(
//!     pieces,
//!     vec![Piece::Text("Checking. ".into()), Piece::Call("now".into(), json!({}))]
//! );
//! ```

use pika_domain::message::Role;
use pika_ports::{ContentBlock, ConversationMessage, ToolSpec};
use serde_json::{json, Value};
use std::collections::HashMap;

const OPEN: &str = "<tool_call>";
const CLOSE: &str = "</tool_call>";

/// `instruction` followed by the tools and how to call them.
pub fn system_prompt(instruction: &str, tools: &[ToolSpec]) -> String {
    let mut prompt = String::new();
    if !instruction.trim().is_empty() {
        prompt.push_str(instruction.trim_end());
        prompt.push_str("\n\n");
    }
    prompt.push_str(
        "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n\
         You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n",
    );
    for tool in tools {
        let signature = json!({
            "type": "function",
            "function": {
                "name": tool.name.as_str(),
                "description": tool.description,
                "parameters": tool.input_schema,
            }
        });
        prompt.push_str(&signature.to_string());
        prompt.push('\n');
    }
    prompt.push_str(
        "</tools>\n\nFor each function call, return a json object with function name and \
         arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n\
         {\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>\n\n\
         The results come back inside <tool_response></tool_response> tags.",
    );
    prompt
}

/// The conversation as plain text messages, oldest first: tool calls as
/// `<tool_call>` blocks in the assistant's text, results as
/// `<tool_response>` blocks (with the function's name) in a user message.
pub fn conversation(history: &[ConversationMessage]) -> Vec<(Role, String)> {
    let mut names: HashMap<&str, &str> = HashMap::new();
    let mut out = Vec::with_capacity(history.len());
    for message in history {
        let mut parts: Vec<String> = Vec::new();
        for block in &message.content {
            match block {
                ContentBlock::Text { text } if !text.is_empty() => parts.push(text.clone()),
                ContentBlock::Text { .. } => {}
                ContentBlock::ToolUse {
                    tool_use_id,
                    name,
                    input,
                } => {
                    names.insert(tool_use_id, name);
                    let call = json!({ "name": name, "arguments": input });
                    parts.push(format!("{OPEN}\n{call}\n{CLOSE}"));
                }
                ContentBlock::ToolResult {
                    tool_use_id,
                    output,
                    ..
                } => {
                    let name = names.get(tool_use_id.as_str()).copied().unwrap_or_default();
                    let result = json!({ "name": name, "content": output_text(output) });
                    parts.push(format!("<tool_response>\n{result}\n</tool_response>"));
                }
            }
        }
        out.push((message.role, parts.join("\n")));
    }
    out
}

/// A tool's output as message content: text as it is, anything else as JSON.
pub fn output_text(output: &Value) -> String {
    match output {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What the filter lets through.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Answer text.
    Text(String),
    /// A tool call: its function and input.
    Call(String, Value),
    /// A `<tool_call>` block that is not a readable call (kept for traces).
    Unreadable(String),
}

/// Lifts `<tool_call>` blocks out of streamed text. Text that might be the
/// start of a tag is held back until the next delta shows what it is.
#[derive(Debug, Default)]
pub struct TextToolFilter {
    held: String,
    in_block: bool,
}

impl TextToolFilter {
    /// Feeds one text delta.
    pub fn push(&mut self, delta: &str) -> Vec<Piece> {
        self.held.push_str(delta);
        let mut out = Vec::new();
        loop {
            if self.in_block {
                let Some(end) = self.held.find(CLOSE) else {
                    break;
                };
                let block: String = self.held.drain(..end + CLOSE.len()).collect();
                out.extend(parse_block(&block[..end]));
                self.in_block = false;
            } else if let Some(start) = self.held.find(OPEN) {
                let before: String = self.held.drain(..start + OPEN.len()).collect();
                push_text(&mut out, &before[..start]);
                self.in_block = true;
            } else {
                let keep = partial_tag_len(&self.held);
                let ready: String = self.held.drain(..self.held.len() - keep).collect();
                push_text(&mut out, &ready);
                break;
            }
        }
        out
    }

    /// The end of the text: held text comes out; an unterminated block is
    /// read as a call when it can be (models often stop before the closing tag).
    pub fn finish(&mut self) -> Vec<Piece> {
        let rest = std::mem::take(&mut self.held);
        let mut out = Vec::new();
        if std::mem::take(&mut self.in_block) {
            out.extend(parse_block(&rest));
        } else {
            push_text(&mut out, &rest);
        }
        out
    }
}

fn push_text(out: &mut Vec<Piece>, text: &str) {
    if !text.is_empty() {
        out.push(Piece::Text(text.to_string()));
    }
}

/// The length of the longest end of `text` that begins [`OPEN`].
fn partial_tag_len(text: &str) -> usize {
    (1..OPEN.len())
        .rev()
        .find(|&k| {
            k <= text.len()
                && text.is_char_boundary(text.len() - k)
                && OPEN.starts_with(&text[text.len() - k..])
        })
        .unwrap_or(0)
}

/// The calls in one block's content: an object, or a list of them.
fn parse_block(content: &str) -> Vec<Piece> {
    let trimmed = content.trim();
    let unfenced = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .map(|s| s.trim_end().trim_end_matches("```"))
        .unwrap_or(trimmed)
        .trim();
    let calls = match serde_json::from_str::<Value>(unfenced) {
        Ok(Value::Array(items)) => items,
        Ok(one) => vec![one],
        Err(_) => return vec![Piece::Unreadable(content.to_string())],
    };
    calls
        .into_iter()
        .map(|call| {
            let name = call.get("name").and_then(Value::as_str);
            let arguments = ["arguments", "parameters", "input"]
                .iter()
                .find_map(|k| call.get(*k))
                .cloned()
                .unwrap_or_else(|| json!({}));
            match name {
                Some(name) if !name.is_empty() => {
                    Piece::Call(name.to_string(), decode_arguments(arguments))
                }
                _ => Piece::Unreadable(content.to_string()),
            }
        })
        .collect()
}

/// Arguments given as a JSON string are decoded when they hold JSON.
fn decode_arguments(arguments: Value) -> Value {
    match arguments {
        Value::String(s) => serde_json::from_str(&s).unwrap_or(json!({ "_raw": s })),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(deltas: &[&str]) -> Vec<Piece> {
        let mut filter = TextToolFilter::default();
        let mut out: Vec<Piece> = deltas.iter().flat_map(|d| filter.push(d)).collect();
        out.extend(filter.finish());
        // Merge adjacent text for comparison.
        let mut merged: Vec<Piece> = Vec::new();
        for piece in out {
            match (merged.last_mut(), piece) {
                (Some(Piece::Text(a)), Piece::Text(b)) => a.push_str(&b),
                (_, p) => merged.push(p),
            }
        }
        merged
    }

    #[test]
    fn the_system_prompt_lists_each_tool_after_the_instruction() {
        let tools = [pika_ports::ToolSpec {
            lambda_arn: None,
            name: pika_domain::ids::ToolName::parse("current_time").unwrap(),
            description: "The time.".into(),
            input_schema: json!({"type": "object"}),
        }];
        let prompt = system_prompt("Be brief.\n", &tools);
        assert!(prompt.starts_with("Be brief.\n\n# Tools\n"), "{prompt}");
        let listed = prompt
            .split("<tools>\n")
            .nth(1)
            .and_then(|rest| rest.split("\n</tools>").next())
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(listed).unwrap(),
            json!({"type": "function", "function": {
                "name": "current_time", "description": "The time.", "parameters": {"type": "object"}
            }})
        );
        assert!(prompt.contains("<tool_call></tool_call>"));
        assert!(system_prompt("  ", &tools).starts_with("# Tools"));
    }

    #[test]
    fn calls_and_results_in_the_history_become_text() {
        let history = [
            ConversationMessage::text(Role::User, "Time?"),
            ConversationMessage {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::Text {
                        text: "Checking.".into(),
                    },
                    ContentBlock::ToolUse {
                        tool_use_id: "t1".into(),
                        name: "now".into(),
                        input: json!({}),
                    },
                ],
            },
            ConversationMessage {
                role: Role::User,
                content: vec![ContentBlock::ToolResult {
                    tool_use_id: "t1".into(),
                    ok: true,
                    output: json!({"time": "10:00"}),
                }],
            },
        ];
        let text = conversation(&history);
        assert_eq!(text[0], (Role::User, "Time?".to_string()));
        let inside = |text: &str, open: &str, close: &str| -> Value {
            let body = text.split(open).nth(1).and_then(|r| r.split(close).next());
            serde_json::from_str(body.unwrap()).unwrap()
        };
        assert_eq!(text[1].0, Role::Assistant);
        assert!(
            text[1].1.starts_with("Checking.\n<tool_call>\n"),
            "{}",
            text[1].1
        );
        assert_eq!(
            inside(&text[1].1, OPEN, CLOSE),
            json!({"name": "now", "arguments": {}})
        );
        assert_eq!(text[2].0, Role::User);
        assert_eq!(
            inside(&text[2].1, "<tool_response>", "</tool_response>"),
            json!({"name": "now", "content": "{\"time\":\"10:00\"}"})
        );
    }

    #[test]
    fn blocks_split_across_deltas_become_calls() {
        let pieces = run(&[
            "Let me check. <to",
            "ol_ca",
            "ll>\n{\"name\": \"current_time\", \"argu",
            "ments\": {\"timeZone\": \"UTC\"}}\n</tool",
            "_call> done",
        ]);
        assert_eq!(
            pieces,
            vec![
                Piece::Text("Let me check. ".into()),
                Piece::Call("current_time".into(), json!({ "timeZone": "UTC" })),
                Piece::Text(" done".into()),
            ]
        );
    }

    #[test]
    fn a_lone_angle_bracket_is_text_and_an_unclosed_block_still_counts() {
        assert_eq!(
            run(&["a < b", " and <b>"]),
            vec![Piece::Text("a < b and <b>".into())]
        );
        assert_eq!(
            run(&["<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"x\\\": 1}\"}"]),
            vec![Piece::Call("f".into(), json!({ "x": 1 }))]
        );
        assert_eq!(
            run(&["<tool_call>not json</tool_call>"]),
            vec![Piece::Unreadable("not json".into())]
        );
    }
}

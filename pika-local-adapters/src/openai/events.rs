//! Streamed chunks to [`RuntimeEvent`]s: text deltas as they come, tool
//! calls assembled from their fragments and emitted when the choice
//! finishes, usage just before `Completed`, and `Completed` held back until
//! `[DONE]` (or the end of the body) so a late usage chunk still precedes it.

use super::errors::stream_error;
use super::text_tools::{Piece, TextToolFilter};
use super::wire::{StreamChunk, ToolCallDelta};
use pika_domain::cost::TokenUsage;
use pika_ports::{PortError, RuntimeEvent, StopReason};
use serde_json::{json, Value};
use std::collections::VecDeque;

/// A tool call being assembled from fragments.
#[derive(Debug, Default)]
struct PartialCall {
    index: Option<usize>,
    id: Option<String>,
    name: String,
    arguments: String,
}

/// Turns the payloads of one call's events into runtime events.
#[derive(Debug)]
pub(super) struct EventParser {
    out: VecDeque<Result<RuntimeEvent, PortError>>,
    calls: Vec<PartialCall>,
    text_tools: Option<TextToolFilter>,
    /// Prefix of the ids minted for calls that came without one.
    id_prefix: String,
    minted: usize,
    tool_uses: usize,
    /// Why the choice finished, once it has: `Completed` waits for the end.
    finished: Option<StopReason>,
    usage: Option<TokenUsage>,
    /// `Completed` or an error is queued; nothing else follows.
    ended: bool,
}

impl EventParser {
    /// A parser for one call; `text_tools` lifts `<tool_call>` blocks out
    /// of the text; minted call ids start with `id_prefix`.
    pub(super) fn new(text_tools: bool, id_prefix: String) -> Self {
        Self {
            out: VecDeque::new(),
            calls: Vec::new(),
            text_tools: text_tools.then(TextToolFilter::default),
            id_prefix,
            minted: 0,
            tool_uses: 0,
            finished: None,
            usage: None,
            ended: false,
        }
    }

    /// The next event ready to go out.
    pub(super) fn next_event(&mut self) -> Option<Result<RuntimeEvent, PortError>> {
        self.out.pop_front()
    }

    /// Whether `Completed` or an error is queued (the body need not be read further).
    pub(super) fn ended(&self) -> bool {
        self.ended
    }

    /// One event's data.
    pub(super) fn on_data(&mut self, data: &str) {
        if self.ended {
            return;
        }
        if data.trim() == "[DONE]" {
            return self.complete();
        }
        let chunk: StreamChunk = match serde_json::from_str(data) {
            Ok(chunk) => chunk,
            Err(e) => {
                let shown = super::errors::truncate(data, 200);
                return self.fail(
                    PortError::transient(format!(
                        "the model server sent an unreadable event: {shown}"
                    ))
                    .with_source(e),
                );
            }
        };
        if let Some(error) = chunk.error.filter(|e| !e.is_null()) {
            return self.fail(stream_error(&error));
        }
        if let Some(choice) = chunk.choices.into_iter().find(|c| c.index == 0) {
            if self.finished.is_none() {
                let delta = choice.delta.unwrap_or_default();
                if let Some(text) = delta.content {
                    self.text(&text);
                }
                for fragment in delta.tool_calls {
                    self.fragment(fragment);
                }
                if let Some(reason) = choice.finish_reason.filter(|r| !r.is_empty()) {
                    self.finish(&reason);
                }
            }
        }
        if let Some(usage) = chunk.usage {
            // Some servers repeat a running total on every chunk: keep the last.
            self.usage = Some(usage.tokens());
        }
    }

    /// The body ended.
    pub(super) fn on_end(&mut self) {
        if self.ended {
            return;
        }
        if self.finished.is_some() {
            self.complete();
        } else {
            self.fail(PortError::transient(
                "stream ended early: the model server closed the stream before the answer was complete",
            ));
        }
    }

    /// The call failed; nothing follows.
    pub(super) fn fail(&mut self, error: PortError) {
        if !self.ended {
            self.ended = true;
            self.out.push_back(Err(error));
        }
    }

    fn text(&mut self, text: &str) {
        match &mut self.text_tools {
            None => self.push_text(text.to_string()),
            Some(filter) => {
                let pieces = filter.push(text);
                self.pieces(pieces);
            }
        }
    }

    fn push_text(&mut self, text: String) {
        if !text.is_empty() {
            self.out.push_back(Ok(RuntimeEvent::TextDelta(text)));
        }
    }

    fn pieces(&mut self, pieces: Vec<Piece>) {
        for piece in pieces {
            match piece {
                Piece::Text(text) => self.push_text(text),
                Piece::Call(name, input) => {
                    let id = self.mint_id();
                    self.tool_use(id, name, input);
                }
                Piece::Unreadable(raw) => self.out.push_back(Ok(RuntimeEvent::Trace {
                    kind: "unreadable_tool_call".into(),
                    detail: json!({ "raw": raw }),
                })),
            }
        }
    }

    fn mint_id(&mut self) -> String {
        self.minted += 1;
        format!("{}_{}", self.id_prefix, self.minted)
    }

    fn tool_use(&mut self, tool_use_id: String, name: String, input: Value) {
        self.tool_uses += 1;
        self.out.push_back(Ok(RuntimeEvent::ToolUse {
            tool_use_id,
            name,
            input,
        }));
    }

    /// Adds a fragment to its call: by `index`, else by `id`, else to the
    /// call being assembled.
    fn fragment(&mut self, fragment: ToolCallDelta) {
        let id = fragment.id.filter(|id| !id.is_empty());
        let slot = match (fragment.index, &id) {
            (Some(index), _) => self.calls.iter().position(|c| c.index == Some(index)),
            (None, Some(id)) => self.calls.iter().position(|c| c.id.as_ref() == Some(id)),
            (None, None) => self.calls.len().checked_sub(1),
        };
        let slot = match slot {
            Some(slot) => slot,
            None => {
                self.calls.push(PartialCall {
                    index: fragment.index,
                    ..PartialCall::default()
                });
                self.calls.len() - 1
            }
        };
        let Some(call) = self.calls.get_mut(slot) else {
            return;
        };
        if call.id.is_none() {
            call.id = id;
        }
        let Some(function) = fragment.function else {
            return;
        };
        if let Some(name) = function.name.filter(|n| !n.is_empty()) {
            // Names usually come whole in the first fragment; some servers
            // repeat them on every fragment, a few split them.
            if call.name.is_empty() {
                call.name = name;
            } else if call.name != name {
                call.name.push_str(&name);
            }
        }
        match function.arguments {
            Some(Value::String(piece)) => call.arguments.push_str(&piece),
            Some(Value::Null) | None => {}
            Some(whole) => call.arguments = whole.to_string(),
        }
    }

    /// The choice finished: flush held text and assembled calls.
    fn finish(&mut self, reason: &str) {
        if let Some(filter) = &mut self.text_tools {
            let pieces = filter.finish();
            self.pieces(pieces);
        }
        let mut calls = std::mem::take(&mut self.calls);
        calls.sort_by_key(|c| c.index.unwrap_or(usize::MAX));
        for call in calls {
            let id = match call.id {
                Some(id) => id,
                None => self.mint_id(),
            };
            let input = parse_arguments(&call.arguments);
            self.tool_use(id, call.name, input);
        }
        let stop = match reason {
            "length" => StopReason::MaxTokens,
            "content_filter" => StopReason::ContentFiltered,
            "tool_calls" | "function_call" => StopReason::ToolUse,
            // Some servers say `stop` even after tool calls.
            _ if self.tool_uses > 0 => StopReason::ToolUse,
            _ => StopReason::EndTurn,
        };
        self.finished = Some(stop);
    }

    /// `[DONE]`, or the end after the choice finished: usage, then `Completed`.
    fn complete(&mut self) {
        if self.finished.is_none() {
            // `[DONE]` without a finish reason: the answer is whatever came.
            self.finish("stop");
        }
        if let Some(usage) = self.usage.take() {
            self.out.push_back(Ok(RuntimeEvent::Usage(usage)));
        }
        if let Some(stop) = self.finished {
            self.out.push_back(Ok(RuntimeEvent::Completed(stop)));
        }
        self.ended = true;
    }
}

/// A call's input from its argument text: `{}` when empty, the JSON when it
/// parses (decoding once more when it is JSON inside a string), else
/// `{"_raw": text}`.
fn parse_arguments(text: &str) -> Value {
    if text.trim().is_empty() {
        return json!({});
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::String(inner)) => match serde_json::from_str::<Value>(&inner) {
            Ok(value @ Value::Object(_)) => value,
            _ => json!({ "_raw": text }),
        },
        Ok(value) => value,
        Err(_) => json!({ "_raw": text }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(payloads: &[Value], end: &str) -> Vec<Result<RuntimeEvent, PortError>> {
        let mut parser = EventParser::new(false, "call_x".into());
        for p in payloads {
            parser.on_data(&p.to_string());
        }
        match end {
            "done" => parser.on_data("[DONE]"),
            _ => parser.on_end(),
        }
        std::iter::from_fn(|| parser.next_event()).collect()
    }

    #[test]
    fn whole_calls_without_ids_get_minted_ids_and_stop_after_calls_means_tool_use() {
        // Ollama style: each call whole in one fragment, no index, no id.
        let call = |name: &str, args: Value| {
            json!({ "choices": [{ "delta": { "tool_calls": [
                { "function": { "name": name, "arguments": args } }
            ] } }] })
        };
        let events = run(
            &[
                call("a", json!({ "x": 1 })),
                json!({ "choices": [{ "delta": {}, "finish_reason": "stop" }] }),
            ],
            "end",
        );
        let ok: Vec<RuntimeEvent> = events.into_iter().map(|e| e.unwrap()).collect();
        assert_eq!(
            ok,
            vec![
                RuntimeEvent::ToolUse {
                    tool_use_id: "call_x_1".into(),
                    name: "a".into(),
                    input: json!({ "x": 1 }),
                },
                RuntimeEvent::Completed(StopReason::ToolUse),
            ]
        );
    }

    #[test]
    fn done_without_a_finish_reason_completes_and_running_usage_counts_once() {
        let chunk = |text: &str, total: u64| {
            json!({ "choices": [{ "delta": { "content": text } }],
                    "usage": { "prompt_tokens": 5, "completion_tokens": total } })
        };
        let events = run(&[chunk("a", 1), chunk("b", 2)], "done");
        let ok: Vec<RuntimeEvent> = events.into_iter().map(|e| e.unwrap()).collect();
        assert_eq!(
            ok,
            vec![
                RuntimeEvent::TextDelta("a".into()),
                RuntimeEvent::TextDelta("b".into()),
                RuntimeEvent::Usage(TokenUsage::new(5, 2)),
                RuntimeEvent::Completed(StopReason::EndTurn),
            ]
        );
    }

    #[test]
    fn an_unreadable_event_fails_the_call_once() {
        let mut parser = EventParser::new(false, "c".into());
        parser.on_data("{not json");
        parser.on_data("[DONE]");
        parser.on_end();
        let events: Vec<_> = std::iter::from_fn(|| parser.next_event()).collect();
        assert_eq!(events.len(), 1);
        assert!(events[0].is_err());
    }
}

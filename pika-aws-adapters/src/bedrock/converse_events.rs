//! `ConverseStream` events to runtime events: text deltas as they come,
//! tool uses assembled from their streamed JSON input and emitted when
//! their block stops, usage from the `metadata` event, and `Completed`
//! held back until the stream ends so the usage that follows `messageStop`
//! still precedes it.

use super::outbox::Outbox;
use super::stream::EventParser;
use aws_sdk_bedrockruntime::types::{
    ContentBlockDelta, ContentBlockStart, ConverseStreamOutput, StopReason as WireStop, TokenUsage,
};
use pika_domain::cost::TokenUsage as Tokens;
use pika_ports::{PortError, RuntimeEvent, StopReason};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A tool use whose input is still arriving.
#[derive(Debug)]
struct PartialToolUse {
    tool_use_id: String,
    name: String,
    input: String,
}

/// The parser of one `ConverseStream` call.
#[derive(Debug, Default)]
pub(super) struct ConverseParser {
    out: Outbox,
    /// Tool uses by content block index.
    tool_uses: BTreeMap<i32, PartialToolUse>,
    /// The stop reason, once `messageStop` came.
    stopped: Option<StopReason>,
}

impl EventParser for ConverseParser {
    type Event = ConverseStreamOutput;

    fn on_event(&mut self, event: ConverseStreamOutput) {
        match event {
            ConverseStreamOutput::ContentBlockStart(start) => {
                if let Some(ContentBlockStart::ToolUse(tool)) = start.start {
                    self.tool_uses.insert(
                        start.content_block_index,
                        PartialToolUse {
                            tool_use_id: tool.tool_use_id,
                            name: tool.name,
                            input: String::new(),
                        },
                    );
                }
            }
            ConverseStreamOutput::ContentBlockDelta(delta) => match delta.delta {
                Some(ContentBlockDelta::Text(text)) if !text.is_empty() => {
                    self.out.push(RuntimeEvent::TextDelta(text));
                }
                Some(ContentBlockDelta::ToolUse(piece)) => {
                    if let Some(tool) = self.tool_uses.get_mut(&delta.content_block_index) {
                        tool.input.push_str(&piece.input);
                    }
                }
                // Reasoning, citations and images have no runtime event.
                _ => {}
            },
            ConverseStreamOutput::ContentBlockStop(stop) => {
                if let Some(tool) = self.tool_uses.remove(&stop.content_block_index) {
                    self.tool_use(tool);
                }
            }
            ConverseStreamOutput::MessageStop(stop) => self.on_stop(&stop.stop_reason),
            ConverseStreamOutput::Metadata(metadata) => {
                if let Some(usage) = metadata.usage {
                    self.out.push(RuntimeEvent::Usage(tokens(&usage)));
                }
            }
            _ => {}
        }
    }

    fn on_end(&mut self) {
        match self.stopped {
            Some(stop) => self.out.complete(stop),
            None => self.out.fail(PortError::transient(
                "ConverseStream ended before the message stopped",
            )),
        }
    }

    fn outbox(&mut self) -> &mut Outbox {
        &mut self.out
    }
}

impl ConverseParser {
    fn tool_use(&mut self, tool: PartialToolUse) {
        self.out.push(RuntimeEvent::ToolUse {
            tool_use_id: tool.tool_use_id,
            name: tool.name,
            input: parse_input(&tool.input),
        });
    }

    fn on_stop(&mut self, reason: &WireStop) {
        // A block the model never closed still counts as asked for.
        for (_, tool) in std::mem::take(&mut self.tool_uses) {
            self.tool_use(tool);
        }
        let stop = match reason {
            WireStop::ToolUse => StopReason::ToolUse,
            WireStop::MaxTokens | WireStop::ModelContextWindowExceeded => StopReason::MaxTokens,
            WireStop::GuardrailIntervened | WireStop::ContentFiltered => {
                StopReason::ContentFiltered
            }
            WireStop::MalformedModelOutput | WireStop::MalformedToolUse => {
                // The model's own slip: the same call may well succeed.
                return self.out.fail(PortError::transient(format!(
                    "the model's answer was malformed ({})",
                    reason.as_str()
                )));
            }
            _ => StopReason::EndTurn,
        };
        self.stopped = Some(stop);
    }
}

/// Bedrock's token counts.
pub(super) fn tokens(usage: &TokenUsage) -> Tokens {
    let count = |n: i32| u64::try_from(n).unwrap_or_default();
    Tokens::new(count(usage.input_tokens), count(usage.output_tokens))
}

/// A tool's streamed input: `{}` when empty, the JSON when it parses, else
/// `{"_raw": text}` so the tool can refuse it readably.
fn parse_input(text: &str) -> Value {
    if text.trim().is_empty() {
        return json!({});
    }
    serde_json::from_str(text).unwrap_or_else(|_| json!({ "_raw": text }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_stream_after_text_fails_transiently() {
        let mut parser = ConverseParser::default();
        parser.on_event(ConverseStreamOutput::ContentBlockDelta(
            aws_sdk_bedrockruntime::types::ContentBlockDeltaEvent::builder()
                .content_block_index(0)
                .delta(ContentBlockDelta::Text("Hel".into()))
                .build()
                .unwrap(),
        ));
        parser.on_end();
        let first = parser.outbox().pop().unwrap().unwrap();
        assert_eq!(first, RuntimeEvent::TextDelta("Hel".into()));
        let second = parser.outbox().pop().unwrap().unwrap_err();
        assert!(second.kind.is_retryable());
    }

    #[test]
    fn unparseable_input_is_kept_raw() {
        assert_eq!(parse_input(""), json!({}));
        assert_eq!(parse_input("{\"a\":1"), json!({ "_raw": "{\"a\":1" }));
    }
}

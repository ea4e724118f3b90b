//! What happens to each decoded token: its bytes become UTF-8 text (a
//! character may span tokens), `<tool_call>` blocks are lifted out of the
//! text when the request has tools, the output limit is counted, and the
//! end of the answer becomes `ToolUse`, `Usage` and `Completed` events.
//! Pure: the decoding loop feeds it, tests feed it by hand.

use crate::tool_text::{Piece, TextToolFilter};
use pika_domain::cost::TokenUsage;
use pika_ports::{RuntimeEvent, StopReason};
use serde_json::{json, Value};

/// Turns a stream of byte pieces into text, holding back an incomplete
/// UTF-8 sequence until the bytes that finish it arrive. Invalid bytes
/// become U+FFFD.
#[derive(Debug, Default)]
pub(crate) struct Utf8Assembler {
    pending: Vec<u8>,
}

impl Utf8Assembler {
    /// The text that `bytes` completes.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(text) => {
                    out.push_str(text);
                    self.pending.clear();
                    return out;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    out.push_str(&String::from_utf8_lossy(&self.pending[..valid]));
                    match e.error_len() {
                        // An incomplete sequence at the end: wait for more.
                        None => {
                            self.pending.drain(..valid);
                            return out;
                        }
                        Some(bad) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            self.pending.drain(..valid + bad);
                        }
                    }
                }
            }
        }
    }

    /// What is left at the end (an unfinished sequence becomes U+FFFD).
    pub(crate) fn finish(&mut self) -> String {
        let rest = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        rest
    }
}

/// Why decoding stopped, as the decoding loop sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The model produced an end-of-generation token.
    EndOfGeneration,
    /// `max_output_tokens` tokens were generated.
    OutputLimit,
    /// The context window is full.
    ContextFull,
}

/// The state of one answer.
#[derive(Debug)]
pub(crate) struct Generation {
    utf8: Utf8Assembler,
    tools: Option<TextToolFilter>,
    calls: Vec<(String, Value)>,
    traces: Vec<RuntimeEvent>,
    generated: u32,
    max_output_tokens: u32,
    id_prefix: String,
}

impl Generation {
    /// An answer of at most `max_output_tokens` tokens; with `tools`, the
    /// text is searched for `<tool_call>` blocks, whose ids start with
    /// `id_prefix`.
    pub(crate) fn new(max_output_tokens: u32, tools: bool, id_prefix: impl Into<String>) -> Self {
        Self {
            utf8: Utf8Assembler::default(),
            tools: tools.then(TextToolFilter::default),
            calls: Vec::new(),
            traces: Vec::new(),
            generated: 0,
            max_output_tokens,
            id_prefix: id_prefix.into(),
        }
    }

    /// Tokens generated so far (end-of-generation tokens are not counted).
    pub(crate) fn generated(&self) -> u32 {
        self.generated
    }

    /// Whether the output limit leaves no room for a first token.
    pub(crate) fn exhausted(&self) -> bool {
        self.generated >= self.max_output_tokens
    }

    /// One generated token (its bytes as the vocabulary renders them):
    /// the text deltas to stream now, and whether the limit is reached.
    pub(crate) fn token(&mut self, bytes: &[u8]) -> (Vec<RuntimeEvent>, Option<Stop>) {
        self.generated = self.generated.saturating_add(1);
        let text = self.utf8.push(bytes);
        let events = self.text(&text);
        let stop = self.exhausted().then_some(Stop::OutputLimit);
        (events, stop)
    }

    fn text(&mut self, text: &str) -> Vec<RuntimeEvent> {
        if text.is_empty() {
            return Vec::new();
        }
        match &mut self.tools {
            None => vec![RuntimeEvent::TextDelta(text.to_string())],
            Some(filter) => {
                let pieces = filter.push(text);
                self.pieces(pieces)
            }
        }
    }

    fn pieces(&mut self, pieces: Vec<Piece>) -> Vec<RuntimeEvent> {
        let mut out = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Text(text) => out.push(RuntimeEvent::TextDelta(text)),
                Piece::Call(name, input) => self.calls.push((name, input)),
                Piece::Unreadable(raw) => self.traces.push(RuntimeEvent::Trace {
                    kind: "unreadable_tool_call".into(),
                    detail: json!({ "raw": raw }),
                }),
            }
        }
        out
    }

    /// The end of the answer: held text, then the tool calls, a trace per
    /// unreadable block, the usage (`prompt_tokens` in, tokens generated out)
    /// and `Completed` — `ToolUse` when the model called a tool, else
    /// `MaxTokens` at a limit, else `EndTurn`.
    pub(crate) fn finish(mut self, stop: Stop, prompt_tokens: usize) -> Vec<RuntimeEvent> {
        let rest = self.utf8.finish();
        let mut out = self.text(&rest);
        if let Some(mut filter) = self.tools.take() {
            let pieces = filter.finish();
            out.extend(self.pieces(pieces));
        }
        out.append(&mut self.traces);
        let called = !self.calls.is_empty();
        for (n, (name, input)) in std::mem::take(&mut self.calls).into_iter().enumerate() {
            out.push(RuntimeEvent::ToolUse {
                tool_use_id: format!("{}_{}", self.id_prefix, n + 1),
                name,
                input,
            });
        }
        out.push(RuntimeEvent::Usage(TokenUsage::new(
            u64::try_from(prompt_tokens).unwrap_or(u64::MAX),
            u64::from(self.generated),
        )));
        let reason = match stop {
            _ if called => StopReason::ToolUse,
            Stop::EndOfGeneration => StopReason::EndTurn,
            Stop::OutputLimit | Stop::ContextFull => StopReason::MaxTokens,
        };
        out.push(RuntimeEvent::Completed(reason));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deltas(events: &[RuntimeEvent]) -> Vec<&str> {
        events
            .iter()
            .filter_map(|e| match e {
                RuntimeEvent::TextDelta(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn characters_split_across_tokens_come_out_whole() {
        let mut utf8 = Utf8Assembler::default();
        let euro = "€".as_bytes(); // 3 bytes
        assert_eq!(utf8.push(b"5 "), "5 ");
        assert_eq!(utf8.push(&euro[..1]), "");
        assert_eq!(utf8.push(&euro[1..2]), "");
        assert_eq!(utf8.push(&[euro[2], b'!']), "€!");
        assert_eq!(utf8.finish(), "");
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let mut utf8 = Utf8Assembler::default();
        assert_eq!(utf8.push(&[b'a', 0xff, b'b']), "a\u{fffd}b");
        // A sequence still open at the end.
        assert_eq!(utf8.push(&[0xe2, 0x82]), "");
        assert_eq!(utf8.finish(), "\u{fffd}");
    }

    #[test]
    fn a_plain_answer_streams_each_token_and_ends_the_turn() {
        let mut g = Generation::new(10, false, "call");
        let (a, stop_a) = g.token(b"Paris");
        let (b, stop_b) = g.token(b" is");
        assert_eq!((deltas(&a), stop_a), (vec!["Paris"], None));
        assert_eq!((deltas(&b), stop_b), (vec![" is"], None));
        let end = g.finish(Stop::EndOfGeneration, 12);
        assert_eq!(
            end,
            vec![
                RuntimeEvent::Usage(TokenUsage::new(12, 2)),
                RuntimeEvent::Completed(StopReason::EndTurn),
            ]
        );
    }

    #[test]
    fn the_output_limit_stops_at_exactly_max_tokens() {
        let mut g = Generation::new(3, false, "call");
        assert_eq!(g.token(b"a").1, None);
        assert_eq!(g.token(b"b").1, None);
        assert_eq!(g.token(b"c").1, Some(Stop::OutputLimit));
        assert_eq!(g.generated(), 3);
        let end = g.finish(Stop::OutputLimit, 4);
        assert_eq!(
            end[end.len() - 2..],
            [
                RuntimeEvent::Usage(TokenUsage::new(4, 3)),
                RuntimeEvent::Completed(StopReason::MaxTokens),
            ]
        );
        assert!(Generation::new(0, false, "c").exhausted());
        let full = Generation::new(9, false, "c").finish(Stop::ContextFull, 1);
        assert_eq!(
            full.last(),
            Some(&RuntimeEvent::Completed(StopReason::MaxTokens))
        );
    }

    #[test]
    fn a_tool_call_split_across_tokens_is_lifted_out_of_the_text() {
        let mut g = Generation::new(100, true, "emb_7");
        let mut events = Vec::new();
        for piece in [
            "Let me check.",
            " <tool",
            "_call>",
            "{\"name\": \"current_",
            "time\", \"arguments\": {\"timeZone\": \"UTC\"}}",
            "</tool_",
            "call>",
        ] {
            events.extend(g.token(piece.as_bytes()).0);
        }
        events.extend(g.finish(Stop::EndOfGeneration, 50));
        assert_eq!(deltas(&events).concat(), "Let me check. ");
        assert_eq!(
            events[events.len() - 3..],
            [
                RuntimeEvent::ToolUse {
                    tool_use_id: "emb_7_1".into(),
                    name: "current_time".into(),
                    input: json!({ "timeZone": "UTC" }),
                },
                RuntimeEvent::Usage(TokenUsage::new(50, 7)),
                RuntimeEvent::Completed(StopReason::ToolUse),
            ]
        );
    }

    #[test]
    fn without_a_block_a_turn_with_tools_is_a_plain_answer() {
        let mut g = Generation::new(100, true, "c");
        let mut events = g.token(b"It is 3 < 4 and <b>bold</b>").0;
        events.extend(g.finish(Stop::EndOfGeneration, 5));
        assert_eq!(deltas(&events).concat(), "It is 3 < 4 and <b>bold</b>");
        assert_eq!(
            events.last(),
            Some(&RuntimeEvent::Completed(StopReason::EndTurn))
        );
    }

    #[test]
    fn an_unreadable_block_is_a_trace_and_an_unclosed_one_still_counts() {
        let mut g = Generation::new(100, true, "c");
        let mut events = g.token(b"<tool_call>nonsense</tool_call>").0;
        events.extend(g.finish(Stop::EndOfGeneration, 5));
        assert!(
            matches!(&events[0], RuntimeEvent::Trace { kind, .. } if kind == "unreadable_tool_call")
        );
        assert_eq!(
            events.last(),
            Some(&RuntimeEvent::Completed(StopReason::EndTurn))
        );

        let mut g = Generation::new(100, true, "c");
        let mut events = g
            .token(b"<tool_call>{\"name\": \"f\", \"arguments\": {}}")
            .0;
        events.extend(g.finish(Stop::OutputLimit, 5));
        assert!(matches!(&events[0], RuntimeEvent::ToolUse { name, .. } if name == "f"));
        assert_eq!(
            events.last(),
            Some(&RuntimeEvent::Completed(StopReason::ToolUse))
        );
    }
}

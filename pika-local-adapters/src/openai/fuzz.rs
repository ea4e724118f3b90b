//! Fuzzing the OpenAI-compatible stream reading (property tests;
//! `PIKA_FUZZ_CASES` sets the cases): any bytes in any chunks through the
//! SSE decoder, any event data — chunks close to the real ones, with text
//! holding `<tool_call>` blocks of any content, and garbage — through the
//! event parser, with and without text tool calls. Nothing panics, the
//! stream always ends exactly once, and nothing follows its end.

use super::events::EventParser;
use super::sse::SseDecoder;
use pika_ports::RuntimeEvent;
use proptest::prelude::*;
use serde_json::json;

fn cases() -> u32 {
    std::env::var("PIKA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

/// Text a model might stream, tool-call tags and their pieces included.
fn model_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            ".{0,12}",
            prop::sample::select(vec![
                "<tool_call>",
                "</tool_call>",
                "<tool_",
                "call>",
                "{\"name\": \"get_time\", \"arguments\": {",
                "\"x\": 1}}",
                "{",
                "}",
                "\"",
                "\\",
                "[DONE]",
            ])
            .prop_map(str::to_string),
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

/// One SSE event's data.
fn data() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (model_text(), prop::option::of("stop|length|tool_calls|content_filter|x")).prop_map(|(text, finish)| {
            json!({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}).to_string()
        }),
        2 => (0u32..3, ".{0,8}", ".{0,8}", ".{0,16}").prop_map(|(index, id, name, args)| {
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": index, "id": id, "function": {"name": name, "arguments": args}}
            ]}}]}).to_string()
        }),
        1 => (any::<u32>(), any::<u32>()).prop_map(|(p, c)| {
            json!({"choices": [], "usage": {"prompt_tokens": p, "completion_tokens": c}}).to_string()
        }),
        1 => Just("[DONE]".to_string()),
        1 => ".{0,40}",
        1 => Just(json!({"error": {"message": "overloaded", "code": 529}}).to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_in_any_chunks_decode_the_same(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        cut in 1usize..50,
    ) {
        let mut whole = SseDecoder::default();
        let mut expected = whole.push(&bytes);
        expected.extend(whole.finish());
        let mut pieces = SseDecoder::default();
        let mut got = Vec::new();
        for chunk in bytes.chunks(cut) {
            got.extend(pieces.push(chunk));
        }
        got.extend(pieces.finish());
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn any_event_data_ends_the_stream_once(events in prop::collection::vec(data(), 0..12), text_tools in any::<bool>()) {
        let mut parser = EventParser::new(text_tools, "call-".to_string());
        let mut out = Vec::new();
        for data in &events {
            parser.on_data(data);
            while let Some(e) = parser.next_event() {
                out.push(e);
            }
        }
        parser.on_end();
        while let Some(e) = parser.next_event() {
            out.push(e);
        }
        let ends: Vec<usize> = out
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(e, Err(_) | Ok(RuntimeEvent::Completed(_))))
            .map(|(i, _)| i)
            .collect();
        prop_assert_eq!(ends.len(), 1, "{:?}", out);
        prop_assert_eq!(ends[0] + 1, out.len(), "nothing follows the end: {:?}", out);
    }
}

/// The pieces a filter gives for `deltas`, adjacent text merged.
fn pieces(deltas: &[String]) -> Vec<crate::tool_text::Piece> {
    use crate::tool_text::{Piece, TextToolFilter};
    let mut filter = TextToolFilter::default();
    let mut out: Vec<Piece> = Vec::new();
    let all = deltas
        .iter()
        .flat_map(|d| filter.push(d))
        .collect::<Vec<_>>()
        .into_iter()
        .chain(filter.finish());
    for piece in all {
        match (out.last_mut(), piece) {
            (Some(Piece::Text(held)), Piece::Text(more)) => held.push_str(&more),
            (_, piece) => out.push(piece),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn tool_call_text_reads_the_same_however_it_is_split(
        parts in prop::collection::vec(model_text(), 1..6),
        cut in 1usize..16,
    ) {
        let text = parts.concat();
        let chars: Vec<char> = text.chars().collect();
        let split: Vec<String> = chars.chunks(cut).map(|c| c.iter().collect()).collect();
        prop_assert_eq!(pieces(&split), pieces(&[text]));
    }
}

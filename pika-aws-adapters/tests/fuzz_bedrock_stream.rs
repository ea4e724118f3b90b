//! Fuzzing the Converse stream decoding (property tests; `PIKA_FUZZ_CASES`
//! sets the cases): the real SDK client and adapter read event-stream
//! bodies made of frames of every Converse event type with payloads of any
//! JSON, unknown event types, exceptions, flipped bytes, cut frames and
//! plain garbage, split into chunks anywhere. The stream always ends —
//! with events, or an error — and never panics; DynamoDB and OpenSearch
//! cursors of any text are refused or read, never a panic.

#![cfg(all(feature = "bedrock", feature = "dynamodb", feature = "opensearch"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod bedrock_support;

use bedrock_support::{collect, FakeBedrock, Frame, Reply};
use pika_aws_adapters::bedrock::{BedrockOptions, ConverseRuntime};
use pika_domain::ids::SessionId;
use pika_domain::message::Role;
use pika_ports::{AgentRequest, AgentRuntime, ConversationMessage, Cursor, RuntimeEvent};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn cases() -> u32 {
    std::env::var("PIKA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        // Each case is an HTTP exchange: a tenth of the in-process targets.
        .map_or(100, |n: u32| (n / 10).max(1))
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map(
                prop::sample::select(vec![
                    "contentBlockIndex",
                    "delta",
                    "text",
                    "toolUse",
                    "input",
                    "start",
                    "toolUseId",
                    "name",
                    "stopReason",
                    "usage",
                    "inputTokens",
                    "outputTokens",
                    "reasoningContent",
                    "message",
                    "x",
                ])
                .prop_map(str::to_string),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn frame() -> impl Strategy<Value = Frame> {
    let names = prop::sample::select(vec![
        "messageStart",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
        "somethingNew",
    ]);
    let exceptions = prop::sample::select(vec![
        "throttlingException",
        "validationException",
        "modelStreamErrorException",
        "internalServerException",
    ]);
    prop_oneof![
        8 => (names, any_json()).prop_map(|(n, v)| Frame::Event(n, v)),
        1 => (exceptions, any_json()).prop_map(|(n, v)| Frame::Exception(n, v)),
    ]
}

/// Frames as bytes, perhaps damaged, split into chunks.
fn body() -> impl Strategy<Value = Vec<Vec<u8>>> {
    (
        prop::collection::vec(frame(), 0..8),
        prop::collection::vec((any::<usize>(), any::<u8>()), 0..3),
        prop::option::of(any::<usize>()),
        prop::collection::vec(any::<u8>(), 0..32),
        prop::collection::vec(1usize..64, 1..6),
    )
        .prop_map(|(frames, flips, cut, garbage, sizes)| {
            let mut bytes: Vec<u8> = frames.iter().flat_map(Frame::encode).collect();
            for (at, b) in flips {
                if !bytes.is_empty() {
                    let i = at % bytes.len();
                    bytes[i] ^= b;
                }
            }
            if let Some(at) = cut {
                bytes.truncate(at % (bytes.len() + 1));
            }
            bytes.extend(garbage);
            let mut chunks = Vec::new();
            let mut rest = bytes.as_slice();
            for size in sizes.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (chunk, tail) = rest.split_at((*size).min(rest.len()));
                chunks.push(chunk.to_vec());
                rest = tail;
            }
            chunks
        })
}

fn ask() -> AgentRequest {
    AgentRequest {
        model_id: "anthropic.claude-3-5-sonnet-20241022-v2:0".into(),
        instruction: "You are Pika.".into(),
        messages: vec![ConversationMessage::text(Role::User, "hi")],
        tools: vec![],
        max_output_tokens: 100,
        session_id: SessionId::from_v7_parts(1_700_000_000_000, &[7; 10]),
        session_attributes: Map::new(),
        guardrail: None,
        knowledge_bases: Vec::new(),
        collaborators: Vec::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_event_stream_body_ends_the_stream_without_a_panic(chunks in body()) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        rt.block_on(async move {
            let server = FakeBedrock::start(vec![Reply::Raw(chunks)]).await;
            let runtime = ConverseRuntime::new(&server.sdk_config(), BedrockOptions::default());
            // Refused before the stream, or a stream that ends.
            if let Ok(stream) = runtime.invoke(ask()).await {
                let items = collect(stream).await;
                // Nothing follows the end: no event after an error or completion.
                let end = items.iter().position(|i| {
                    matches!(i, Err(_) | Ok(RuntimeEvent::Completed(_)))
                });
                if let Some(end) = end {
                    assert_eq!(end + 1, items.len(), "{items:?}");
                }
            }
        });
    }

    #[test]
    fn any_cursor_text_is_refused_or_read(raw in ".{0,200}", attrs in prop::collection::vec("[a-zA-Z]{1,8}", 1..3)) {
        let attrs: Vec<&str> = attrs.iter().map(String::as_str).collect();
        let _ = pika_aws_adapters::dynamodb::cursor::decode(&Cursor::new(raw.clone()), &attrs);
        let query = pika_ports::SearchQuery::default();
        let _ = pika_aws_adapters::opensearch::cursor::decode(&Cursor::new(raw), &query);
    }
}

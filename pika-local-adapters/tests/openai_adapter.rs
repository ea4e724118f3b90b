//! The OpenAI-compatible adapter against a fake server: streamed answers,
//! tool calls in fragments, the request it sends, and text tool calls.

#![cfg(feature = "openai")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod openai_support;

use futures::StreamExt;
use openai_support::{FakeServer, Reply};
use pika_domain::cost::TokenUsage;
use pika_domain::ids::{SessionId, ToolName};
use pika_domain::message::Role;
use pika_ports::{
    AgentRequest, AgentRuntime, ContentBlock, ConversationMessage, PortError, RuntimeEvent,
    StopReason, ToolSpec,
};
use serde_json::{json, Map, Value};
use std::time::Duration;

pub(crate) fn request(messages: Vec<ConversationMessage>, tools: Vec<ToolSpec>) -> AgentRequest {
    AgentRequest {
        model_id: "qwen2.5:3b".into(),
        instruction: "You are Pika.".into(),
        messages,
        tools,
        max_output_tokens: 321,
        session_id: SessionId::from_v7_parts(1_700_000_000_000, &[7; 10]),
        session_attributes: Map::new(),
        guardrail: None,
        knowledge_bases: Vec::new(),
        collaborators: Vec::new(),
    }
}

fn weather_tool() -> ToolSpec {
    ToolSpec {
        lambda_arn: None,
        name: ToolName::parse("get_weather").unwrap(),
        description: "Weather in a city".into(),
        input_schema: json!({
            "type": "object",
            "properties": { "city": { "type": "string", "description": "City" } },
            "required": ["city"],
        }),
    }
}

async fn collect(stream: pika_ports::RuntimeStream) -> Vec<Result<RuntimeEvent, PortError>> {
    tokio::time::timeout(Duration::from_secs(10), stream.collect())
        .await
        .expect("the stream ends")
}

fn ok_events(items: Vec<Result<RuntimeEvent, PortError>>) -> Vec<RuntimeEvent> {
    items
        .into_iter()
        .map(|i| i.expect("no error item"))
        .collect()
}

fn chunk(delta: Value, finish: Option<&str>) -> String {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }],
    })
    .to_string()
}

fn usage(prompt: u64, completion: u64) -> String {
    json!({
        "choices": [],
        "usage": { "prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion },
    })
    .to_string()
}

#[tokio::test]
async fn a_plain_answer_streams_deltas_then_usage_then_completed() {
    let events = [
        chunk(json!({ "role": "assistant", "content": "" }), None),
        chunk(json!({ "content": "Hel" }), None),
        chunk(json!({ "content": "lo, wörld" }), None),
        chunk(json!({}), Some("stop")),
        usage(12, 3),
        "[DONE]".to_string(),
    ];
    // CRLF line ends, a comment, pieces of 5 bytes: events arrive split.
    let body: String = std::iter::once(": hello\r\n\r\n".to_string())
        .chain(events.iter().map(|e| format!("data: {e}\r\n\r\n")))
        .collect();
    let server = FakeServer::start(vec![Reply::raw_sse(&body, 5)]).await;
    let stream = server
        .adapter()
        .invoke(request(
            vec![ConversationMessage::text(Role::User, "Hi")],
            vec![],
        ))
        .await
        .unwrap();
    assert_eq!(
        ok_events(collect(stream).await),
        vec![
            RuntimeEvent::TextDelta("Hel".into()),
            RuntimeEvent::TextDelta("lo, wörld".into()),
            RuntimeEvent::Usage(TokenUsage::new(12, 3)),
            RuntimeEvent::Completed(StopReason::EndTurn),
        ]
    );
}

#[tokio::test]
async fn finish_reasons_map_to_stop_reasons() {
    for (finish, stop) in [
        ("length", StopReason::MaxTokens),
        ("content_filter", StopReason::ContentFiltered),
        ("stop", StopReason::EndTurn),
    ] {
        let server = FakeServer::start(vec![Reply::sse(&[
            &chunk(json!({ "content": "x" }), Some(finish)),
            "[DONE]",
        ])])
        .await;
        let stream = server
            .adapter()
            .invoke(request(vec![], vec![]))
            .await
            .unwrap();
        let events = ok_events(collect(stream).await);
        assert_eq!(
            events.last(),
            Some(&RuntimeEvent::Completed(stop)),
            "{finish}"
        );
    }
}

#[tokio::test]
async fn tool_call_arguments_arriving_in_fragments_are_assembled() {
    let call = |index: u64, id: Option<&str>, name: Option<&str>, args: &str| {
        let mut function = json!({ "arguments": args });
        if let Some(name) = name {
            function["name"] = json!(name);
        }
        let mut call = json!({ "index": index, "function": function });
        if let Some(id) = id {
            call["id"] = json!(id);
            call["type"] = json!("function");
        }
        chunk(json!({ "tool_calls": [call] }), None)
    };
    let server = FakeServer::start(vec![Reply::sse(&[
        &chunk(json!({ "content": "Let me look." }), None),
        &call(0, Some("call_a"), Some("get_weather"), ""),
        &call(0, None, None, "{\"ci"),
        &call(0, None, None, "ty\": \"Par"),
        &call(1, Some("call_b"), Some("get_weather"), "{\"city\":"),
        &call(0, None, None, "is\"}"),
        &call(1, None, None, " \"Oslo\"}"),
        &call(2, Some("call_c"), Some("get_weather"), "{not json"),
        &chunk(json!({}), Some("tool_calls")),
        &usage(40, 20),
        "[DONE]",
    ])])
    .await;
    let stream = server
        .adapter()
        .invoke(request(vec![], vec![weather_tool()]))
        .await
        .unwrap();
    let tool_use = |id: &str, input: Value| RuntimeEvent::ToolUse {
        tool_use_id: id.into(),
        name: "get_weather".into(),
        input,
    };
    assert_eq!(
        ok_events(collect(stream).await),
        vec![
            RuntimeEvent::TextDelta("Let me look.".into()),
            tool_use("call_a", json!({ "city": "Paris" })),
            tool_use("call_b", json!({ "city": "Oslo" })),
            tool_use("call_c", json!({ "_raw": "{not json" })),
            RuntimeEvent::Usage(TokenUsage::new(40, 20)),
            RuntimeEvent::Completed(StopReason::ToolUse),
        ]
    );
}

#[tokio::test]
async fn the_request_maps_the_conversation_tools_and_limits() {
    let server = FakeServer::start(vec![Reply::sse(&[
        &chunk(json!({ "content": "ok" }), Some("stop")),
        "[DONE]",
    ])])
    .await;
    let conversation = vec![
        ConversationMessage::text(Role::User, "Weather in Paris?"),
        ConversationMessage {
            role: Role::Assistant,
            content: vec![
                ContentBlock::Text {
                    text: "Checking.".into(),
                },
                ContentBlock::ToolUse {
                    tool_use_id: "call_1".into(),
                    name: "get_weather".into(),
                    input: json!({ "city": "Paris" }),
                },
            ],
        },
        ConversationMessage {
            role: Role::User,
            content: vec![ContentBlock::ToolResult {
                tool_use_id: "call_1".into(),
                ok: true,
                output: json!({ "tempC": 21 }),
            }],
        },
    ];
    let stream = server
        .adapter()
        .invoke(request(conversation, vec![weather_tool()]))
        .await
        .unwrap();
    collect(stream).await;

    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/v1/chat/completions");
    assert_eq!(received[0].authorization, None);
    assert_eq!(
        received[0].body,
        json!({
            "model": "qwen2.5:3b",
            "stream": true,
            "stream_options": { "include_usage": true },
            "max_tokens": 321,
            "messages": [
                { "role": "system", "content": "You are Pika." },
                { "role": "user", "content": "Weather in Paris?" },
                {
                    "role": "assistant",
                    "content": "Checking.",
                    "tool_calls": [{
                        "id": "call_1",
                        "type": "function",
                        "function": { "name": "get_weather", "arguments": "{\"city\":\"Paris\"}" },
                    }],
                },
                { "role": "tool", "tool_call_id": "call_1", "content": "{\"tempC\":21}" },
            ],
            "tools": [{
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Weather in a city",
                    "parameters": weather_tool().input_schema,
                },
            }],
        })
    );
}

#[tokio::test]
async fn no_tools_means_no_tools_field_and_the_override_and_key_are_used() {
    let server = FakeServer::start(vec![Reply::sse(&[
        &chunk(json!({ "content": "ok" }), Some("stop")),
        "[DONE]",
    ])])
    .await;
    let adapter = server.adapter_with(|c| pika_local_adapters::openai::OpenAiConfig {
        api_key: Some("sk-local".into()),
        model_override: Some("llama3.2:1b".into()),
        ..c
    });
    collect(adapter.invoke(request(vec![], vec![])).await.unwrap()).await;
    let received = server.received();
    assert_eq!(
        received[0].authorization.as_deref(),
        Some("Bearer sk-local")
    );
    assert_eq!(received[0].body["model"], "llama3.2:1b");
    assert!(received[0].body.get("tools").is_none());
}

#[tokio::test]
async fn text_tool_calls_are_parsed_out_of_the_streamed_text() {
    let text = |t: &str| chunk(json!({ "content": t }), None);
    let server = FakeServer::start(vec![Reply::sse(&[
        &text("Let me check. <tool"),
        &text("_call>\n{\"name\": \"get_weather\", "),
        &text("\"arguments\": {\"city\": \"Paris\"}}\n</tool_"),
        &text("call>"),
        &chunk(json!({}), Some("stop")),
        &usage(50, 9),
        "[DONE]",
    ])])
    .await;
    let adapter = server.adapter_with(|c| pika_local_adapters::openai::OpenAiConfig {
        text_tool_calls: true,
        ..c
    });
    let history = vec![
        ConversationMessage::text(Role::User, "Weather?"),
        ConversationMessage {
            role: Role::Assistant,
            content: vec![ContentBlock::ToolUse {
                tool_use_id: "t1".into(),
                name: "get_weather".into(),
                input: json!({ "city": "Oslo" }),
            }],
        },
        ConversationMessage {
            role: Role::User,
            content: vec![ContentBlock::ToolResult {
                tool_use_id: "t1".into(),
                ok: true,
                output: json!({ "tempC": 3 }),
            }],
        },
    ];
    let stream = adapter
        .invoke(request(history, vec![weather_tool()]))
        .await
        .unwrap();
    let events = ok_events(collect(stream).await);
    assert_eq!(events.len(), 4, "{events:?}");
    assert_eq!(events[0], RuntimeEvent::TextDelta("Let me check. ".into()));
    match &events[1] {
        RuntimeEvent::ToolUse {
            tool_use_id,
            name,
            input,
        } => {
            assert!(tool_use_id.starts_with("call_"), "{tool_use_id}");
            assert_eq!(name, "get_weather");
            assert_eq!(input, &json!({ "city": "Paris" }));
        }
        other => panic!("expected a tool use, got {other:?}"),
    }
    assert_eq!(events[2], RuntimeEvent::Usage(TokenUsage::new(50, 9)));
    assert_eq!(events[3], RuntimeEvent::Completed(StopReason::ToolUse));

    let body = &server.received()[0].body;
    assert!(body.get("tools").is_none(), "tools go into the prompt");
    let messages = body["messages"].as_array().unwrap();
    let system = messages[0]["content"].as_str().unwrap();
    assert!(system.starts_with("You are Pika."));
    assert!(system.contains("<tools>") && system.contains("\"get_weather\""));
    assert!(system.contains("<tool_call>"));
    let assistant = messages[2]["content"].as_str().unwrap();
    assert!(assistant.contains("<tool_call>") && assistant.contains("Oslo"));
    assert_eq!(messages[3]["role"], "user");
    let result = messages[3]["content"].as_str().unwrap();
    assert!(result.contains("<tool_response>") && result.contains("tempC"));
}

//! The Converse adapters with the real SDK client against a fake Bedrock
//! endpoint speaking AWS event-stream frames: streamed text and usage, the
//! tool loop run by the chat service, stop reasons, errors before and
//! inside the stream, a cut stream, and single-shot completions.

#![cfg(feature = "bedrock")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod bedrock_support;

use bedrock_support::converse_frames::{block_stop, message_start, metadata, stop, text};
use bedrock_support::{
    assert_refused_before_the_stream, collect, ok_events, text_of, usage_of, weather_turn,
    FakeBedrock, Frame, Reply,
};
use pika_aws_adapters::bedrock::{BedrockOptions, ConverseCompletions, ConverseRuntime};
use pika_domain::agent::GuardrailConfig;
use pika_domain::cost::TokenUsage;
use pika_domain::ids::{SessionId, ToolName};
use pika_domain::message::Role;
use pika_ports::{
    AgentRequest, AgentRuntime, Completion, CompletionModel, CompletionPurpose, CompletionRequest,
    ConversationMessage, ErrorKind, RuntimeEvent, StopReason, ToolSpec,
};
use serde_json::{json, Map, Value};
use std::sync::Arc;

const MODEL: &str = "anthropic.claude-3-5-sonnet-20241022-v2:0";

fn request(messages: Vec<ConversationMessage>) -> AgentRequest {
    AgentRequest {
        model_id: MODEL.into(),
        instruction: "You are Pika.".into(),
        messages,
        tools: vec![ToolSpec {
            lambda_arn: None,
            name: ToolName::parse("get_weather").unwrap(),
            description: "Weather in a city".into(),
            input_schema: json!({
                "type": "object",
                "properties": { "query": { "type": "string", "description": "City" } },
                "required": ["query"],
            }),
        }],
        max_output_tokens: 321,
        session_id: SessionId::from_v7_parts(1_700_000_000_000, &[7; 10]),
        session_attributes: Map::new(),
        guardrail: None,
        knowledge_bases: Vec::new(),
        collaborators: Vec::new(),
    }
}

fn ask(text: &str) -> AgentRequest {
    request(vec![ConversationMessage::text(Role::User, text)])
}

fn tool_use_frames(index: i32, id: &str, name: &str, input_pieces: &[&str]) -> Vec<Frame> {
    let mut frames = vec![Frame::Event(
        "contentBlockStart",
        json!({ "contentBlockIndex": index, "start": { "toolUse": { "toolUseId": id, "name": name } } }),
    )];
    for piece in input_pieces {
        frames.push(Frame::Event(
            "contentBlockDelta",
            json!({ "contentBlockIndex": index, "delta": { "toolUse": { "input": piece } } }),
        ));
    }
    frames.push(block_stop(index));
    frames
}

fn runtime(server: &FakeBedrock) -> ConverseRuntime {
    ConverseRuntime::new(&server.sdk_config(), BedrockOptions::default())
}

#[tokio::test]
async fn text_streams_in_order_then_usage_then_completion() {
    let server = FakeBedrock::start(vec![Reply::Stream(vec![
        message_start(),
        text(0, "Hel"),
        text(0, "lo, "),
        text(0, "world"),
        block_stop(0),
        stop("end_turn"),
        metadata(12, 7),
    ])])
    .await;

    let stream = runtime(&server).invoke(ask("Say hello")).await.unwrap();
    let events = ok_events(collect(stream).await);

    assert_eq!(
        events,
        vec![
            RuntimeEvent::TextDelta("Hel".into()),
            RuntimeEvent::TextDelta("lo, ".into()),
            RuntimeEvent::TextDelta("world".into()),
            RuntimeEvent::Usage(TokenUsage::new(12, 7)),
            RuntimeEvent::Completed(StopReason::EndTurn),
        ]
    );
}

#[tokio::test]
async fn the_request_carries_model_system_history_tools_limit_and_guardrail() {
    let server =
        FakeBedrock::start(vec![Reply::Stream(vec![stop("end_turn"), metadata(1, 1)])]).await;
    let options = BedrockOptions {
        guardrail: Some(GuardrailConfig {
            guardrail_identifier: "gr-123".into(),
            guardrail_version: "2".into(),
        }),
        ..BedrockOptions::default()
    };
    let runtime = ConverseRuntime::new(&server.sdk_config(), options);
    let history = vec![
        ConversationMessage::text(Role::User, "Hi"),
        ConversationMessage::text(Role::Assistant, "Hello!"),
        ConversationMessage::text(Role::User, "Weather in Lyon?"),
    ];
    let stream = runtime.invoke(request(history)).await.unwrap();
    collect(stream).await;

    let received = server.received();
    assert_eq!(received.len(), 1);
    let sent = &received[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(
        sent.path,
        "/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse-stream"
    );
    assert!(
        sent.headers["authorization"]
            .to_str()
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256 Credential=AKIDFAKEBEDROCK/"),
        "requests are SigV4-signed with the configured credentials"
    );
    let body = &sent.body;
    assert_eq!(body["system"], json!([{ "text": "You are Pika." }]));
    assert_eq!(
        body["messages"],
        json!([
            { "role": "user", "content": [{ "text": "Hi" }] },
            { "role": "assistant", "content": [{ "text": "Hello!" }] },
            { "role": "user", "content": [{ "text": "Weather in Lyon?" }] },
        ])
    );
    assert_eq!(
        body["toolConfig"]["tools"][0]["toolSpec"],
        json!({
            "name": "get_weather",
            "description": "Weather in a city",
            "inputSchema": { "json": {
                "type": "object",
                "properties": { "query": { "type": "string", "description": "City" } },
                "required": ["query"],
            } }
        })
    );
    assert_eq!(body["inferenceConfig"], json!({ "maxTokens": 321 }));
    assert_eq!(body["guardrailConfig"]["guardrailIdentifier"], "gr-123");
    assert_eq!(body["guardrailConfig"]["guardrailVersion"], "2");
}

#[tokio::test]
async fn the_agents_own_guardrail_wins_over_the_sites() {
    let server =
        FakeBedrock::start(vec![Reply::Stream(vec![stop("end_turn"), metadata(1, 1)])]).await;
    let site = BedrockOptions {
        guardrail: Some(GuardrailConfig {
            guardrail_identifier: "site".into(),
            guardrail_version: "1".into(),
        }),
        ..BedrockOptions::default()
    };
    let runtime = ConverseRuntime::new(&server.sdk_config(), site);
    let mut ask = request(vec![ConversationMessage::text(Role::User, "Hi")]);
    ask.guardrail = Some(GuardrailConfig {
        guardrail_identifier: "agent-gr".into(),
        guardrail_version: "7".into(),
    });
    collect(runtime.invoke(ask).await.unwrap()).await;

    let body = server.received()[0].body.clone();
    assert_eq!(body["guardrailConfig"]["guardrailIdentifier"], "agent-gr");
    assert_eq!(body["guardrailConfig"]["guardrailVersion"], "7");
}

#[tokio::test]
async fn the_chat_service_runs_the_tool_the_model_asks_for_and_sends_back_its_result() {
    let mut first = vec![message_start(), text(0, "Let me check.")];
    first.push(block_stop(0));
    first.extend(tool_use_frames(
        1,
        "tooluse_abc",
        "get_weather",
        &["{\"que", "ry\": \"Ly", "on\"}"],
    ));
    first.extend([stop("tool_use"), metadata(40, 15)]);
    let second = vec![
        message_start(),
        text(0, " It is 21 °C in Lyon."),
        block_stop(0),
        stop("end_turn"),
        metadata(80, 9),
    ];
    let server = FakeBedrock::start(vec![Reply::Stream(first), Reply::Stream(second)]).await;

    let turn = weather_turn(Arc::new(runtime(&server)), "Weather in Lyon?").await;

    // The user saw the tool run and the answer.
    assert_eq!(
        turn.first_tool_call(),
        Some(("tooluse_abc".to_string(), "get_weather".to_string()))
    );
    assert!(turn.ended_done(), "{:?}", turn.events);
    assert_eq!(turn.said(), "Let me check. It is 21 °C in Lyon.");
    // The tool got the streamed input, assembled.
    let calls = turn.fakes.tool_invoker.calls_of("get_weather");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].input, json!({ "query": "Lyon" }));

    // The second request carried the tool use and its result.
    let received = server.received();
    assert_eq!(received.len(), 2);
    let messages = received[1].body["messages"].as_array().unwrap().clone();
    let n = messages.len();
    assert_eq!(
        messages[n - 2],
        json!({ "role": "assistant", "content": [
            { "text": "Let me check." },
            { "toolUse": { "toolUseId": "tooluse_abc", "name": "get_weather", "input": { "query": "Lyon" } } },
        ] })
    );
    assert_eq!(
        messages[n - 1],
        json!({ "role": "user", "content": [
            { "toolResult": {
                "toolUseId": "tooluse_abc",
                "content": [{ "json": { "city": "Lyon", "tempC": 21 } }],
                "status": "success",
            } },
        ] })
    );

    // Both calls' usage is on the stored answer.
    let answer = turn
        .fakes
        .messages
        .of_session(&turn.session_id)
        .pop()
        .unwrap();
    let usage = answer.usage.expect("usage stored");
    assert_eq!((usage.input_tokens, usage.output_tokens), (120, 24));
}

#[tokio::test]
async fn stop_reasons_map_to_the_port() {
    let cases = [
        ("end_turn", StopReason::EndTurn),
        ("stop_sequence", StopReason::EndTurn),
        ("max_tokens", StopReason::MaxTokens),
        ("model_context_window_exceeded", StopReason::MaxTokens),
        ("guardrail_intervened", StopReason::ContentFiltered),
        ("content_filtered", StopReason::ContentFiltered),
    ];
    for (wire, expected) in cases {
        let server = FakeBedrock::start(vec![Reply::Stream(vec![
            text(0, "x"),
            stop(wire),
            metadata(1, 1),
        ])])
        .await;
        let events = ok_events(collect(runtime(&server).invoke(ask("q")).await.unwrap()).await);
        assert_eq!(
            events.last(),
            Some(&RuntimeEvent::Completed(expected)),
            "{wire}"
        );
        assert_eq!(usage_of(&events), TokenUsage::new(1, 1), "{wire}");
    }
}

#[tokio::test]
async fn refusals_before_the_stream_are_classified() {
    let cases = [
        (429, "ThrottlingException", ErrorKind::Transient),
        (503, "ServiceUnavailableException", ErrorKind::Transient),
        (429, "ModelNotReadyException", ErrorKind::Transient),
        (400, "ValidationException", ErrorKind::Invalid),
        (403, "AccessDeniedException", ErrorKind::Permanent),
        (404, "ResourceNotFoundException", ErrorKind::Permanent),
    ];
    assert_refused_before_the_stream(runtime, || ask("q"), &cases).await;
}

#[tokio::test]
async fn an_exception_inside_the_stream_ends_it_with_a_classified_error() {
    let cases = [
        ("throttlingException", ErrorKind::Transient),
        ("modelStreamErrorException", ErrorKind::Transient),
        ("internalServerException", ErrorKind::Transient),
        ("validationException", ErrorKind::Invalid),
    ];
    for (code, kind) in cases {
        let server = FakeBedrock::start(vec![Reply::Stream(vec![
            message_start(),
            text(0, "Partial"),
            Frame::Exception(code, json!({ "message": "Too many tokens, please wait" })),
        ])])
        .await;
        let items = collect(runtime(&server).invoke(ask("q")).await.unwrap()).await;
        assert_eq!(items.len(), 2, "{code}: {items:?}");
        assert_eq!(
            items[0].as_ref().unwrap(),
            &RuntimeEvent::TextDelta("Partial".into())
        );
        let error = items[1].as_ref().unwrap_err();
        assert_eq!(error.kind, kind, "{code}: {error}");
        assert!(error.message.contains("Too many tokens"), "{error}");
    }
}

#[tokio::test]
async fn a_connection_cut_mid_stream_is_a_transient_error_item() {
    let server = FakeBedrock::start(vec![Reply::Cut {
        frames: vec![message_start(), text(0, "Hello")],
        partial: text(0, " and more"),
    }])
    .await;
    let items = collect(runtime(&server).invoke(ask("q")).await.unwrap()).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(
        items[0].as_ref().unwrap(),
        &RuntimeEvent::TextDelta("Hello".into())
    );
    let error = items[1].as_ref().unwrap_err();
    assert_eq!(error.kind, ErrorKind::Transient, "{error}");
    assert!(error.message.contains("broke off"), "{error}");
}

#[tokio::test]
async fn a_stream_that_ends_before_message_stop_is_a_transient_error_item() {
    let server =
        FakeBedrock::start(vec![Reply::Stream(vec![message_start(), text(0, "Hel")])]).await;
    let items = collect(runtime(&server).invoke(ask("q")).await.unwrap()).await;
    assert_eq!(text_of(&[items[0].clone().unwrap()]), "Hel");
    assert_eq!(items[1].as_ref().unwrap_err().kind, ErrorKind::Transient);
}

fn completion_request() -> CompletionRequest {
    CompletionRequest {
        model_id: "anthropic.claude-3-haiku-20240307-v1:0".into(),
        instruction: "Write a 3-8 word title.".into(),
        input: "How do I reset my password?".into(),
        max_output_tokens: 32,
        purpose: CompletionPurpose::Title,
    }
}

#[tokio::test]
async fn a_completion_returns_the_text_and_usage_of_converse() {
    let server = FakeBedrock::start(vec![Reply::Json(json!({
        "output": { "message": { "role": "assistant", "content": [
            { "text": "Resetting " }, { "text": "your password" }
        ] } },
        "stopReason": "end_turn",
        "usage": { "inputTokens": 30, "outputTokens": 4, "totalTokens": 34 },
        "metrics": { "latencyMs": 200 }
    }))])
    .await;
    let model = ConverseCompletions::new(&server.sdk_config(), BedrockOptions::default());

    let completion = model.complete(completion_request()).await.unwrap();

    assert_eq!(
        completion,
        Completion {
            text: "Resetting your password".into(),
            usage: TokenUsage::new(30, 4),
        }
    );
    let sent = &server.received()[0];
    assert_eq!(
        sent.path,
        "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
    );
    assert_eq!(
        sent.body["system"],
        json!([{ "text": "Write a 3-8 word title." }])
    );
    assert_eq!(
        sent.body["messages"],
        json!([{ "role": "user", "content": [{ "text": "How do I reset my password?" }] }])
    );
    assert_eq!(sent.body["inferenceConfig"], json!({ "maxTokens": 32 }));
    assert_eq!(sent.body.get("toolConfig"), None::<&Value>);
}

#[tokio::test]
async fn a_throttled_completion_is_transient_and_a_refused_one_is_not_retryable() {
    let server = FakeBedrock::start(vec![
        Reply::Error {
            status: 429,
            code: "ThrottlingException",
            message: "Too many requests",
        },
        Reply::Error {
            status: 400,
            code: "ValidationException",
            message: "maxTokens is too large",
        },
    ])
    .await;
    let model = ConverseCompletions::new(&server.sdk_config(), BedrockOptions::default());

    let throttled = model.complete(completion_request()).await.unwrap_err();
    assert_eq!(throttled.kind, ErrorKind::Transient, "{throttled}");
    let refused = model.complete(completion_request()).await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Invalid, "{refused}");
    assert!(!refused.kind.is_retryable());
}

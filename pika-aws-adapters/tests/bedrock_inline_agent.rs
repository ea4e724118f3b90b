//! The inline agent runtime with the real SDK client against a fake Bedrock
//! endpoint speaking AWS event-stream frames: streamed chunks, traces with
//! usage, return of control and the call that continues it (through the
//! chat service), errors before and inside the stream, Bedrock's iteration
//! limit, and a cut stream.

#![cfg(feature = "bedrock")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod bedrock_support;

use base64::Engine;
use bedrock_support::{
    assert_refused_before_the_stream, collect, ok_events, text_of, weather_turn, FakeBedrock,
    Frame, Reply,
};
use pika_aws_adapters::bedrock::{BedrockOptions, InlineAgentRuntime};
use pika_domain::agent::GuardrailConfig;
use pika_domain::cost::TokenUsage;
use pika_domain::ids::{SessionId, ToolName};
use pika_domain::message::Role;
use pika_ports::{
    AgentRequest, AgentRuntime, ConversationMessage, ErrorKind, RuntimeEvent, StopReason, ToolSpec,
};
use serde_json::{json, Map, Value};
use std::sync::Arc;

const MODEL: &str = "anthropic.claude-3-5-sonnet-20241022-v2:0";
const INSTRUCTION: &str = "You are Pika, a helpful assistant for weather questions.";

fn session() -> SessionId {
    SessionId::from_v7_parts(1_700_000_000_000, &[7; 10])
}

fn request(messages: Vec<ConversationMessage>) -> AgentRequest {
    let mut attributes = Map::new();
    attributes.insert("userId".into(), json!("u-1"));
    attributes.insert("customData".into(), json!({ "plan": "gold" }));
    AgentRequest {
        model_id: MODEL.into(),
        instruction: INSTRUCTION.into(),
        messages,
        tools: vec![ToolSpec {
            lambda_arn: None,
            name: ToolName::parse("get_weather").unwrap(),
            description: "Weather in a city".into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "query": { "type": "string", "description": "City" },
                    "days": { "type": "integer", "description": "How many days" },
                },
                "required": ["query"],
            }),
        }],
        max_output_tokens: 500,
        session_id: session(),
        session_attributes: attributes,
        guardrail: None,
        knowledge_bases: Vec::new(),
        collaborators: Vec::new(),
    }
}

fn ask(text: &str) -> AgentRequest {
    request(vec![ConversationMessage::text(Role::User, text)])
}

fn chunk(text: &str) -> Frame {
    let bytes = base64::engine::general_purpose::STANDARD.encode(text);
    Frame::Event("chunk", json!({ "bytes": bytes }))
}

fn trace(trace: Value) -> Frame {
    Frame::Event(
        "trace",
        json!({ "sessionId": session().to_string(), "trace": trace }),
    )
}

fn model_usage(input: u64, output: u64) -> Frame {
    trace(json!({ "orchestrationTrace": { "modelInvocationOutput": {
        "traceId": "t-model",
        "metadata": { "usage": { "inputTokens": input, "outputTokens": output } }
    } } }))
}

fn return_control(invocation_id: &str, query: &str) -> Frame {
    Frame::Event(
        "returnControl",
        json!({
            "invocationId": invocation_id,
            "invocationInputs": [{ "functionInvocationInput": {
                "actionGroup": "get_weather",
                "function": "get_weather",
                "actionInvocationType": "RESULT",
                "parameters": [
                    { "name": "query", "type": "string", "value": query },
                    { "name": "days", "type": "integer", "value": "2" }
                ]
            } }]
        }),
    )
}

fn runtime(server: &FakeBedrock) -> InlineAgentRuntime {
    InlineAgentRuntime::new(&server.sdk_config(), BedrockOptions::default())
}

#[tokio::test]
async fn chunks_stream_in_order_and_traces_carry_usage() {
    let server = FakeBedrock::start(vec![Reply::Stream(vec![
        trace(json!({ "preProcessingTrace": { "modelInvocationOutput": {
            "traceId": "t-pre", "metadata": { "usage": { "inputTokens": 50, "outputTokens": 5 } }
        } } })),
        trace(json!({ "orchestrationTrace": { "rationale": {
            "traceId": "t-r", "text": "The user greets me."
        } } })),
        model_usage(100, 20),
        chunk("Hel"),
        chunk("lo, "),
        chunk("wörld"),
    ])])
    .await;

    let stream = runtime(&server).invoke(ask("Say hello")).await.unwrap();
    let events = ok_events(collect(stream).await);

    assert_eq!(
        events,
        vec![
            RuntimeEvent::Usage(TokenUsage::new(50, 5)),
            RuntimeEvent::Trace {
                kind: "rationale".into(),
                detail: json!({ "text": "The user greets me." }),
            },
            RuntimeEvent::Usage(TokenUsage::new(100, 20)),
            RuntimeEvent::TextDelta("Hel".into()),
            RuntimeEvent::TextDelta("lo, ".into()),
            RuntimeEvent::TextDelta("wörld".into()),
            RuntimeEvent::Completed(StopReason::EndTurn),
        ]
    );
}

#[tokio::test]
async fn the_request_defines_the_agent_its_action_groups_and_session_state() {
    let server = FakeBedrock::start(vec![Reply::Stream(vec![chunk("ok")])]).await;
    let options = BedrockOptions {
        guardrail: Some(GuardrailConfig {
            guardrail_identifier: "gr-123".into(),
            guardrail_version: "DRAFT".into(),
        }),
        ..BedrockOptions::default()
    };
    let runtime = InlineAgentRuntime::new(&server.sdk_config(), options);
    let history = vec![
        ConversationMessage::text(Role::User, "Hi"),
        ConversationMessage::text(Role::Assistant, "Hello! How can I help?"),
        ConversationMessage::text(Role::User, "Weather in Lyon?"),
    ];
    collect(runtime.invoke(request(history)).await.unwrap()).await;

    let received = server.received();
    assert_eq!(received.len(), 1);
    let sent = &received[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, format!("/agents/{}", session()));
    let body = &sent.body;
    assert_eq!(body["foundationModel"], MODEL);
    assert_eq!(body["instruction"], INSTRUCTION);
    assert_eq!(body["inputText"], "Weather in Lyon?");
    assert_eq!(body["enableTrace"], true);
    assert_eq!(body["streamingConfigurations"]["streamFinalResponse"], true);
    assert_eq!(
        body["guardrailConfiguration"],
        json!({ "guardrailIdentifier": "gr-123", "guardrailVersion": "DRAFT" })
    );
    assert_eq!(
        body["actionGroups"],
        json!([{
            "actionGroupName": "get_weather",
            "description": "Weather in a city",
            "actionGroupExecutor": { "customControl": "RETURN_CONTROL" },
            "functionSchema": { "functions": [{
                "name": "get_weather",
                "description": "Weather in a city",
                "parameters": {
                    "query": { "type": "string", "description": "City", "required": true },
                    "days": { "type": "integer", "description": "How many days", "required": false },
                }
            }] }
        }])
    );
    let state = &body["inlineSessionState"];
    assert_eq!(
        state["sessionAttributes"],
        json!({ "userId": "u-1", "customData": "{\"plan\":\"gold\"}" })
    );
    assert_eq!(
        state["conversationHistory"]["messages"],
        json!([
            { "role": "user", "content": [{ "text": "Hi" }] },
            { "role": "assistant", "content": [{ "text": "Hello! How can I help?" }] },
        ])
    );
    assert_eq!(state.get("invocationId"), None::<&Value>);
}

#[tokio::test]
async fn a_tool_with_a_lambda_arn_is_run_by_bedrocks_lambda_executor() {
    let server = FakeBedrock::start(vec![Reply::Stream(vec![chunk("Done.")])]).await;
    let runtime = InlineAgentRuntime::new(&server.sdk_config(), BedrockOptions::default());
    let mut ask = ask("Weather in Lyon?");
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:weather";
    ask.tools[0].lambda_arn = Some(arn.to_string());
    collect(runtime.invoke(ask).await.unwrap()).await;

    let body = &server.received()[0].body;
    assert_eq!(
        body["actionGroups"][0]["actionGroupExecutor"],
        json!({ "lambda": arn })
    );
}

#[tokio::test]
async fn return_of_control_becomes_tool_uses_and_the_next_call_carries_the_results() {
    let first = vec![
        model_usage(120, 30),
        trace(json!({ "orchestrationTrace": { "invocationInput": {
            "traceId": "t-inv", "invocationType": "ACTION_GROUP",
            "actionGroupInvocationInput": {
                "actionGroupName": "get_weather", "function": "get_weather",
                "executionType": "RETURN_CONTROL", "invocationId": "inv-42"
            }
        } } })),
        return_control("inv-42", "Lyon"),
    ];
    let second = vec![model_usage(200, 12), chunk("It is 21 °C in Lyon.")];
    let server = FakeBedrock::start(vec![Reply::Stream(first), Reply::Stream(second)]).await;

    let turn = weather_turn(Arc::new(runtime(&server)), "Weather in Lyon?").await;

    // The user saw the tool run and the answer.
    assert_eq!(
        turn.first_tool_call(),
        Some(("inv-42#0".to_string(), "get_weather".to_string()))
    );
    assert!(turn.ended_done(), "{:?}", turn.events);
    assert_eq!(turn.said(), "It is 21 °C in Lyon.");
    // The tool got the parameters, read back by their declared types.
    let calls = turn.fakes.tool_invoker.calls_of("get_weather");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].input, json!({ "query": "Lyon", "days": 2 }));

    // The second call continues the invocation with the tool's result.
    let received = server.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].path, format!("/agents/{}", turn.session_id));
    let body = &received[1].body;
    assert_eq!(body.get("inputText"), None::<&Value>);
    let state = &body["inlineSessionState"];
    assert_eq!(state["invocationId"], "inv-42");
    assert_eq!(
        state["returnControlInvocationResults"],
        json!([{ "functionResult": {
            "actionGroup": "get_weather",
            "function": "get_weather",
            "responseBody": { "TEXT": { "body": "{\"city\":\"Lyon\",\"tempC\":21}" } }
        } }])
    );
    assert_eq!(
        state["sessionAttributes"]["sessionId"],
        turn.session_id.to_string()
    );
    // The agent is defined again on the continuing call (inline agents are stateless).
    assert_eq!(body["actionGroups"][0]["actionGroupName"], "get_weather");
    assert_eq!(body["enableTrace"], true);

    // Usage of both calls is on the stored answer.
    let answer = turn
        .fakes
        .messages
        .of_session(&turn.session_id)
        .pop()
        .unwrap();
    let usage = answer.usage.expect("usage stored");
    assert_eq!((usage.input_tokens, usage.output_tokens), (320, 42));
}

#[tokio::test]
async fn a_return_of_control_alone_completes_with_tool_use() {
    let server =
        FakeBedrock::start(vec![Reply::Stream(vec![return_control("inv-7", "Paris")])]).await;
    let events = ok_events(collect(runtime(&server).invoke(ask("Paris?")).await.unwrap()).await);
    assert_eq!(
        events,
        vec![
            RuntimeEvent::ToolUse {
                tool_use_id: "inv-7#0".into(),
                name: "get_weather".into(),
                input: json!({ "query": "Paris", "days": 2 }),
            },
            RuntimeEvent::Completed(StopReason::ToolUse),
        ]
    );
}

#[tokio::test]
async fn a_tool_bedrock_ran_itself_is_reported_as_its_result_and_files_as_a_trace() {
    let png = base64::engine::general_purpose::STANDARD.encode([1u8, 2, 3, 4]);
    let server = FakeBedrock::start(vec![Reply::Stream(vec![
        trace(json!({ "orchestrationTrace": { "invocationInput": {
            "traceId": "t-9", "invocationType": "ACTION_GROUP",
            "actionGroupInvocationInput": {
                "actionGroupName": "stock", "function": "get_price",
                "executionType": "LAMBDA", "invocationId": "lambda-1"
            }
        } } })),
        trace(json!({ "orchestrationTrace": { "observation": {
            "traceId": "t-9", "type": "ACTION_GROUP",
            "actionGroupInvocationOutput": { "text": "{\"price\": 12.5}" }
        } } })),
        Frame::Event(
            "files",
            json!({ "files": [{ "name": "chart.png", "type": "image/png", "bytes": png }] }),
        ),
        chunk("Done."),
    ])])
    .await;
    let events = ok_events(collect(runtime(&server).invoke(ask("Price?")).await.unwrap()).await);
    assert!(
        events.contains(&RuntimeEvent::ToolResult {
            tool_use_id: "lambda-1".into(),
            name: "get_price".into(),
            ok: true,
            output: json!({ "price": 12.5 }),
        }),
        "{events:?}"
    );
    assert!(
        events.contains(&RuntimeEvent::Trace {
            kind: "files".into(),
            detail: json!({ "files": [{ "name": "chart.png", "type": "image/png", "size": 4 }] }),
        }),
        "{events:?}"
    );
    assert_eq!(text_of(&events), "Done.");
    assert_eq!(
        events.last(),
        Some(&RuntimeEvent::Completed(StopReason::EndTurn))
    );
}

#[tokio::test]
async fn a_guardrail_intervention_completes_as_content_filtered() {
    let server = FakeBedrock::start(vec![Reply::Stream(vec![
        trace(json!({ "guardrailTrace": { "action": "INTERVENED", "traceId": "g" } })),
        chunk("Sorry, I cannot help with that."),
    ])])
    .await;
    let events = ok_events(collect(runtime(&server).invoke(ask("bad")).await.unwrap()).await);
    assert_eq!(
        events.last(),
        Some(&RuntimeEvent::Completed(StopReason::ContentFiltered))
    );
}

#[tokio::test]
async fn refusals_before_the_stream_are_classified() {
    let cases = [
        (429, "ThrottlingException", ErrorKind::Transient),
        (429, "ServiceQuotaExceededException", ErrorKind::Transient),
        (424, "DependencyFailedException", ErrorKind::Transient),
        (500, "InternalServerException", ErrorKind::Transient),
        (409, "ConflictException", ErrorKind::Transient),
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
        ("serviceQuotaExceededException", ErrorKind::Transient),
        // Not modelled in the inline agent's stream: known by its name alone.
        ("modelNotReadyException", ErrorKind::Transient),
        ("internalServerException", ErrorKind::Transient),
        ("dependencyFailedException", ErrorKind::Transient),
        ("validationException", ErrorKind::Invalid),
        ("accessDeniedException", ErrorKind::Permanent),
        ("resourceNotFoundException", ErrorKind::Permanent),
    ];
    for (code, kind) in cases {
        let server = FakeBedrock::start(vec![Reply::Stream(vec![
            chunk("Partial"),
            Frame::Exception(code, json!({ "message": "something went wrong" })),
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
        assert!(error.message.contains("something went wrong"), "{error}");
    }
}

#[tokio::test]
async fn bedrocks_iteration_limit_is_surfaced_as_such() {
    // As a failure trace, and as an exception.
    let replies = [
        vec![
            model_usage(10, 2),
            trace(json!({ "failureTrace": {
                "traceId": "t-f", "failureReason": "Max iterations exceeded", "failureCode": 400
            } })),
        ],
        vec![Frame::Exception(
            "dependencyFailedException",
            json!({ "message": "Max iterations exceeded" }),
        )],
    ];
    for frames in replies {
        let server = FakeBedrock::start(vec![Reply::Stream(frames)]).await;
        let items = collect(runtime(&server).invoke(ask("q")).await.unwrap()).await;
        let events: Vec<RuntimeEvent> = items.into_iter().map(Result::unwrap).collect();
        assert!(
            events
                .iter()
                .any(|e| matches!(e, RuntimeEvent::Trace { kind, .. } if kind == "limit")),
            "{events:?}"
        );
        assert_eq!(
            events.last(),
            Some(&RuntimeEvent::Completed(StopReason::IterationLimit)),
            "{events:?}"
        );
    }
}

#[tokio::test]
async fn a_connection_cut_mid_stream_is_a_transient_error_item() {
    let server = FakeBedrock::start(vec![Reply::Cut {
        frames: vec![chunk("Hello")],
        partial: chunk(" and more"),
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
async fn a_conversation_that_does_not_end_with_the_user_is_refused_before_any_call() {
    let server = FakeBedrock::start(vec![]).await;
    let bad = request(vec![ConversationMessage::text(Role::Assistant, "Hi")]);
    let error = match runtime(&server).invoke(bad).await {
        Err(e) => e,
        Ok(_) => panic!("should be refused"),
    };
    assert_eq!(error.kind, ErrorKind::Invalid);
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn an_admin_learns_bedrocks_inline_agent_limits_when_saving() {
    use pika_service::{AdminService, ConfigCache, ServiceError};
    use pika_testkit::fixtures;

    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .test_credentials()
        .load()
        .await;
    let fakes = pika_testkit::FakePorts::new();
    let mut ports = fakes.ports();
    ports.runtime = Arc::new(InlineAgentRuntime::new(&sdk, BedrockOptions::default()));
    let admin = AdminService::new(
        ports.clone(),
        Arc::new(ConfigCache::new(ports, std::time::Duration::from_secs(60))),
    );
    let root = fixtures::site_admin("root");

    let mut wordy = fixtures::inline_tool("wordy", "look_up");
    wordy.function_schema[0].description = "x".repeat(201);
    match admin.create_tool(&root, wordy).await {
        Err(ServiceError::Invalid(message)) => {
            assert!(
                message.contains("200") && message.contains("look_up"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    let tool = fixtures::inline_tool("brief", "look_up");
    admin.create_tool(&root, tool).await.unwrap();

    let mut terse = fixtures::agent("terse", &["brief"]);
    terse.instruction = "Be helpful.".to_string();
    match admin.create_agent(&root, terse.clone()).await {
        Err(ServiceError::Invalid(message)) => assert!(message.contains("40"), "{message}"),
        other => panic!("{other:?}"),
    }
    terse.instruction = "You answer questions about orders, briefly and politely.".to_string();
    admin.create_agent(&root, terse).await.unwrap();
}

//! The Lambda tool invoker against a fake Lambda service: the event it
//! sends, the output it returns, the `agent-tool` tag gate and how each
//! failure is classified.
#![cfg(feature = "lambda-tools")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod lambda_support;

use lambda_support::{Answer, FakeLambda};
use pika_aws_adapters::lambda_tools::{LambdaToolInvoker, LambdaToolsConfig};
use pika_domain::tool::{ExecutionType, ParameterSchema, ParameterType, Tool};
use pika_ports::{ErrorKind, PortError, ToolInvocation, ToolInvoker};
use pika_testkit::fixtures::{inline_tool, tool_name};
use serde_json::{json, Map, Value};
use std::time::Duration;

const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:weather";

/// A lambda tool `weather` whose function `forecast` declares `city`
/// (string) and `days` (integer).
fn weather_tool(arn: &str) -> Tool {
    let mut tool = inline_tool("weather", "forecast");
    tool.name = tool_name("weather");
    tool.execution_type = ExecutionType::Lambda;
    tool.lambda_arn = Some(arn.to_string());
    let params = &mut tool.function_schema[0].parameters;
    params.clear();
    for (name, kind) in [
        ("city", ParameterType::String),
        ("days", ParameterType::Integer),
    ] {
        params.insert(
            name.to_string(),
            ParameterSchema {
                kind,
                description: name.to_string(),
                required: true,
            },
        );
    }
    tool
}

fn attributes() -> Map<String, Value> {
    json!({
        "userId": "alice",
        "chatAppId": "support",
        "agentId": "weather-agent",
        "sessionId": "01890a5d-ac96-774b-bcce-b302099a8057",
        "currentDate": "2026-11-25",
        "messageId": "01890a5d-ac96-774b-bcce-b302099a8058",
        "tier": 3
    })
    .as_object()
    .unwrap()
    .clone()
}

fn call(tool: Tool, input: Value) -> ToolInvocation {
    ToolInvocation {
        function: tool_name("forecast"),
        tool,
        input,
        session_attributes: attributes(),
    }
}

async fn invoker(fake: &FakeLambda, config: LambdaToolsConfig) -> LambdaToolInvoker {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .test_credentials()
        .endpoint_url(fake.serve().await)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    LambdaToolInvoker::new(&sdk, config)
}

/// A fake where `ARN` is tagged and answers `answer`.
fn tagged_fake(answer: Answer) -> FakeLambda {
    let fake = FakeLambda::default();
    fake.tags(ARN, json!({ "agent-tool": "true", "team": "platform" }));
    fake.answer(ARN, answer);
    fake
}

async fn invoke_with(answer: Answer) -> Result<Value, PortError> {
    let fake = tagged_fake(answer);
    let tools = invoker(&fake, LambdaToolsConfig::default()).await;
    tools
        .invoke(call(weather_tool(ARN), json!({ "city": "Lisbon" })))
        .await
}

#[tokio::test]
async fn the_function_gets_the_bedrock_event_and_its_text_is_the_output() {
    let fake = tagged_fake(Answer::text("Sunny, 24 °C"));
    let tools = invoker(&fake, LambdaToolsConfig::default()).await;
    let input = json!({ "city": "Lisbon", "days": 3, "metric": true });
    let output = tools.invoke(call(weather_tool(ARN), input)).await.unwrap();
    assert_eq!(output, json!("Sunny, 24 °C"));

    let sent = fake.invocations();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].function, ARN);
    assert_eq!(sent[0].invocation_type.as_deref(), Some("RequestResponse"));
    assert_eq!(
        sent[0].event,
        json!({
            "messageVersion": "1.0",
            "agent": { "name": "weather-agent", "id": "weather-agent", "alias": "inline", "version": "DRAFT" },
            "inputText": "",
            "sessionId": "01890a5d-ac96-774b-bcce-b302099a8057",
            "actionGroup": "weather",
            "function": "forecast",
            "parameters": [
                { "name": "city", "type": "string", "value": "Lisbon" },
                { "name": "days", "type": "integer", "value": "3" },
                { "name": "metric", "type": "boolean", "value": "true" }
            ],
            "sessionAttributes": {
                "agentId": "weather-agent",
                "chatAppId": "support",
                "currentDate": "2026-11-25",
                "messageId": "01890a5d-ac96-774b-bcce-b302099a8058",
                "sessionId": "01890a5d-ac96-774b-bcce-b302099a8057",
                "tier": "3",
                "userId": "alice"
            },
            "promptSessionAttributes": {}
        })
    );
}

#[tokio::test]
async fn untagged_functions_are_refused_without_being_invoked() {
    for tags in [
        json!({ "agent-tool": "false" }),
        json!({}),
        json!({ "agent-tool": "TRUE " }),
    ] {
        let fake = FakeLambda::default();
        fake.tags(ARN, tags.clone());
        fake.answer(ARN, Answer::text("should not run"));
        let tools = invoker(&fake, LambdaToolsConfig::default()).await;
        let err = tools
            .invoke(call(weather_tool(ARN), json!({ "city": "Lisbon" })))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Permanent, "tags {tags}: {err}");
        assert!(err.message.contains("agent-tool=true"), "{err}");
        assert!(fake.invocations().is_empty(), "tags {tags}: invoked anyway");
    }
}

#[tokio::test]
async fn tagging_is_read_once_per_function_while_remembered() {
    let fake = tagged_fake(Answer::text("ok"));
    let qualified = format!("{ARN}:prod");
    fake.answer(&qualified, Answer::text("ok"));
    let tools = invoker(&fake, LambdaToolsConfig::default()).await;
    for arn in [ARN, ARN, qualified.as_str()] {
        tools
            .invoke(call(weather_tool(arn), json!({})))
            .await
            .unwrap();
    }
    // The alias shares its function's tags; ListTags takes the bare ARN.
    assert_eq!(fake.tag_reads(), [ARN]);
    let invoked: Vec<_> = fake.invocations().into_iter().map(|i| i.function).collect();
    assert_eq!(invoked, [ARN, ARN, qualified.as_str()]);

    let forgetful = tagged_fake(Answer::text("ok"));
    let config = LambdaToolsConfig {
        tag_cache_ttl: Duration::ZERO,
        ..LambdaToolsConfig::default()
    };
    let tools = invoker(&forgetful, config).await;
    for _ in 0..2 {
        tools
            .invoke(call(weather_tool(ARN), json!({})))
            .await
            .unwrap();
    }
    assert_eq!(
        forgetful.tag_reads().len(),
        2,
        "a zero TTL remembers nothing"
    );
}

#[tokio::test]
async fn the_tag_check_can_be_turned_off() {
    let fake = FakeLambda::default();
    fake.answer(ARN, Answer::text("ran"));
    let config = LambdaToolsConfig {
        require_tag: false,
        ..LambdaToolsConfig::default()
    };
    let tools = invoker(&fake, config).await;
    let output = tools
        .invoke(call(weather_tool(ARN), json!({})))
        .await
        .unwrap();
    assert_eq!(output, json!("ran"));
    assert!(fake.tag_reads().is_empty());
}

#[tokio::test]
async fn a_function_that_throws_is_a_permanent_tool_failure() {
    let err = invoke_with(Answer::thrown("cannot read property 'city'"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent);
    assert!(err.message.contains("cannot read property 'city'"), "{err}");
}

#[tokio::test]
async fn reprompt_asks_the_model_again_and_failure_is_permanent() {
    let err = invoke_with(Answer::state("REPROMPT", "Which Lisbon? Portugal or Ohio?"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert_eq!(err.message, "Which Lisbon? Portugal or Ohio?");

    let err = invoke_with(Answer::state("FAILURE", "forecast service down"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent);
    assert!(err.message.contains("forecast service down"), "{err}");
}

#[tokio::test]
async fn an_answer_that_is_not_an_action_group_response_is_permanent() {
    let err = invoke_with(Answer::payload(json!({ "statusCode": 200, "body": "hi" })))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent);
}

#[tokio::test]
async fn lambda_errors_are_classified() {
    let cases = [
        (429, "TooManyRequestsException", ErrorKind::Transient),
        (502, "EC2ThrottledException", ErrorKind::Transient),
        (409, "ResourceConflictException", ErrorKind::Transient),
        (404, "ResourceNotFoundException", ErrorKind::NotFound),
        (403, "AccessDeniedException", ErrorKind::Permanent),
        (400, "InvalidRequestContentException", ErrorKind::Invalid),
    ];
    for (status, code, kind) in cases {
        let err = invoke_with(Answer::service_error(status, code))
            .await
            .unwrap_err();
        assert_eq!(err.kind, kind, "{code}: {err}");
    }
}

#[tokio::test]
async fn tag_lookup_failures_are_classified_too() {
    for (status, code, kind) in [
        (429, "TooManyRequestsException", ErrorKind::Transient),
        (404, "ResourceNotFoundException", ErrorKind::NotFound),
    ] {
        let fake = FakeLambda::default();
        fake.tags_fail(ARN, Answer::service_error(status, code));
        let tools = invoker(&fake, LambdaToolsConfig::default()).await;
        let err = tools
            .invoke(call(weather_tool(ARN), json!({})))
            .await
            .unwrap_err();
        assert_eq!(err.kind, kind, "{code}: {err}");
        assert!(fake.invocations().is_empty());
    }
}

#[tokio::test]
async fn only_lambda_tools_with_object_input_are_invoked() {
    let fake = tagged_fake(Answer::text("ok"));
    let tools = invoker(&fake, LambdaToolsConfig::default()).await;
    let err = tools
        .invoke(call(inline_tool("weather", "forecast"), json!({})))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent);
    let err = tools
        .invoke(call(weather_tool(ARN), json!(["Lisbon"])))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert!(fake.invocations().is_empty());
}

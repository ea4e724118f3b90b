//! What a turn asks of the agent runtime (the agent's guardrail, Lambda
//! tools' functions) and how it ends at a limit: its time limit, or the
//! provider's own bound on tool iterations.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::stream::TurnEvent;
use pika_ports::StopReason;
use pika_service::{SendMessage, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use std::time::Duration;
use support::*;

#[tokio::test(start_paused = true)]
async fn a_turn_past_its_time_limit_is_cut_short_and_stored_with_an_error() {
    let p = Platform::standard().await;
    p.fakes
        .runtime
        .push(Script::new().delta("Partial answer").hang());
    let alice = fixtures::customer("alice");
    let message = SendMessage::new(TurnTarget::NewSession(fixtures::chat_app_id(APP)), "Hi")
        .with_time_limit(Duration::from_secs(5));

    let (stream, events) = p.send(&alice, message).await;

    match events.last().unwrap() {
        TurnEvent::Error { code, .. } => assert_eq!(code, "turn_timeout"),
        other => panic!("last event {other:?}"),
    }
    let stored = p.fakes.messages.of_session(&stream.session_id);
    assert_eq!(stored.len(), 2, "the question and the cut answer are kept");
    assert_eq!(stored[1].content, "Partial answer");
    assert_eq!(stored[1].error.as_ref().unwrap().code, "turn_timeout");
}

#[tokio::test]
async fn the_agents_guardrail_goes_with_every_model_call() {
    let p = Platform::with_site(fixtures::site());
    let mut agent = fixtures::agent(AGENT, &[]);
    agent.guardrail = Some(pika_domain::agent::GuardrailConfig {
        guardrail_identifier: "gr-support".to_string(),
        guardrail_version: "3".to_string(),
    });
    p.seed_app(fixtures::chat_app(APP, AGENT), agent, vec![])
        .await;
    p.fakes.runtime.push(Script::answer("Hello."));

    p.first_turn(&fixtures::customer("alice"), "Hi").await;

    let sent = p.fakes.runtime.last_request().unwrap().guardrail.unwrap();
    assert_eq!(sent.guardrail_identifier, "gr-support");
    assert_eq!(sent.guardrail_version, "3");
}

#[tokio::test]
async fn a_providers_own_iteration_limit_ends_the_turn_as_pikas_does() {
    let p = Platform::standard().await;
    p.fakes.runtime.push(
        Script::new()
            .delta("Partly done")
            .complete(StopReason::IterationLimit),
    );

    let (stream, events) = p
        .first_turn(&fixtures::customer("alice"), "Do it all")
        .await;

    match events.last().unwrap() {
        TurnEvent::Error { code, .. } => assert_eq!(code, "tool_iteration_limit"),
        other => panic!("last event {other:?}"),
    }
    let stored = p.fakes.messages.of_session(&stream.session_id);
    assert_eq!(stored[1].content, "Partly done");
    assert_eq!(
        stored[1].error.as_ref().unwrap().code,
        "tool_iteration_limit"
    );
}

#[tokio::test]
async fn lambda_tools_tell_the_runtime_their_function_and_inline_tools_do_not() {
    let p = Platform::with_site(fixtures::site());
    let mut lambda = fixtures::inline_tool("orders", "get_order_status");
    lambda.execution_type = pika_domain::tool::ExecutionType::Lambda;
    lambda.lambda_arn = Some("arn:aws:lambda:us-east-1:123456789012:function:orders".to_string());
    p.seed_app(
        fixtures::chat_app(APP, AGENT),
        fixtures::agent(AGENT, &["orders", "weather"]),
        vec![lambda, fixtures::inline_tool("weather", "get_weather")],
    )
    .await;
    p.fakes.runtime.push(Script::answer("Hi."));

    p.first_turn(&fixtures::customer("alice"), "Hello").await;

    let request = p.fakes.runtime.last_request().unwrap();
    let arn_of = |name: &str| {
        request
            .tools
            .iter()
            .find(|t| t.name.as_str() == name)
            .unwrap()
            .lambda_arn
            .clone()
    };
    assert_eq!(
        arn_of("get_order_status").as_deref(),
        Some("arn:aws:lambda:us-east-1:123456789012:function:orders")
    );
    assert_eq!(arn_of("get_weather"), None);
}

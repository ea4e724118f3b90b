//! Multi-agent collaboration on the inline agent, with the real SDK client
//! against a fake Bedrock endpoint: the agent goes out as a supervisor with
//! its collaborators (`agentCollaboration`, `collaborators`,
//! `collaboratorConfigurations`), a collaborator's returned control comes
//! back as a tool use naming it, and the call carrying the result names the
//! collaborator again (`agentId`), so Bedrock hands it to the right agent.

#![cfg(feature = "bedrock")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod bedrock_support;

use base64::Engine;
use bedrock_support::{collect, ok_events, FakeBedrock, Frame, Reply};
use pika_aws_adapters::bedrock::{BedrockOptions, InlineAgentRuntime};
use pika_domain::ids::{SessionId, ToolName};
use pika_domain::message::Role;
use pika_ports::{
    AgentRequest, AgentRuntime, CollaboratorRequest, ContentBlock, ConversationMessage, ErrorKind,
    RuntimeEvent, StopReason, ToolSpec,
};
use serde_json::{json, Map, Value};

const SUPERVISOR: &str = "You are Pika, the front desk: hand billing questions to billing.";
const BILLING: &str = "You are the billing specialist. Answer questions about invoices.";

fn billing() -> CollaboratorRequest {
    CollaboratorRequest {
        name: "billing_agent".into(),
        when_to_ask: "Ask billing about invoices and payments.".into(),
        instruction: BILLING.into(),
        model_id: "billing-model".into(),
        tools: vec![ToolSpec {
            name: ToolName::parse("lookup_invoice").unwrap(),
            description: "An invoice of a customer".into(),
            input_schema: json!({
                "type": "object",
                "properties": { "customer": { "type": "string" } },
                "required": ["customer"],
            }),
            lambda_arn: None,
        }],
        knowledge_bases: Vec::new(),
        guardrail: None,
    }
}

fn request(messages: Vec<ConversationMessage>) -> AgentRequest {
    AgentRequest {
        model_id: "supervisor-model".into(),
        instruction: SUPERVISOR.into(),
        messages,
        tools: Vec::new(),
        max_output_tokens: 500,
        session_id: SessionId::from_v7_parts(1_700_000_000_000, &[9; 10]),
        session_attributes: Map::new(),
        guardrail: None,
        knowledge_bases: Vec::new(),
        collaborators: vec![billing()],
    }
}

fn collaborators_return_control() -> Frame {
    Frame::Event(
        "returnControl",
        json!({
            "invocationId": "inv-9",
            "invocationInputs": [{ "functionInvocationInput": {
                "actionGroup": "lookup_invoice",
                "function": "lookup_invoice",
                "actionInvocationType": "RESULT",
                "agentId": "BILLING01",
                "collaboratorName": "billing_agent",
                "parameters": [{ "name": "customer", "type": "string", "value": "alice" }]
            } }]
        }),
    )
}

fn chunk(text: &str) -> Frame {
    let bytes = base64::engine::general_purpose::STANDARD.encode(text);
    Frame::Event("chunk", json!({ "bytes": bytes }))
}

#[tokio::test]
async fn the_agent_supervises_its_collaborators_and_their_tools_come_back_to_pika() {
    let server = FakeBedrock::start(vec![
        Reply::Stream(vec![collaborators_return_control()]),
        Reply::Stream(vec![chunk("Your last invoice is 42 EUR.")]),
    ])
    .await;
    let runtime = InlineAgentRuntime::new(&server.sdk_config(), BedrockOptions::default());
    assert!(runtime.collaborates());
    let question = ConversationMessage::text(Role::User, "My last invoice?");

    let events = ok_events(
        collect(
            runtime
                .invoke(request(vec![question.clone()]))
                .await
                .unwrap(),
        )
        .await,
    );
    assert_eq!(
        events,
        vec![
            RuntimeEvent::ToolUse {
                tool_use_id: "inv-9#0@BILLING01".into(),
                name: "lookup_invoice".into(),
                input: json!({ "customer": "alice" }),
            },
            RuntimeEvent::Completed(StopReason::ToolUse),
        ]
    );

    let body = &server.received()[0].body;
    assert_eq!(body["agentCollaboration"], "SUPERVISOR");
    assert_eq!(
        body["collaboratorConfigurations"],
        json!([{
            "collaboratorName": "billing-agent",
            "collaboratorInstruction": "Ask billing about invoices and payments.",
            "relayConversationHistory": "DISABLED",
        }])
    );
    let collaborator = &body["collaborators"][0];
    assert_eq!(collaborator["agentName"], "billing-agent");
    assert_eq!(collaborator["foundationModel"], "billing-model");
    assert_eq!(collaborator["instruction"], BILLING);
    assert_eq!(
        collaborator["actionGroups"][0]["actionGroupExecutor"],
        json!({ "customControl": "RETURN_CONTROL" })
    );
    assert_eq!(
        collaborator["actionGroups"][0]["functionSchema"]["functions"][0]["name"],
        "lookup_invoice"
    );

    // Pika ran the tool; the next call hands the result to the collaborator.
    let conversation = vec![
        question,
        ConversationMessage {
            role: Role::Assistant,
            content: vec![ContentBlock::ToolUse {
                tool_use_id: "inv-9#0@BILLING01".into(),
                name: "lookup_invoice".into(),
                input: json!({ "customer": "alice" }),
            }],
        },
        ConversationMessage {
            role: Role::User,
            content: vec![ContentBlock::ToolResult {
                tool_use_id: "inv-9#0@BILLING01".into(),
                ok: true,
                output: json!({ "amount": "42 EUR" }),
            }],
        },
    ];
    let events = ok_events(collect(runtime.invoke(request(conversation)).await.unwrap()).await);
    assert!(
        events.contains(&RuntimeEvent::TextDelta(
            "Your last invoice is 42 EUR.".into()
        )),
        "{events:?}"
    );
    let body = &server.received()[1].body;
    let state = &body["inlineSessionState"];
    assert_eq!(state["invocationId"], "inv-9");
    assert_eq!(
        state["returnControlInvocationResults"],
        json!([{ "functionResult": {
            "actionGroup": "lookup_invoice",
            "function": "lookup_invoice",
            "agentId": "BILLING01",
            "responseBody": { "TEXT": { "body": "{\"amount\":\"42 EUR\"}" } }
        } }])
    );
    assert_eq!(
        body["collaborators"][0]["agentName"], "billing-agent",
        "defined on every call"
    );
}

#[tokio::test]
async fn without_collaborators_the_agent_is_no_supervisor() {
    let server = FakeBedrock::start(vec![Reply::Stream(vec![chunk("ok")])]).await;
    let runtime = InlineAgentRuntime::new(&server.sdk_config(), BedrockOptions::default());
    let mut plain = request(vec![ConversationMessage::text(Role::User, "Hi")]);
    plain.collaborators.clear();
    collect(runtime.invoke(plain).await.unwrap()).await;
    let body = &server.received()[0].body;
    for field in [
        "agentCollaboration",
        "collaborators",
        "collaboratorConfigurations",
    ] {
        assert_eq!(body.get(field), None::<&Value>, "{field}");
    }
}

#[tokio::test]
async fn a_collaborator_bedrock_would_refuse_is_refused_before_the_call() {
    let server = FakeBedrock::start(vec![]).await;
    let runtime = InlineAgentRuntime::new(&server.sdk_config(), BedrockOptions::default());
    let mut short = request(vec![ConversationMessage::text(Role::User, "Hi")]);
    short.collaborators[0].instruction = "Bills.".into();
    let err = runtime.invoke(short).await.err().expect("refused");
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert!(
        err.message.contains("billing_agent") && err.message.contains("40"),
        "{err}"
    );
    assert!(server.received().is_empty());
}

//! The OpenAI-compatible adapter's failures, cancellation, completions and
//! the reachability check, against a fake server.

#![cfg(feature = "openai")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod openai_support;

use futures::StreamExt;
use openai_support::{closed_port_url, FakeServer, Reply};
use pika_domain::cost::TokenUsage;
use pika_domain::ids::SessionId;
use pika_domain::message::Role;
use pika_local_adapters::openai::{OpenAiCompatible, OpenAiConfig};
use pika_ports::{
    AgentRequest, AgentRuntime, CompletionModel, CompletionPurpose, CompletionRequest,
    ConversationMessage, ErrorKind, PortError, RuntimeEvent, RuntimeStream,
};
use serde_json::{json, Map};
use std::time::Duration;
use tokio::sync::oneshot;

fn request() -> AgentRequest {
    AgentRequest {
        model_id: "qwen2.5:3b".into(),
        instruction: "Be brief.".into(),
        messages: vec![ConversationMessage::text(Role::User, "Hi")],
        tools: vec![],
        max_output_tokens: 64,
        session_id: SessionId::from_v7_parts(1_700_000_000_000, &[1; 10]),
        session_attributes: Map::new(),
        guardrail: None,
        knowledge_bases: Vec::new(),
        collaborators: Vec::new(),
    }
}

fn text_chunk(text: &str) -> String {
    json!({ "choices": [{ "index": 0, "delta": { "content": text }, "finish_reason": null }] })
        .to_string()
}

async fn invoke_error(server: &FakeServer) -> PortError {
    match server.adapter().invoke(request()).await {
        Ok(_) => panic!("expected the call to fail"),
        Err(e) => e,
    }
}

async fn collect(stream: RuntimeStream) -> Vec<Result<RuntimeEvent, PortError>> {
    tokio::time::timeout(Duration::from_secs(10), stream.collect())
        .await
        .expect("the stream ends")
}

#[tokio::test]
async fn http_statuses_become_the_port_error_kinds() {
    let error_body = |m: &str| json!({ "error": { "message": m, "type": "error" } });
    let cases = [
        (429, ErrorKind::Transient),
        (503, ErrorKind::Transient),
        (400, ErrorKind::Invalid),
        (413, ErrorKind::Invalid),
        (422, ErrorKind::Invalid),
        (401, ErrorKind::Permanent),
        (403, ErrorKind::Permanent),
    ];
    for (status, kind) in cases {
        let server = FakeServer::start(vec![Reply::json(status, error_body("nope"))]).await;
        let error = invoke_error(&server).await;
        assert_eq!(error.kind, kind, "{status}: {error}");
        assert!(error.message.contains("nope"), "{error}");
    }
}

#[tokio::test]
async fn a_404_is_permanent_and_names_the_model() {
    let server = FakeServer::start(vec![Reply::json(
        404,
        json!({ "error": { "message": "model \"qwen2.5:3b\" not found, try pulling it first" } }),
    )])
    .await;
    let error = invoke_error(&server).await;
    assert_eq!(error.kind, ErrorKind::Permanent);
    assert!(
        error.message.contains("model 'qwen2.5:3b' is unknown"),
        "{error}"
    );
}

#[tokio::test]
async fn connection_refused_is_transient() {
    let adapter = OpenAiCompatible::new(OpenAiConfig::new(closed_port_url().await)).unwrap();
    let error = match adapter.invoke(request()).await {
        Ok(_) => panic!("nothing listens"),
        Err(e) => e,
    };
    assert_eq!(error.kind, ErrorKind::Transient, "{error}");
    assert!(error.message.contains("cannot connect"), "{error}");
    let check = adapter.check().await.unwrap_err();
    assert_eq!(check.kind, ErrorKind::Transient);
}

#[tokio::test]
async fn a_stream_that_ends_before_the_answer_is_complete_ends_with_an_error_item() {
    let server = FakeServer::start(vec![Reply::sse(&[&text_chunk("Half an ans")])]).await;
    let items = collect(server.adapter().invoke(request()).await.unwrap()).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(
        items[0].as_ref().unwrap(),
        &RuntimeEvent::TextDelta("Half an ans".into())
    );
    let error = items[1].as_ref().unwrap_err();
    assert_eq!(error.kind, ErrorKind::Transient);
    assert!(error.message.contains("ended early"), "{error}");
}

#[tokio::test]
async fn a_broken_connection_mid_stream_ends_with_a_transient_error_item() {
    let first = format!("data: {}\n\n", text_chunk("Hello"));
    let server = FakeServer::start(vec![Reply::Break { first }]).await;
    let items = collect(server.adapter().invoke(request()).await.unwrap()).await;
    assert_eq!(
        items[0].as_ref().unwrap(),
        &RuntimeEvent::TextDelta("Hello".into())
    );
    let last = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!(last.kind, ErrorKind::Transient, "{last}");
    assert_eq!(items.iter().filter(|i| i.is_err()).count(), 1);
}

#[tokio::test]
async fn an_error_event_in_the_stream_is_an_error_item() {
    let server = FakeServer::start(vec![Reply::sse(&[
        &text_chunk("Hi"),
        &json!({ "error": { "message": "context too long", "code": 400 } }).to_string(),
    ])])
    .await;
    let items = collect(server.adapter().invoke(request()).await.unwrap()).await;
    let error = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!(error.kind, ErrorKind::Invalid);
    assert!(error.message.contains("context too long"));
}

#[tokio::test]
async fn a_silent_server_times_out_as_a_transient_error_item() {
    let (dropped, _gone) = oneshot::channel();
    let first = format!("data: {}\n\n", text_chunk("Hi"));
    let server = FakeServer::start(vec![Reply::Hang {
        first,
        ping: Duration::from_secs(30),
        dropped,
    }])
    .await;
    let adapter = server.adapter_with(|c| OpenAiConfig {
        request_timeout: Duration::from_millis(300),
        ..c
    });
    let items = collect(adapter.invoke(request()).await.unwrap()).await;
    let error = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!(error.kind, ErrorKind::Transient);
    assert!(error.message.contains("sent nothing"), "{error}");
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_request() {
    let (dropped, gone) = oneshot::channel();
    let first = format!("data: {}\n\n", text_chunk("Hi"));
    let server = FakeServer::start(vec![Reply::Hang {
        first,
        ping: Duration::from_millis(20),
        dropped,
    }])
    .await;
    let mut stream = server.adapter().invoke(request()).await.unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first, RuntimeEvent::TextDelta("Hi".into()));
    drop(stream);
    tokio::time::timeout(Duration::from_secs(5), gone)
        .await
        .expect("the server saw the connection close")
        .unwrap();
}

#[tokio::test]
async fn a_completion_is_one_non_streamed_call() {
    let server = FakeServer::start(vec![Reply::json(
        200,
        json!({
            "id": "chatcmpl-2",
            "object": "chat.completion",
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": "Trip to Paris" },
                "finish_reason": "stop",
            }],
            "usage": { "prompt_tokens": 30, "completion_tokens": 4, "total_tokens": 34 },
        }),
    )])
    .await;
    let completion = server
        .adapter()
        .complete(CompletionRequest {
            model_id: "small".into(),
            instruction: "Write a title.".into(),
            input: "We talked about Paris.".into(),
            max_output_tokens: 20,
            purpose: CompletionPurpose::Title,
        })
        .await
        .unwrap();
    assert_eq!(completion.text, "Trip to Paris");
    assert_eq!(completion.usage, TokenUsage::new(30, 4));
    assert_eq!(
        server.received()[0].body,
        json!({
            "model": "small",
            "stream": false,
            "max_tokens": 20,
            "messages": [
                { "role": "system", "content": "Write a title." },
                { "role": "user", "content": "We talked about Paris." },
            ],
        })
    );
}

#[tokio::test]
async fn completion_errors_use_the_same_kinds() {
    let server = FakeServer::start(vec![Reply::json(429, json!({ "error": "busy" }))]).await;
    let error = server
        .adapter()
        .complete(CompletionRequest {
            model_id: "small".into(),
            instruction: String::new(),
            input: "x".into(),
            max_output_tokens: 5,
            purpose: CompletionPurpose::Verification,
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Transient);
}

#[tokio::test]
async fn check_lists_the_servers_models() {
    let server = FakeServer::start(vec![Reply::json(
        200,
        json!({ "object": "list", "data": [{ "id": "qwen2.5:3b", "object": "model" }, { "id": "llama3.2:1b" }] }),
    )])
    .await;
    assert_eq!(
        server.adapter().check().await.unwrap(),
        vec!["qwen2.5:3b".to_string(), "llama3.2:1b".to_string()]
    );
    assert_eq!(server.received()[0].path, "/v1/models");
}

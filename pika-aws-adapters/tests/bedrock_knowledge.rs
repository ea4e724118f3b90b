//! Bedrock knowledge bases with the real SDK client against a fake
//! endpoint speaking Bedrock's JSON: `Retrieve` through the knowledge
//! contract (the fake filters and ranks as the service does), the request
//! it sends, and the inline agent's `knowledgeBases` and citations.

#![cfg(feature = "bedrock")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod bedrock_support;

use base64::Engine;
use bedrock_support::{collect, ok_events, FakeBedrock, Frame, Received, Reply};
use pika_aws_adapters::bedrock::{BedrockKnowledge, BedrockOptions, InlineAgentRuntime};
use pika_domain::ids::SessionId;
use pika_domain::knowledge::{Citation, Condition};
use pika_domain::message::Role;
use pika_ports::{
    AgentRequest, AgentRuntime, ConversationMessage, KnowledgeBaseRequest, KnowledgeRetriever,
    Retrieval, RuntimeEvent,
};
use pika_testkit::contracts::knowledge::knowledge_contract;
use pika_testkit::fakes::knowledge::{words, KnowledgeDocument};
use serde_json::{json, Map, Value};

/// Whether `metadata` passes Bedrock's `filter` (`equals`, `andAll`).
fn passes(filter: &Value, metadata: &Map<String, Value>) -> bool {
    if let Some(eq) = filter.get("equals") {
        return eq["key"].as_str().and_then(|k| metadata.get(k)) == Some(&eq["value"]);
    }
    if let Some(all) = filter.get("andAll").and_then(Value::as_array) {
        return all.iter().all(|f| passes(f, metadata));
    }
    filter.is_null()
}

/// Answers `Retrieve` over `docs` as Bedrock would: a custom data source
/// (each passage's location is its document id), best first.
fn retrieve(docs: &[KnowledgeDocument], r: &Received) -> Reply {
    let parts: Vec<&str> = r.path.split('/').collect();
    let ["", "knowledgebases", id, "retrieve"] = parts.as_slice() else {
        return Reply::Error {
            status: 400,
            code: "ValidationException",
            message: "unexpected path",
        };
    };
    if !docs.iter().any(|d| d.knowledge_base_id == *id) {
        return Reply::Error {
            status: 404,
            code: "ResourceNotFoundException",
            message: "no such knowledge base",
        };
    }
    let query = words(r.body["retrievalQuery"]["text"].as_str().unwrap_or(""));
    let search = &r.body["retrievalConfiguration"]["vectorSearchConfiguration"];
    let n = search["numberOfResults"].as_u64().unwrap_or(5) as usize;
    let mut found: Vec<(usize, &KnowledgeDocument)> = docs
        .iter()
        .filter(|d| d.knowledge_base_id == *id && passes(&search["filter"], &d.metadata))
        .map(|d| (words(&d.text).intersection(&query).count(), d))
        .filter(|(shared, _)| *shared > 0)
        .collect();
    found.sort_by_key(|(shared, _)| std::cmp::Reverse(*shared));
    let results: Vec<Value> = found
        .into_iter()
        .take(n)
        .map(|(shared, d)| {
            json!({
                "content": { "text": d.text, "type": "TEXT" },
                "location": { "type": "CUSTOM", "customDocumentLocation": { "id": d.source } },
                "score": shared as f64 / 10.0,
                "metadata": d.metadata,
            })
        })
        .collect();
    Reply::Json(json!({ "retrievalResults": results }))
}

#[tokio::test]
async fn retrieve_meets_the_knowledge_contract() {
    knowledge_contract(|docs| async move {
        let server = FakeBedrock::start_routed(move |r| retrieve(&docs, r)).await;
        // The server's task outlives the handle, as long as the test runs.
        BedrockKnowledge::new(&server.sdk_config())
    })
    .await;
}

#[tokio::test]
async fn retrieve_sends_the_query_count_and_filter_on_the_wire() {
    let docs = pika_testkit::contracts::knowledge::corpus();
    let server = FakeBedrock::start_routed(move |r| retrieve(&docs, r)).await;
    let knowledge = BedrockKnowledge::new(&server.sdk_config());

    let one = |key: &str, value: Value| Condition {
        key: key.into(),
        value,
    };
    knowledge
        .retrieve(Retrieval {
            knowledge_base_id: "manuals".into(),
            query: "reset".into(),
            filter: vec![one("account", json!("acme"))],
            max_results: 3,
        })
        .await
        .unwrap();
    knowledge
        .retrieve(Retrieval {
            knowledge_base_id: "manuals".into(),
            query: "reset".into(),
            filter: vec![one("account", json!("acme")), one("year", json!(2024))],
            max_results: 3,
        })
        .await
        .unwrap();

    let sent = server.received();
    assert_eq!(sent[0].method, "POST");
    assert_eq!(sent[0].path, "/knowledgebases/manuals/retrieve");
    assert_eq!(
        sent[0].body,
        json!({
            "retrievalQuery": { "type": "TEXT", "text": "reset" },
            "retrievalConfiguration": { "vectorSearchConfiguration": {
                "numberOfResults": 3,
                "filter": { "equals": { "key": "account", "value": "acme" } },
            } },
        })
    );
    assert_eq!(
        sent[1].body["retrievalConfiguration"]["vectorSearchConfiguration"]["filter"],
        json!({ "andAll": [
            { "equals": { "key": "account", "value": "acme" } },
            { "equals": { "key": "year", "value": 2024 } },
        ] })
    );
}

fn chunk_with_citation(text: &str) -> Frame {
    let bytes = base64::engine::general_purpose::STANDARD.encode(text);
    Frame::Event(
        "chunk",
        json!({
            "bytes": bytes,
            "attribution": { "citations": [{
                "generatedResponsePart": { "textResponsePart": { "text": text, "span": { "start": 0, "end": 5 } } },
                "retrievedReferences": [{
                    "content": { "text": "Hold the reset button for ten seconds." },
                    "location": { "type": "S3", "s3Location": { "uri": "s3://kb-docs/acme/router.md" } },
                    "metadata": { "account": "acme" },
                }],
            }] },
        }),
    )
}

#[tokio::test]
async fn the_inline_agent_sends_its_knowledge_bases_and_reports_bedrocks_citations() {
    let server = FakeBedrock::start(vec![Reply::Stream(vec![chunk_with_citation(
        "Hold the button.",
    )])])
    .await;
    let runtime = InlineAgentRuntime::new(&server.sdk_config(), BedrockOptions::default());
    assert!(runtime.retrieves_knowledge());
    let request = AgentRequest {
        model_id: "anthropic.claude-3-5-sonnet-20241022-v2:0".into(),
        instruction: "You are Pika, a helpful assistant for router questions.".into(),
        messages: vec![ConversationMessage::text(Role::User, "How do I reset it?")],
        tools: Vec::new(),
        max_output_tokens: 500,
        session_id: SessionId::from_v7_parts(1_700_000_000_000, &[7; 10]),
        session_attributes: Map::new(),
        guardrail: None,
        knowledge_bases: vec![KnowledgeBaseRequest {
            knowledge_base_id: "KBROUTER01".into(),
            description: "Router manuals".into(),
            filter: vec![Condition {
                key: "account".into(),
                value: json!("acme"),
            }],
            max_results: 4,
        }],
        collaborators: Vec::new(),
    };

    let events = ok_events(collect(runtime.invoke(request).await.unwrap()).await);

    let sent = &server.received()[0];
    assert_eq!(
        sent.body["knowledgeBases"],
        json!([{
            "knowledgeBaseId": "KBROUTER01",
            "description": "Router manuals",
            "retrievalConfiguration": { "vectorSearchConfiguration": {
                "numberOfResults": 4,
                "filter": { "equals": { "key": "account", "value": "acme" } },
            } },
        }])
    );
    let cited = events
        .iter()
        .find_map(|e| match e {
            RuntimeEvent::Trace { kind, detail } if kind == "citations" => {
                Some(serde_json::from_value::<Vec<Citation>>(detail.clone()).unwrap())
            }
            _ => None,
        })
        .expect("a citations trace");
    assert_eq!(cited.len(), 1);
    assert_eq!(cited[0].knowledge_base_id, "KBROUTER01");
    assert_eq!(cited[0].source, "s3://kb-docs/acme/router.md");
    assert_eq!(cited[0].excerpt, "Hold the reset button for ten seconds.");
    assert!(events.contains(&RuntimeEvent::TextDelta("Hold the button.".into())));
}

//! An agent's knowledge bases (PIKA.md §5): searched through a tool the
//! model calls, with filters from the caller's custom data, the passages
//! cited on the stream and the stored answer; or handed to a runtime that
//! searches them itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::knowledge::{FilterRule, KnowledgeBaseRef};
use pika_domain::stream::TurnEvent;
use pika_ports::{ContentBlock, ErrorKind};
use pika_testkit::contracts::knowledge::corpus;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::{json, Value};
use support::*;

fn manuals() -> KnowledgeBaseRef {
    KnowledgeBaseRef {
        knowledge_base_id: "manuals".into(),
        description: "Router and billing manuals".into(),
        filters: vec![FilterRule {
            key: "account".into(),
            attribute_path: "accountId".into(),
        }],
        max_results: Some(3),
    }
}

async fn platform() -> Platform {
    let p = Platform::with_site(fixtures::site());
    let mut agent = fixtures::agent(AGENT, &[]);
    agent.knowledge_bases = vec![manuals()];
    p.seed_app(fixtures::chat_app(APP, AGENT), agent, vec![])
        .await;
    for doc in corpus() {
        p.fakes.knowledge.add(doc);
    }
    p
}

fn model_searches(p: &Platform, query: &str, answer: &str) {
    p.fakes.runtime.push(Script::tool_call(
        "k1",
        "search_knowledge_base",
        json!({ "query": query }),
    ));
    p.fakes.runtime.push(Script::answer(answer));
}

fn seen_by_model(p: &Platform) -> Value {
    let second = p.fakes.runtime.requests().pop().unwrap();
    match &second.messages.last().unwrap().content[0] {
        ContentBlock::ToolResult { output, .. } => output.clone(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_model_searches_with_the_callers_filter_and_the_answer_cites() {
    let p = platform().await;
    model_searches(&p, "reset router", "Hold the reset button [1].");
    // alice's customData.accountId is "acme".
    let alice = fixtures::customer("alice");

    let (stream, events) = p.first_turn(&alice, "How do I reset my router?").await;

    // The model was offered the search, described by the knowledge base.
    let first = &p.fakes.runtime.requests()[0];
    let spec = first
        .tools
        .iter()
        .find(|t| t.name.as_str() == "search_knowledge_base")
        .expect("a search tool");
    assert!(spec.description.contains("Router and billing manuals"));
    // The search ran with alice's account as the filter.
    let searches = p.fakes.knowledge.searches();
    assert_eq!(searches.len(), 1);
    assert_eq!(searches[0].filter[0].value, json!("acme"));
    assert_eq!(searches[0].max_results, 3);
    // The model read acme's passages only.
    let output = seen_by_model(&p);
    let sources: Vec<&str> = output["passages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources[0], "acme/router-reset.md");
    assert!(
        sources.iter().all(|s| s.starts_with("acme/")),
        "{sources:?}"
    );

    // Citations on the stream (whatever the trace settings) and stored.
    let cited = events
        .iter()
        .find_map(|e| match e {
            TurnEvent::Trace { kind, detail } if kind == "citations" => Some(detail.clone()),
            _ => None,
        })
        .expect("a citations event");
    assert_eq!(cited[0]["source"], json!("acme/router-reset.md"));
    assert_eq!(cited[0]["knowledgeBaseId"], json!("manuals"));
    let answer = p
        .fakes
        .messages
        .of_session(&stream.session_id)
        .pop()
        .unwrap();
    assert_eq!(answer.citations[0].source, "acme/router-reset.md");
    assert!(answer.citations[0].excerpt.contains("reset button"));
    assert_eq!(text_of(&events), "Hold the reset button [1].");
}

#[tokio::test]
async fn a_caller_without_the_filtered_value_retrieves_nothing() {
    let p = platform().await;
    model_searches(&p, "reset router", "I found nothing.");
    let mut alice = fixtures::customer("alice");
    alice.custom_data.remove("accountId");

    let (stream, _) = p.first_turn(&alice, "How do I reset my router?").await;

    assert!(
        p.fakes.knowledge.searches().is_empty(),
        "no search without the value the filter needs"
    );
    let output = seen_by_model(&p);
    assert_eq!(output["passages"], json!([]));
    let answer = p
        .fakes
        .messages
        .of_session(&stream.session_id)
        .pop()
        .unwrap();
    assert!(answer.citations.is_empty());
}

#[tokio::test]
async fn a_failed_search_is_reported_to_the_model_not_fatal() {
    let p = platform().await;
    p.fakes
        .knowledge
        .faults()
        .fail_always("KnowledgeRetriever::retrieve", ErrorKind::Transient);
    model_searches(&p, "reset router", "The manuals are unavailable.");
    let alice = fixtures::customer("alice");

    let (_, events) = p.first_turn(&alice, "How do I reset my router?").await;

    let output = seen_by_model(&p);
    assert_eq!(
        output["error"],
        json!("the knowledge bases could not be searched")
    );
    assert_eq!(names(&events).last(), Some(&"done"));
}

#[tokio::test]
async fn a_runtime_that_searches_itself_gets_the_bases_and_reports_citations() {
    let p = platform().await;
    p.fakes.runtime.retrieve_knowledge_natively(true);
    p.fakes.runtime.push(
        Script::new()
            .trace(
                "citations",
                json!([{ "knowledgeBaseId": "manuals", "source": "s3://kb/acme/router-reset.md", "excerpt": "hold the reset button" }]),
            )
            .delta("Hold the reset button.")
            .usage(10, 5)
            .complete(pika_ports::StopReason::EndTurn),
    );
    let alice = fixtures::customer("alice");

    let (stream, events) = p.first_turn(&alice, "How do I reset my router?").await;

    let request = &p.fakes.runtime.requests()[0];
    assert!(
        request
            .tools
            .iter()
            .all(|t| t.name.as_str() != "search_knowledge_base"),
        "no search tool: the runtime searches"
    );
    assert_eq!(request.knowledge_bases.len(), 1);
    assert_eq!(request.knowledge_bases[0].filter[0].value, json!("acme"));
    assert!(events
        .iter()
        .any(|e| matches!(e, TurnEvent::Trace { kind, .. } if kind == "citations")));
    let answer = p
        .fakes
        .messages
        .of_session(&stream.session_id)
        .pop()
        .unwrap();
    assert_eq!(answer.citations.len(), 1);
    assert_eq!(answer.citations[0].source, "s3://kb/acme/router-reset.md");
}

//! The AgentCore memory adapter against a fake AgentCore data plane: the
//! requests it sends, the `UserMemory` contract (possible only because the
//! fake extracts records synchronously), erasure and error classification.
#![cfg(feature = "memory")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod memory_support;

use memory_support::FakeAgentCore;
use pika_aws_adapters::memory::{AgentCoreMemory, AgentCoreMemoryConfig};
use pika_domain::chrono::Duration;
use pika_domain::memory::MemoryStrategy;
use pika_ports::page::PageRequest;
use pika_ports::{ErrorKind, IdGeneratorExt, MemoryExchange, UserMemory};
use pika_testkit::contracts::memory::user_memory_contract;
use pika_testkit::fakes::clock::SequentialIds;
use pika_testkit::fixtures::{t0, user_id};
use serde_json::json;

const MEMORY_ID: &str = "pika_memory-AbC123";

async fn sdk_for(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .test_credentials()
        .endpoint_url(endpoint)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await
}

async fn memory_on(fake: &FakeAgentCore) -> AgentCoreMemory {
    let sdk = sdk_for(&fake.serve().await).await;
    AgentCoreMemory::new(&sdk, AgentCoreMemoryConfig::new(MEMORY_ID)).unwrap()
}

fn exchange(user: &str, minute: i64, text: &str) -> MemoryExchange {
    let ids = SequentialIds::new();
    MemoryExchange {
        user_id: user_id(user),
        session_id: ids.session_id(),
        user_text: text.to_string(),
        assistant_text: "Noted.".to_string(),
        at: t0() + Duration::minutes(minute),
    }
}

#[tokio::test]
async fn agentcore_memory_passes_the_contract_on_a_synchronous_fake() {
    user_memory_contract(|| async { memory_on(&FakeAgentCore::default()).await }).await;
}

#[tokio::test]
async fn recording_sends_one_conversational_event_for_the_user() {
    let fake = FakeAgentCore::default();
    let memory = memory_on(&fake).await;
    let ex = exchange("alice", 0, "I prefer tea.");
    memory.record(&ex).await.unwrap();

    let sent = fake.requests_to("/events");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "POST");
    assert_eq!(sent[0].path, format!("/memories/{MEMORY_ID}/events"));
    let body = &sent[0].body;
    assert_eq!(body["actorId"], "alice");
    assert_eq!(body["sessionId"], ex.session_id.to_string());
    assert_eq!(
        body["eventTimestamp"].as_f64().unwrap(),
        t0().timestamp() as f64
    );
    assert_eq!(
        body["payload"],
        json!([
            { "conversational": { "content": { "text": "I prefer tea." }, "role": "USER" } },
            { "conversational": { "content": { "text": "Noted." }, "role": "ASSISTANT" } }
        ])
    );
    // A blank half is left out; an exchange with nothing said sends nothing.
    memory.record(&exchange("alice", 1, "  ")).await.unwrap();
    assert_eq!(
        fake.requests_to("/events")[1].body["payload"],
        json!([{ "conversational": { "content": { "text": "Noted." }, "role": "ASSISTANT" } }])
    );
    let blank = MemoryExchange {
        assistant_text: String::new(),
        ..exchange("alice", 2, " ")
    };
    memory.record(&blank).await.unwrap();
    assert_eq!(fake.requests_to("/events").len(), 2);
}

#[tokio::test]
async fn retrieval_searches_the_strategy_namespace_with_top_k() {
    let fake = FakeAgentCore::default();
    let memory = memory_on(&fake).await;
    memory
        .record(&exchange("alice", 0, "I like green tea in the morning."))
        .await
        .unwrap();
    let found = memory
        .retrieve(
            &user_id("alice"),
            MemoryStrategy::Preferences,
            "what tea",
            10,
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].content, "I like green tea in the morning.");
    assert_eq!(found[0].strategy, MemoryStrategy::Preferences);
    assert_eq!(found[0].user_id, user_id("alice"));
    assert_eq!(found[0].created_at, t0());

    memory
        .retrieve(&user_id("alice"), MemoryStrategy::Semantic, "tea", 2)
        .await
        .unwrap();
    let asked: Vec<_> = fake
        .requests_to("/retrieve")
        .into_iter()
        .map(|r| r.body)
        .collect();
    assert_eq!(
        asked,
        [
            // The configured top-k (5) caps a larger limit.
            json!({ "namespace": "/users/alice/preferences", "maxResults": 5,
                    "searchCriteria": { "searchQuery": "what tea", "topK": 5 } }),
            json!({ "namespace": "/users/alice/facts", "maxResults": 2,
                    "searchCriteria": { "searchQuery": "tea", "topK": 2 } }),
        ]
    );
    let none = memory
        .retrieve(&user_id("alice"), MemoryStrategy::Semantic, "tea", 0)
        .await
        .unwrap();
    assert!(none.is_empty());
    assert_eq!(
        fake.requests_to("/retrieve").len(),
        2,
        "a zero limit asks nothing"
    );
}

#[tokio::test]
async fn user_ids_agentcore_refuses_are_escaped_consistently() {
    let fake = FakeAgentCore::default();
    let memory = memory_on(&fake).await;
    let email = "alice@example.com";
    let mut ex = exchange(email, 0, "I prefer bullet points.");
    ex.user_id = user_id(email);
    memory.record(&ex).await.unwrap();
    assert_eq!(
        fake.requests_to("/events")[0].body["actorId"],
        "u_alice_40example_2ecom"
    );
    let listed = memory
        .list(&user_id(email), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 2, "one fact and one preference");
    assert!(listed.items.iter().all(|r| r.user_id == user_id(email)));
    let namespaces: Vec<_> = fake
        .requests_to("/memoryRecords")
        .into_iter()
        .map(|r| r.body["namespace"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        namespaces,
        [
            "/users/u_alice_40example_2ecom/preferences",
            "/users/u_alice_40example_2ecom/facts"
        ]
    );
}

#[tokio::test]
async fn deleting_a_user_removes_their_records_and_raw_events() {
    let fake = FakeAgentCore::default();
    let memory = memory_on(&fake).await;
    for minute in 0..4 {
        memory
            .record(&exchange(
                "alice",
                minute,
                &format!("I like topic {minute}."),
            ))
            .await
            .unwrap();
    }
    memory
        .record(&exchange("bob", 9, "I like maps."))
        .await
        .unwrap();
    assert_eq!(fake.event_count(), 5);

    memory.delete_user(&user_id("alice")).await.unwrap();
    assert_eq!(
        fake.event_count(),
        1,
        "alice's events are gone, bob's stays"
    );
    assert!(memory
        .list(&user_id("alice"), PageRequest::default())
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(
        memory
            .list(&user_id("bob"), PageRequest::default())
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    let deleted: usize = fake
        .requests_to("/batchDelete")
        .iter()
        .map(|r| r.body["records"].as_array().unwrap().len())
        .sum();
    assert_eq!(deleted, 8, "four facts and four preferences");
    let event_deletes = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(event_deletes, 4);
}

#[tokio::test]
async fn service_errors_are_classified() {
    let cases = [
        (429, "ThrottlingException", ErrorKind::Transient),
        (503, "ServiceUnavailableException", ErrorKind::Transient),
        (400, "ValidationException", ErrorKind::Invalid),
        (404, "ResourceNotFoundException", ErrorKind::NotFound),
        (403, "AccessDeniedException", ErrorKind::Permanent),
    ];
    for (status, code, kind) in cases {
        let fake = FakeAgentCore::default();
        let memory = memory_on(&fake).await;
        fake.fail_with(status, code);
        let alice = user_id("alice");
        let errors = [
            memory
                .retrieve(&alice, MemoryStrategy::Semantic, "tea", 5)
                .await
                .unwrap_err(),
            memory
                .record(&exchange("alice", 0, "hi"))
                .await
                .unwrap_err(),
            memory
                .list(&alice, PageRequest::default())
                .await
                .unwrap_err(),
            memory.delete_user(&alice).await.unwrap_err(),
        ];
        for err in errors {
            assert_eq!(err.kind, kind, "{code}: {err}");
        }
    }
}

#[tokio::test]
async fn namespaces_without_the_actor_are_refused() {
    let sdk = sdk_for("http://127.0.0.1:9").await;
    let mut config = AgentCoreMemoryConfig::new(MEMORY_ID);
    config.semantic_namespace = "/facts".to_string();
    let err = AgentCoreMemory::new(&sdk, config).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent);
    let err = AgentCoreMemory::new(&sdk, AgentCoreMemoryConfig::new(" ")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent);
}

//! The DynamoDB configuration stores (chat apps, agents, tools) on moto:
//! the testkit contracts, then what sharing one `config` table implies
//! (listings see only their kind, cursors stay in their listing), batch
//! reads past DynamoDB's 100 keys, and how failures are classified.
//!
//! moto is reached one request at a time (`dynamo_serial`): it checks a
//! condition and writes in unlocked steps, so concurrent updates could both
//! pass the version check there, where DynamoDB lets exactly one through.
#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod dynamo_canned;
mod dynamo_serial;
mod moto_support;

use axum::http::StatusCode;
use dynamo_serial::fresh;
use pika_aws_adapters::dynamodb::config::{
    DynamoAgentStore, DynamoChatAppStore, DynamoSiteStore, DynamoToolStore,
};
use pika_aws_adapters::dynamodb::Dynamo;
use pika_domain::chat_app::ChatAppOverride;
use pika_domain::tool::Tool;
use pika_ports::{AgentStore, ChatAppStore, ErrorKind, PageRequest, ToolStore};
use pika_testkit::contracts::config;
use pika_testkit::fixtures::{agent, chat_app, inline_tool, tool_id};

#[tokio::test]
async fn chat_app_store_honours_its_contract() {
    config::chat_app_store_contract(|| async { DynamoChatAppStore::new(fresh().await) }).await;
}

#[tokio::test]
async fn site_store_honours_its_contract() {
    pika_testkit::contracts::site::site_store_contract(|| async {
        DynamoSiteStore::new(fresh().await)
    })
    .await;
}

#[tokio::test]
async fn agent_store_honours_its_contract() {
    config::agent_store_contract(|| async { DynamoAgentStore::new(fresh().await) }).await;
}

#[tokio::test]
async fn tool_store_honours_its_contract() {
    config::tool_store_contract(|| async { DynamoToolStore::new(fresh().await) }).await;
}

struct Stores {
    apps: DynamoChatAppStore,
    agents: DynamoAgentStore,
    tools: DynamoToolStore,
}

fn stores(dynamo: &Dynamo) -> Stores {
    Stores {
        apps: DynamoChatAppStore::new(dynamo.clone()),
        agents: DynamoAgentStore::new(dynamo.clone()),
        tools: DynamoToolStore::new(dynamo.clone()),
    }
}

#[tokio::test]
async fn two_updates_from_one_version_one_wins() {
    let s = stores(&fresh().await);
    let v1 = agent("agent-01", &[]);
    s.agents.create(&v1).await.unwrap();
    let mut first = v1.clone();
    first.version = 2;
    first.instruction = "First editor.".to_string();
    let mut second = v1.clone();
    second.version = 2;
    second.instruction = "Second editor.".to_string();

    s.agents
        .update(&first, 1)
        .await
        .expect("the first update wins");
    let lost = s.agents.update(&second, 1).await.unwrap_err();
    assert_eq!(lost.kind, ErrorKind::Conflict, "{lost}");
    assert_eq!(
        s.agents.get(&v1.agent_id).await.unwrap(),
        Some(first.clone()),
        "the winner's agent is stored"
    );

    s.agents.delete(&v1.agent_id).await.unwrap();
    let gone = s.agents.update(&second, 2).await.unwrap_err();
    assert_eq!(
        gone.kind,
        ErrorKind::NotFound,
        "update after delete: {gone}"
    );
}

#[tokio::test]
async fn listings_show_only_their_kind() {
    let s = stores(&fresh().await);
    let app = chat_app("app-01", "agent-01");
    let ag = agent("agent-01", &[]);
    let tool = inline_tool("tool-01", "lookup");
    s.apps.create(&app).await.unwrap();
    let ovr = ChatAppOverride {
        title: Some("Renamed".to_string()),
        ..ChatAppOverride::default()
    };
    s.apps.put_override(&app.chat_app_id, &ovr).await.unwrap();
    s.agents.create(&ag).await.unwrap();
    s.tools.create(&tool).await.unwrap();

    let page = PageRequest::first(100);
    assert_eq!(
        s.apps.list(page.clone()).await.unwrap().items,
        vec![app],
        "only the app: no override, agent or tool"
    );
    assert_eq!(s.agents.list(page.clone()).await.unwrap().items, vec![ag]);
    assert_eq!(s.tools.list(page).await.unwrap().items, vec![tool]);
}

#[tokio::test]
async fn a_cursor_of_another_listing_is_refused() {
    let s = stores(&fresh().await);
    for n in 1..=3 {
        s.agents
            .create(&agent(&format!("agent-{n:02}"), &[]))
            .await
            .unwrap();
        s.tools
            .create(&inline_tool(&format!("tool-{n:02}"), "lookup"))
            .await
            .unwrap();
    }
    let agents_cursor = s
        .agents
        .list(PageRequest::first(1))
        .await
        .unwrap()
        .next_cursor
        .expect("more agents follow");
    let err = s
        .tools
        .list(PageRequest::after(1, Some(agents_cursor.clone())))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind,
        ErrorKind::Invalid,
        "an agents' cursor on tools: {err}"
    );
    let next = s
        .agents
        .list(PageRequest::after(1, Some(agents_cursor)))
        .await
        .unwrap();
    assert_eq!(
        next.items,
        vec![agent("agent-02", &[])],
        "and it still works where it came from"
    );
}

#[tokio::test]
async fn get_many_reads_past_one_batch_of_100() {
    let s = stores(&fresh().await);
    let tools: Vec<Tool> = (0..130)
        .map(|n| inline_tool(&format!("tool-{n:03}"), "lookup"))
        .collect();
    for chunk in tools.chunks(10) {
        let created = futures::future::join_all(chunk.iter().map(|t| s.tools.create(t))).await;
        assert!(created.iter().all(Result::is_ok), "{created:?}");
    }
    // Newest first, with a repeat and a missing id in between.
    let mut ids: Vec<_> = tools.iter().rev().map(|t| t.tool_id.clone()).collect();
    ids.insert(5, tool_id("tool-129"));
    ids.insert(50, tool_id("missing"));
    let got = s.tools.get_many(&ids).await.unwrap();
    let expected: Vec<Tool> = tools.iter().rev().cloned().collect();
    assert_eq!(got.len(), 130, "every existing tool once");
    assert_eq!(got, expected, "in the order of the ids");
}

#[tokio::test]
async fn an_item_over_400_kb_is_invalid() {
    let s = stores(&fresh().await);
    let mut tool = inline_tool("tool-01", "lookup");
    tool.description = "x".repeat(450 * 1024);
    let err = s.tools.create(&tool).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid, "{err}");
    assert_eq!(
        s.tools.get(&tool.tool_id).await.unwrap(),
        None,
        "nothing stored"
    );
}

#[tokio::test]
async fn a_missing_table_is_permanent() {
    let dynamo = Dynamo::new(
        dynamo_serial::client().await,
        moto_support::unique_name("no-tables"),
    );
    let err = DynamoAgentStore::new(dynamo)
        .get(&agent("agent-01", &[]).agent_id)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent, "{err}");
}

#[tokio::test]
async fn throttling_is_transient() {
    let canned = dynamo_canned::failing(
        StatusCode::BAD_REQUEST,
        "ThrottlingException",
        "Rate of requests exceeds the allowed throughput.",
    )
    .await;
    let s = stores(&canned.dynamo);
    let ag = agent("agent-01", &[]);
    let err = s.agents.get(&ag.agent_id).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "get: {err}");
    let err = s.agents.update(&ag, 1).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "update: {err}");
    let err = s.tools.get_many(&[tool_id("tool-01")]).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "get_many: {err}");
    let err = s
        .apps
        .put_override(
            &chat_app("app-01", "a").chat_app_id,
            &ChatAppOverride::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "put_override: {err}");
    let err = s.apps.list(PageRequest::first(5)).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "list: {err}");
}

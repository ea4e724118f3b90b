#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The local server on PostgreSQL (`[store] postgres_url`), composed as
//! `main` composes it: two servers on one database behind an imaginary
//! load balancer share sessions, messages and turns; and the turn-control
//! scenario of `pika-service/tests/turn_control_support` across two
//! connections. Needs the server `.ci/run` starts (`PIKA_TEST_POSTGRES_URL`);
//! without it the tests say so and pass, except under CI.

mod local_server_support;
mod local_support;

#[path = "../../pika-service/tests/turn_control_support/mod.rs"]
mod turn_control_support;

use local_server_support::*;
use local_support::*;
use pika_local::config::LocalConfig;
use pika_ports::Ports;
use pika_postgres_adapters::{PostgresDb, PostgresOptions, PostgresStores};
use pika_testkit::FakePorts;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The test server, or `None` outside CI when there is none.
fn server_url() -> Option<String> {
    match std::env::var("PIKA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but PIKA_TEST_POSTGRES_URL is not: start a server with scripts/postgres.sh")
        }
        _ => {
            eprintln!("PIKA_TEST_POSTGRES_URL is not set: skipping");
            None
        }
    }
}

/// A schema no other test or run uses.
fn fresh_schema(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "local_{name}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000
    )
}

/// A server's configuration on `url` / `schema`, its files in `dir`, with
/// the signing secret every server behind the balancer shares.
fn on_postgres(dir: &Path, model: &str, url: &str, schema: &str) -> LocalConfig {
    let mut config = config(dir, Some(model));
    config.store.postgres_url = Some(url.to_string());
    config.store.postgres_schema = Some(schema.to_string());
    config.store.postgres_max_connections = 4;
    config.auth.hs256_secret = Some("a secret every server behind the balancer shares".into());
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_share_sessions_and_turns() {
    let Some(url) = server_url() else { return };
    bounded(async {
        let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let model = FakeModel::start(Duration::from_millis(1)).await;
        let schema = fresh_schema("two");
        let a = LocalServer::start(on_postgres(dir_a.path(), &model.base_url, &url, &schema)).await;
        let b = LocalServer::start(on_postgres(dir_b.path(), &model.base_url, &url, &schema)).await;
        let http = client();
        let token = sign_in(&http, &a, "alice").await;

        // A turn on the first server...
        let question = "What does the second server see?";
        let reply = chat_new(&http, &a, &token, &json!({ "message": question })).await;
        let events = finished_turn(&reply);
        let session = events[0].data["sessionId"].as_str().unwrap().to_string();

        // ...is the second server's too: the session, both messages.
        let listed = get(&http, &b, &token, "/sessions").await;
        assert_eq!(listed.status, 200, "{}", listed.body);
        let listed = listed.json();
        assert_eq!(listed["items"][0]["sessionId"], json!(session), "{listed}");
        let path = format!("/sessions/{session}/messages");
        let messages = get(&http, &b, &token, &path).await.json();
        let items = messages["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{messages}");
        assert_eq!(items[0]["content"], question);
        assert_eq!(items[1]["content"], json!(answer_for(question)));

        // The next turn of the session runs on the second server, with the
        // first turn as its history; the first server reads all four.
        let follow_up = "And now?";
        let reply = post(&http, &b, &token, &path, &json!({ "message": follow_up })).await;
        finished_turn(&reply);
        let last = model.streamed_requests().pop().unwrap();
        let sent: Vec<&str> = last["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["content"].as_str())
            .collect();
        assert!(
            sent.contains(&question),
            "history sent to the model: {sent:?}"
        );
        let messages = get(&http, &a, &token, &path).await.json();
        let items = messages["items"].as_array().unwrap();
        assert_eq!(items.len(), 4, "{messages}");
        assert_eq!(items[3]["content"], json!(answer_for(follow_up)));

        // Configuration written through one server is read by the other.
        let admin = token_for_admin(&http, &a).await;
        let site = get(&http, &b, &admin, "/admin/site").await;
        assert_eq!(site.status, 200, "{}", site.body);
        a.stop().await;
        b.stop().await;
    })
    .await;
}

async fn token_for_admin(http: &reqwest::Client, server: &LocalServer) -> String {
    token(http, server, "root", "acme", &["pika:site-admin"]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_database_share_one_turn() {
    let Some(url) = server_url() else { return };
    let options = PostgresOptions::new(url).with_schema(fresh_schema("turn"));
    // Two pools, as two processes have.
    let one = PostgresStores::new(PostgresDb::connect(&options).await.unwrap());
    let two = PostgresStores::new(PostgresDb::connect(&options).await.unwrap());
    let fakes = FakePorts::new();
    turn_control_support::two_processes_share_one_turn_across(
        ports(&one, &fakes),
        ports(&two, &fakes),
        &fakes,
    )
    .await;
}

/// The PostgreSQL stores, over `fakes` for the rest (the model, the tools).
fn ports(s: &PostgresStores, fakes: &FakePorts) -> Ports {
    Ports {
        sessions: Arc::new(s.sessions.clone()),
        messages: Arc::new(s.messages.clone()),
        chat_apps: Arc::new(s.chat_apps.clone()),
        site: Arc::new(s.site.clone()),
        agents: Arc::new(s.agents.clone()),
        tools: Arc::new(s.tools.clone()),
        users: Arc::new(s.users.clone()),
        feedback: Arc::new(s.feedback.clone()),
        usage: Arc::new(s.usage.clone()),
        job_lock: Arc::new(s.job_lock.clone()),
        memory: Arc::new(s.memory.clone()),
        turns: Arc::new(s.turns.clone()),
        allowances: Arc::new(s.allowances.clone()),
        ..fakes.ports()
    }
}

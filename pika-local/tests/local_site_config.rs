#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The site configuration of the local server composed as `main` composes
//! it (`server::build` from a `LocalConfig`): seeded from `[site]` on the
//! first start, changed with `PUT /admin/site`, and the stored setting
//! taking effect on the next request — entity isolation of shares, an
//! entity quota, self-correction — and surviving a restart that would seed
//! something else. Then the scheduled jobs really run in the server.

mod local_server_support;
mod local_support;

use local_server_support::*;
use local_support::*;
use pika_domain::insights::ASSESSMENT_INSTRUCTION;
use pika_domain::site::SiteConfig;
use pika_domain::verification::VERIFIER_INSTRUCTION;
use serde_json::{json, Value};
use std::time::Duration;

async fn put_site(
    http: &reqwest::Client,
    server: &LocalServer,
    admin: &str,
    config: &Value,
    version: u64,
) -> Reply {
    exchange(
        http.put(server.url("/admin/site"))
            .bearer_auth(admin)
            .json(&json!({ "config": config, "version": version })),
    )
    .await
}

/// The instruction (system message) of each non-streamed model call.
fn instructions(model: &FakeModel) -> Vec<String> {
    model
        .received()
        .into_iter()
        .filter(|b| b["stream"] != json!(true))
        .filter_map(|b| b["messages"][0]["content"].as_str().map(str::to_string))
        .collect()
}

/// A first turn in the demo app; its session id.
async fn first_turn(http: &reqwest::Client, server: &LocalServer, token: &str) -> String {
    let reply = chat_new(http, server, token, &json!({ "message": "hello" })).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let events = finished_turn(&reply);
    events[0].data["sessionId"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_site_setting_takes_effect_and_outlives_the_seed() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let model = FakeModel::start(Duration::from_millis(1)).await;
        let mut config = config(dir.path(), Some(&model.base_url));
        // The seed: no entities, no quotas, no self-correction.
        config.site = Some(SiteConfig::default());
        config.jobs.enabled = false;
        let server = LocalServer::start(config.clone()).await;
        let http = client();
        let admin = token(&http, &server, "root", "ops", &["pika:site-admin"]).await;
        let alice = token(&http, &server, "alice", "acme", &[]).await;
        let carol = token(&http, &server, "carol", "globex", &[]).await;

        // Only site admins read or change the site configuration.
        assert_eq!(get(&http, &server, &alice, "/admin/site").await.status, 403);
        let stored = get(&http, &server, &admin, "/admin/site").await;
        assert_eq!(stored.status, 200, "{}", stored.body);
        let stored = stored.json();
        assert_eq!(stored["version"], 1);
        assert!(
            stored["config"]["features"].get("entity").is_none(),
            "{stored}"
        );

        // With the seed, a share is readable across accounts.
        let session = first_turn(&http, &server, &alice).await;
        let shared = post(
            &http,
            &server,
            &alice,
            &format!("/sessions/{session}/share"),
            &json!({}),
        )
        .await;
        assert_eq!(shared.status, 200, "{}", shared.body);
        let share_id = shared.json()["share"]["shareId"]
            .as_str()
            .unwrap()
            .to_string();
        let across = get(&http, &server, &carol, &format!("/shared/{share_id}")).await;
        assert_eq!(across.status, 200, "no entities yet: {}", across.body);
        assert!(
            !instructions(&model)
                .iter()
                .any(|i| i.starts_with(VERIFIER_INSTRUCTION)),
            "no self-correction yet"
        );

        // An admin turns on entities by account, an entity quota of 10
        // tokens and self-correction for everyone.
        let site = json!({
            "features": {
                "entity": { "enabled": true, "attributePath": "accountId" },
                "verifyResponse": {
                    "enabled": true,
                    "rules": { "enabled": true, "userTypes": ["internal-user", "external-user"] }
                }
            },
            "quotas": { "entityTokensPerWindow": 10 }
        });
        let stale = put_site(&http, &server, &admin, &site, 0).await;
        assert_eq!(stale.status, 409, "a stale version: {}", stale.body);
        assert_eq!(stale.json()["code"], "conflict");
        let refused = put_site(&http, &server, &alice, &site, 1).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        let changed = put_site(&http, &server, &admin, &site, 1).await;
        assert_eq!(changed.status, 200, "{}", changed.body);
        assert_eq!(changed.json()["version"], 2);
        assert_eq!(changed.json()["updatedBy"], "root");

        // Entity isolation: a session now carries its creator's account and
        // its share is readable in that account only. Self-correction: the
        // turn is graded by the verifier.
        let session = first_turn(&http, &server, &alice).await;
        assert!(
            instructions(&model)
                .iter()
                .any(|i| i.starts_with(VERIFIER_INSTRUCTION)),
            "the verifier was asked: {:?}",
            instructions(&model)
        );
        let shared = post(
            &http,
            &server,
            &alice,
            &format!("/sessions/{session}/share"),
            &json!({}),
        )
        .await;
        let share_id = shared.json()["share"]["shareId"]
            .as_str()
            .unwrap()
            .to_string();
        let across = get(&http, &server, &carol, &format!("/shared/{share_id}")).await;
        assert_eq!(across.status, 404, "{}", across.body);
        let bob = token(&http, &server, "bob", "acme", &[]).await;
        let within = get(&http, &server, &bob, &format!("/shared/{share_id}")).await;
        assert_eq!(within.status, 200, "{}", within.body);

        // The entity quota: acme spent more than 10 tokens; a colleague of
        // alice's is refused, another account is not.
        let over = chat_new(&http, &server, &bob, &json!({ "message": "hi" })).await;
        assert_eq!(over.status, 429, "{}", over.body);
        assert_eq!(over.json()["code"], "quota_exceeded");
        first_turn(&http, &server, &carol).await;
        server.stop().await;

        // A restart seeds nothing over the stored configuration.
        let server = LocalServer::start(config).await;
        let admin = token(&http, &server, "root", "ops", &["pika:site-admin"]).await;
        let stored = get(&http, &server, &admin, "/admin/site").await.json();
        assert_eq!(stored["version"], 2, "{stored}");
        assert_eq!(
            stored["config"]["features"]["entity"]["attributePath"],
            "accountId"
        );
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_site_is_refused_with_a_problem_naming_the_field() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path(), None);
        config.jobs.enabled = false;
        let server = LocalServer::start(config).await;
        let http = client();
        let admin = token(&http, &server, "root", "ops", &["pika:site-admin"]).await;
        let version = get(&http, &server, &admin, "/admin/site").await.json()["version"]
            .as_u64()
            .unwrap();
        for (config, names) in [
            (
                json!({ "features": { "entity": { "enabled": true } } }),
                "attributePath",
            ),
            (json!({ "featuers": {} }), "featuers"),
            (json!({ "quotas": { "windowHours": 0 } }), "windowHours"),
        ] {
            let reply = put_site(&http, &server, &admin, &config, version).await;
            assert_eq!(reply.status, 400, "{config}: {}", reply.body);
            let problem = reply.json();
            assert_eq!(problem["code"], "invalid_request", "{problem}");
            assert!(problem.to_string().contains(names), "{problem}");
        }
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_server_runs_the_scheduled_jobs() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let model = FakeModel::start(Duration::from_millis(1)).await;
        let mut config = config(dir.path(), Some(&model.base_url));
        // Insights on, for sessions idle for no time at all, every second.
        config.site = Some(
            serde_json::from_value(json!({
                "features": { "sessionInsights": { "enabled": true } },
                "insights": { "idleMinutes": 0 }
            }))
            .unwrap(),
        );
        config.jobs.insights_every_seconds = 1;
        let server = LocalServer::start(config).await;
        let http = client();
        let alice = token(&http, &server, "alice", "acme", &[]).await;
        first_turn(&http, &server, &alice).await;

        let mut waited = Duration::ZERO;
        while !instructions(&model)
            .iter()
            .any(|i| i.starts_with(ASSESSMENT_INSTRUCTION))
        {
            assert!(
                waited < Duration::from_secs(20),
                "no insights run within 20 s: {:?}",
                instructions(&model)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
            waited += Duration::from_millis(100);
        }
        server.stop().await;
    })
    .await;
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The real local server (`server::build` + `serve_on`) on a loopback port,
//! with the embedded adapters on a temporary data directory and a fake
//! OpenAI-compatible model server, driven over HTTP the way a newcomer with
//! curl would: the missing model, rate limits and CORS.

mod local_server_support;
mod local_support;

use local_server_support::*;
use local_support::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_model_turns_are_refused_naming_the_setting_and_nothing_is_stored() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = LocalServer::start(config(dir.path(), None)).await;
        let http = client();
        let token = sign_in(&http, &server, "dave").await;

        // Everything but turns works.
        let apps = get(&http, &server, &token, "/chatapps").await;
        assert_eq!(apps.status, 200);

        let reply = chat_new(
            &http,
            &server,
            &token,
            &json!({ "message": "Anyone there?" }),
        )
        .await;
        assert_eq!(reply.status, 503, "{}", reply.body);
        assert!(reply.content_type.starts_with("application/problem+json"));
        let problem = reply.json();
        assert_eq!(problem["code"], "model_unavailable");
        assert_eq!(problem["status"], 503);
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("PIKA_MODEL_BASE_URL"), "detail: {detail}");

        let sessions = get(&http, &server, &token, "/sessions").await;
        assert_eq!(sessions.status, 200);
        assert_eq!(sessions.json()["items"], json!([]), "{}", sessions.body);

        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_is_per_user() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path(), None);
        config.server.rate_limit_per_minute = 5;
        config.server.rate_limit_burst = 5;
        let server = LocalServer::start(config).await;
        let http = client();
        let erin = sign_in(&http, &server, "erin").await;
        let frank = sign_in(&http, &server, "frank").await;

        let mut statuses = Vec::new();
        for _ in 0..9 {
            let reply = get(&http, &server, &erin, "/sessions").await;
            if reply.status == 429 {
                assert_eq!(reply.json()["code"], "rate_limited", "{}", reply.body);
            }
            statuses.push(reply.status);
        }
        assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429, 429, 429]);

        // Another user still has their own allowance.
        let other = get(&http, &server, &frank, "/sessions").await;
        assert_eq!(other.status, 200, "{}", other.body);
        // Public routes are not counted against anyone.
        let health = exchange(http.get(server.url("/health"))).await;
        assert_eq!(health.status, 200);

        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_preflights_from_configured_origins_only() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path(), None);
        config.server.cors_origins = vec!["http://example.test".to_string()];
        let server = LocalServer::start(config).await;
        let http = client();

        let preflight = |origin: &'static str| {
            http.request(reqwest::Method::OPTIONS, server.url("/chat/demo/messages"))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "authorization,content-type",
                )
                .send()
        };

        let allowed = preflight("http://example.test").await.unwrap();
        assert!(allowed.status().is_success(), "status {}", allowed.status());
        let headers = allowed.headers();
        assert_eq!(
            headers
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some("http://example.test")
        );
        let methods = headers
            .get("access-control-allow-methods")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_uppercase();
        assert!(methods.contains("POST"), "allowed methods: {methods}");
        let allowed_headers = headers
            .get("access-control-allow-headers")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            allowed_headers.contains("authorization"),
            "{allowed_headers}"
        );

        let refused = preflight("http://elsewhere.test").await.unwrap();
        assert!(
            refused
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "headers: {:?}",
            refused.headers()
        );

        // Simple requests from the allowed origin are tagged too.
        let simple = http
            .get(server.url("/health"))
            .header("origin", "http://example.test")
            .send()
            .await
            .unwrap();
        assert_eq!(
            simple
                .headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some("http://example.test")
        );

        // A page on the allowed origin uploads straight to the signed file
        // URL the API handed out: that URL answers the preflight of its PUT
        // and tags the upload itself, like the API does.
        let token = sign_in(&http, &server, "judy").await;
        let created = post(
            &http,
            &server,
            &token,
            "/sessions",
            &json!({ "chatAppId": "demo" }),
        )
        .await;
        let session = created.json()["sessionId"].as_str().unwrap().to_string();
        let ticket = post(
            &http,
            &server,
            &token,
            &format!("/sessions/{session}/files"),
            &json!({ "name": "a.txt", "contentType": "text/plain", "size": 3 }),
        )
        .await;
        assert_eq!(ticket.status, 201, "{}", ticket.body);
        let url = ticket.json()["upload"]["url"].as_str().unwrap().to_string();
        let upload_preflight = |origin: &'static str| {
            http.request(reqwest::Method::OPTIONS, &url)
                .header("origin", origin)
                .header("access-control-request-method", "PUT")
                .header("access-control-request-headers", "content-type")
                .send()
        };
        let allowed = upload_preflight("http://example.test").await.unwrap();
        assert!(allowed.status().is_success(), "status {}", allowed.status());
        assert_eq!(
            allowed
                .headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some("http://example.test"),
            "headers: {:?}",
            allowed.headers()
        );
        let refused = upload_preflight("http://elsewhere.test").await.unwrap();
        assert!(refused
            .headers()
            .get("access-control-allow-origin")
            .is_none());
        let uploaded = http
            .put(&url)
            .header("origin", "http://example.test")
            .header("content-type", "text/plain")
            .body("abc")
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), 200);
        let tags: Vec<_> = uploaded
            .headers()
            .get_all("access-control-allow-origin")
            .iter()
            .collect();
        assert_eq!(tags, ["http://example.test"]);

        server.stop().await;
    })
    .await;
}

//! The local server runs inline and `http` tools: its admin API refuses a
//! Lambda tool up front, with a message, instead of storing a tool every
//! turn would fail to call. Built as `main` builds it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use pika_domain::tool::ExecutionType;
use pika_http::auth::DevClaims;
use pika_local::config::{LocalConfig, Provider};
use pika_local::server;
use pika_testkit::fixtures;
use serde_json::Value;
use tower::ServiceExt;

/// The local server as `main` builds it, without a model, in a fresh
/// data directory (kept alive by the returned guard).
async fn local() -> (tempfile::TempDir, LocalConfig, server::LocalPlatform) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = LocalConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..LocalConfig::default()
    };
    config.model.provider = Provider::None;
    let platform = server::build(&config).await.unwrap();
    (dir, config, platform)
}

#[tokio::test]
async fn a_tool_kind_the_server_cannot_run_is_refused_at_admin_time() {
    let (_dir, config, platform) = local().await;
    let mut claims = DevClaims::new("root");
    claims.roles = vec!["pika:site-admin".into()];
    let token = server::dev_token(&config, claims).await.unwrap();
    let post = |tool: pika_domain::tool::Tool| {
        let request = Request::post("/admin/tools")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(serde_json::to_vec(&tool).unwrap()))
            .unwrap();
        let app = platform.app.clone();
        async move {
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            (status, serde_json::from_slice::<Value>(&body).unwrap())
        }
    };

    let mut lambda = fixtures::inline_tool("weather-lambda", "weather_lambda");
    lambda.execution_type = ExecutionType::Lambda;
    lambda.lambda_arn = Some("arn:aws:lambda:us-east-1:123456789012:function:weather".into());
    let (status, body) = post(lambda).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "invalid_request");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("lambda") && detail.contains("inline"),
        "{detail}"
    );

    let (status, body) = post(fixtures::inline_tool("lookup", "lookup")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // `http` tools run here (behind the SSRF guard): accepted.
    let mut http = fixtures::inline_tool("orders", "orders");
    http.execution_type = ExecutionType::Http;
    http.http = Some(pika_domain::tool::http::HttpEndpoint {
        url: "https://api.example.com/orders".into(),
        method: pika_domain::tool::http::HttpMethod::Post,
        headers: [("X-Api-Key".to_string(), "secret:ORDERS_KEY".to_string())].into(),
    });
    let (status, body) = post(http).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["http"]["headers"]["X-Api-Key"], "secret:ORDERS_KEY",
        "the name, never the secret"
    );
}

#[tokio::test]
async fn the_served_document_offers_the_tool_kinds_this_server_runs() {
    let (_dir, _config, platform) = local().await;
    let request = Request::get("/openapi.json").body(Body::empty()).unwrap();
    let response = platform.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = axum::body::to_bytes(response.into_body(), 8 << 20)
        .await
        .unwrap();
    let doc: Value = serde_json::from_slice(&body).unwrap();
    let mut kinds: Vec<&str> = doc["components"]["schemas"]["ExecutionTypeBody"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    kinds.sort_unstable();
    // A Lambda tool is refused here (above): the document does not offer it.
    assert_eq!(kinds, ["http", "inline", "mcp"]);
}

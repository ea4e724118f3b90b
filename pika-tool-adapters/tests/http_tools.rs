//! The `http` tool executor against a real HTTP server on loopback (opened
//! to it explicitly, as an operator opens their own network): JSON in and
//! out, secrets in headers, GET with the input in the query, answers capped,
//! timeouts; and the SSRF guard: loopback, metadata and private addresses
//! refused in every spelling (decimal, hex, IPv4-mapped IPv6), a name that
//! resolves to one (DNS rebinding), a redirect to one, a host off the
//! allow-list — each before any connection is made.
#![cfg(feature = "http")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::future::BoxFuture;
use pika_domain::tool::http::{HttpEndpoint, HttpMethod};
use pika_domain::tool::ExecutionType;
use pika_ports::{ErrorKind, ToolInvocation, ToolInvoker};
use pika_testkit::fixtures;
use pika_tool_adapters::http::{HttpToolInvoker, HttpToolsConfig, IpNet, Resolve};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Default)]
struct Hits(Arc<AtomicUsize>);

async fn server() -> (SocketAddr, Hits) {
    let hits = Hits::default();
    let app = Router::new()
        .route(
            "/echo",
            post(
                |State(h): State<Hits>, headers: HeaderMap, Json(body): Json<Value>| async move {
                    h.0.fetch_add(1, Ordering::SeqCst);
                    let key = headers
                        .get("x-api-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    Json(json!({ "got": body, "key": key }))
                },
            ),
        )
        .route(
            "/query",
            get(
                |State(h): State<Hits>, Query(q): Query<HashMap<String, String>>| async move {
                    h.0.fetch_add(1, Ordering::SeqCst);
                    Json(json!({ "input": q.get("input") }))
                },
            ),
        )
        .route(
            "/to-metadata",
            post(|| async { Redirect::temporary("http://169.254.169.254/latest/meta-data/") }),
        )
        .route("/big", post(|| async { "x".repeat(3 * 1024 * 1024) }))
        .route(
            "/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/refuse",
            post(|| async {
                (StatusCode::BAD_REQUEST, Json(json!({ "error": "no city" }))).into_response()
            }),
        )
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (address, hits)
}

fn call(url: &str, method: HttpMethod, headers: &[(&str, &str)]) -> ToolInvocation {
    let mut tool = fixtures::inline_tool("orders", "lookup");
    tool.execution_type = ExecutionType::Http;
    tool.execution_timeout_ms = Some(1_000);
    tool.http = Some(HttpEndpoint {
        url: url.to_string(),
        method,
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect(),
    });
    ToolInvocation {
        tool,
        function: fixtures::tool_name("lookup"),
        input: json!({ "query": "order 42" }),
        session_attributes: Map::new(),
    }
}

/// Loopback opened, as an operator opens their own network.
fn opened() -> HttpToolsConfig {
    let mut secrets = BTreeMap::new();
    secrets.insert("ORDERS_KEY".to_string(), "k-123".to_string());
    HttpToolsConfig {
        allow_private: vec!["127.0.0.1/32".parse::<IpNet>().unwrap()],
        secrets,
        max_response_bytes: 64 * 1024,
        ..HttpToolsConfig::default()
    }
}

/// Resolves every name to the given addresses (a DNS answer an attacker controls).
struct FixedDns(Vec<SocketAddr>);

impl Resolve for FixedDns {
    fn resolve<'a>(
        &'a self,
        _host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<SocketAddr>>> {
        let found = self
            .0
            .iter()
            .map(|a| SocketAddr::new(a.ip(), port))
            .collect();
        Box::pin(async move { Ok(found) })
    }
}

#[tokio::test]
async fn json_goes_in_and_comes_out_with_secrets_in_headers() {
    let (address, _) = server().await;
    let tools = HttpToolInvoker::new(opened());
    let out = tools
        .invoke(call(
            &format!("http://{address}/echo"),
            HttpMethod::Post,
            &[("X-Api-Key", "secret:ORDERS_KEY")],
        ))
        .await
        .unwrap();
    assert_eq!(out["got"]["input"], json!({ "query": "order 42" }));
    assert_eq!(out["got"]["function"], "lookup");
    assert_eq!(out["key"], "k-123", "the secret, not its name");

    let out = tools
        .invoke(call(
            &format!("http://{address}/query"),
            HttpMethod::Get,
            &[],
        ))
        .await
        .unwrap();
    assert_eq!(out["input"], json!({ "query": "order 42" }).to_string());

    let missing = tools
        .invoke(call(
            &format!("http://{address}/echo"),
            HttpMethod::Post,
            &[("X-Api-Key", "secret:NOPE")],
        ))
        .await
        .unwrap_err();
    assert!(missing.message.contains("NOPE"), "{missing}");
}

#[tokio::test]
async fn answers_are_capped_timed_and_classified() {
    let (address, _) = server().await;
    let tools = HttpToolInvoker::new(opened());
    let big = tools
        .invoke(call(
            &format!("http://{address}/big"),
            HttpMethod::Post,
            &[],
        ))
        .await
        .unwrap_err();
    assert_eq!(big.kind, ErrorKind::Permanent, "{big}");
    let slow = tools
        .invoke(call(
            &format!("http://{address}/slow"),
            HttpMethod::Post,
            &[],
        ))
        .await
        .unwrap_err();
    assert_eq!(slow.kind, ErrorKind::Transient, "{slow}");
    let refused = tools
        .invoke(call(
            &format!("http://{address}/refuse"),
            HttpMethod::Post,
            &[],
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Invalid, "{refused}");
    assert!(refused.message.contains("no city"), "{refused}");
}

#[tokio::test]
async fn the_guard_refuses_internal_addresses_in_every_spelling() {
    let (address, hits) = server().await;
    let port = address.port();
    // Nothing opened: the default.
    let tools = HttpToolInvoker::new(HttpToolsConfig::default());
    for url in [
        format!("http://127.0.0.1:{port}/echo"),
        format!("http://2130706433:{port}/echo"),
        format!("http://0x7f.1:{port}/echo"),
        format!("http://0177.0.0.1:{port}/echo"),
        format!("http://127.1:{port}/echo"),
        format!("http://[::ffff:127.0.0.1]:{port}/echo"),
        format!("http://[::1]:{port}/echo"),
        format!("http://localhost:{port}/echo"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://[fd00:ec2::254]/latest/meta-data/".to_string(),
        "http://10.0.0.1/".to_string(),
        "http://0.0.0.0/".to_string(),
    ] {
        let refused = tools
            .invoke(call(&url, HttpMethod::Post, &[]))
            .await
            .unwrap_err();
        assert_eq!(refused.kind, ErrorKind::Permanent, "{url}: {refused}");
        assert!(refused.message.contains("refused"), "{url}: {refused}");
    }
    assert_eq!(
        hits.0.load(Ordering::SeqCst),
        0,
        "no request reached the server"
    );
}

#[tokio::test]
async fn a_name_that_resolves_inside_is_refused() {
    let (address, hits) = server().await;
    for answer in [vec![address], vec!["8.8.8.8:80".parse().unwrap(), address]] {
        let tools = HttpToolInvoker::new(HttpToolsConfig {
            resolver: Arc::new(FixedDns(answer)),
            ..HttpToolsConfig::default()
        });
        let url = format!("http://tools.example.com:{}/echo", address.port());
        let refused = tools
            .invoke(call(&url, HttpMethod::Post, &[]))
            .await
            .unwrap_err();
        assert!(refused.message.contains("127.0.0.1"), "{refused}");
    }
    assert_eq!(hits.0.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn redirects_are_checked_like_the_first_request() {
    let (address, _) = server().await;
    let tools = HttpToolInvoker::new(opened());
    let refused = tools
        .invoke(call(
            &format!("http://{address}/to-metadata"),
            HttpMethod::Post,
            &[],
        ))
        .await
        .unwrap_err();
    assert!(refused.message.contains("169.254.169.254"), "{refused}");
}

#[tokio::test]
async fn hosts_off_the_allow_list_are_refused() {
    let (address, hits) = server().await;
    let tools = HttpToolInvoker::new(HttpToolsConfig {
        allowed_hosts: vec!["api.example.com".to_string()],
        ..opened()
    });
    let refused = tools
        .invoke(call(
            &format!("http://{address}/echo"),
            HttpMethod::Post,
            &[],
        ))
        .await
        .unwrap_err();
    assert!(refused.message.contains("allow-list"), "{refused}");
    assert_eq!(hits.0.load(Ordering::SeqCst), 0);
}

/// Counts the look-ups it is asked for, and fails each.
struct CountingDns(Arc<std::sync::atomic::AtomicUsize>);

impl Resolve for CountingDns {
    fn resolve<'a>(
        &'a self,
        _host: &'a str,
        _port: u16,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = std::io::Result<Vec<SocketAddr>>> + Send + 'a>,
    > {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Err(std::io::Error::other("no lookups in this test")) })
    }
}

#[tokio::test]
async fn a_host_off_the_allow_list_is_refused_without_being_looked_up() {
    let lookups = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tools = HttpToolInvoker::new(HttpToolsConfig {
        allowed_hosts: vec!["api.example.com".to_string()],
        resolver: Arc::new(CountingDns(lookups.clone())),
        ..opened()
    });
    let refused = tools
        .invoke(call(
            "https://elsewhere.example.org/x",
            HttpMethod::Post,
            &[],
        ))
        .await
        .unwrap_err();
    assert!(refused.message.contains("allow-list"), "{refused}");
    // Refused for what it is (permanent), not as a failed look-up.
    assert_eq!(refused.kind, pika_ports::ErrorKind::Permanent, "{refused}");
    assert_eq!(lookups.load(Ordering::SeqCst), 0);
}

//! Fuzzing the local server's edge (property tests; `PIKA_FUZZ_CASES`
//! sets the cases): the platform built as `main` builds it receives
//! request bodies of any bytes on every route that reads one, cursors and
//! query strings of any text on every listing, and signed file URLs with
//! any query — fresh ones with one parameter changed among them. Nothing
//! is a server error or a panic; every refusal is a problem document; a
//! changed signed URL is never honoured.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use pika_http::auth::DevClaims;
use pika_local::config::{LocalConfig, Provider};
use pika_local::server;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::OnceLock;
use tower::ServiceExt;

fn cases() -> u32 {
    std::env::var("PIKA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(200, |n: u32| (n / 5).max(1))
}

struct Local {
    rt: tokio::runtime::Runtime,
    app: Router,
    token: String,
    session: String,
    upload_url: String,
    _dir: tempfile::TempDir,
}

/// One platform for every case (building it per case would dominate).
fn local() -> &'static Local {
    static LOCAL: OnceLock<Local> = OnceLock::new();
    LOCAL.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = LocalConfig {
            data_dir: Some(dir.path().to_path_buf()),
            ..LocalConfig::default()
        };
        config.model.provider = Provider::None;
        config.server.rate_limit_per_minute = 100_000_000;
        config.server.rate_limit_burst = 100_000_000;
        config.server.public_url = Some("http://127.0.0.1:8080".into());
        let (app, token) = rt.block_on(async {
            let platform = server::build(&config).await.unwrap();
            let mut claims = DevClaims::new("fuzzer");
            claims.roles = vec!["pika:site-admin".into()];
            claims.custom_data.insert("accountId".into(), json!("acme"));
            (
                platform.app,
                server::dev_token(&config, claims).await.unwrap(),
            )
        });
        let mut local = Local {
            rt,
            app,
            token,
            session: String::new(),
            upload_url: String::new(),
            _dir: dir,
        };
        let created = local.call(
            Method::POST,
            "/sessions",
            Some(br#"{"chatAppId":"demo"}"#.to_vec()),
        );
        assert_eq!(created.0, StatusCode::CREATED, "{}", created.1);
        local.session = created.1["sessionId"].as_str().unwrap().to_string();
        let path = format!("/sessions/{}/files", local.session);
        let body = br#"{"name":"a.txt","contentType":"text/plain","size":5}"#.to_vec();
        let granted = local.call(Method::POST, &path, Some(body));
        assert!(granted.0.is_success(), "{}", granted.1);
        local.upload_url = granted.1["upload"]["url"].as_str().unwrap().to_string();
        local
    })
}

impl Local {
    fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> (StatusCode, Value, String) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {}", self.token));
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request
            .body(body.map_or_else(Body::empty, Body::from))
            .unwrap();
        self.rt.block_on(async {
            let response = self.app.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let kind = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            (
                status,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                kind,
            )
        })
    }

    /// Answers without a server error; a refusal is a problem document.
    fn answers_well(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<StatusCode, String> {
        let (status, json, kind) = self.call(method.clone(), path, body);
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            return Err(format!("{method} {path}: {status} {json}"));
        }
        if status.is_client_error()
            && (kind != "application/problem+json" || json["code"].as_str().is_none())
        {
            return Err(format!(
                "{method} {path}: {status} without a problem document ({kind})"
            ));
        }
        Ok(status)
    }
}

/// Bodies close to JSON objects, and any bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        ".{0,80}".prop_map(String::into_bytes),
        (
            prop::sample::select(vec![
                "message",
                "chatAppId",
                "title",
                "kind",
                "messageId",
                "comment",
                "name",
                "contentType",
                "size",
                "fileIds",
                "clientMessageId",
                "status",
                "features",
            ]),
            prop_oneof![
                Just(json!(null)),
                any::<i64>().prop_map(|n| json!(n)),
                ".{0,30}".prop_map(|s| json!(s)),
                Just(json!([])),
                Just(json!({})),
                Just(json!(1e308)),
                Just(json!(-1)),
            ]
        )
            .prop_map(|(k, v)| json!({ k: v }).to_string().into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_body_on_any_route_is_answered_without_a_server_error(body in body(), route in 0usize..9) {
        let l = local();
        let s = &l.session;
        let (method, path) = [
            (Method::POST, "/sessions".to_string()),
            (Method::POST, format!("/sessions/{s}/title")),
            (Method::POST, format!("/sessions/{s}/feedback")),
            (Method::POST, format!("/sessions/{s}/files")),
            (Method::POST, format!("/sessions/{s}/messages")),
            (Method::POST, "/chat/demo/messages".to_string()),
            (Method::PUT, "/admin/site".to_string()),
            (Method::POST, "/admin/chatapps".to_string()),
            (Method::POST, "/admin/tools".to_string()),
        ][route].clone();
        l.answers_well(method, &path, Some(body)).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn any_cursor_or_query_is_answered_without_a_server_error(raw in ".{0,60}", route in 0usize..6) {
        let l = local();
        let query: String = url_escape(&raw);
        let s = &l.session;
        let path = [
            format!("/sessions?cursor={query}"),
            format!("/sessions/{s}/messages?cursor={query}&limit=2"),
            format!("/search?q=x&cursor={query}"),
            format!("/search?q={query}&from={query}"),
            format!("/insights?cursor={query}"),
            format!("/admin/analytics?from={query}&to=2026-01-01"),
        ][route].clone();
        l.answers_well(Method::GET, &path, None).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn a_signed_url_with_anything_changed_is_refused(
        param in prop::sample::select(vec!["method", "expires", "ct", "len", "sig", "extra"]),
        value in ".{0,24}",
        put in any::<bool>(),
    ) {
        let l = local();
        let url = l.upload_url.strip_prefix("http://127.0.0.1:8080").unwrap();
        let (path, query) = url.split_once('?').unwrap();
        let changed: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, old)) if name == param && old != url_escape(&value) => {
                    format!("{name}={}", url_escape(&value))
                }
                _ => pair.to_string(),
            })
            .chain((param == "extra").then(|| format!("sig={}", url_escape(&value))))
            .collect();
        let target = format!("{path}?{}", changed.join("&"));
        let method = if put { Method::PUT } else { Method::GET };
        let status = l
            .answers_well(method.clone(), &target, put.then(|| b"hello".to_vec()))
            .map_err(TestCaseError::fail)?;
        let unchanged = changed.join("&") == query;
        prop_assert!(
            unchanged && put || !status.is_success(),
            "{method} {target} was honoured: {status}"
        );
    }

    #[test]
    fn any_file_path_and_query_is_refused_without_a_server_error(key in "[a-z/%.]{0,40}", query in ".{0,60}") {
        let l = local();
        let path = format!("/files/{key}?{}", url_escape(&query));
        let status = l.answers_well(Method::GET, &path, None).map_err(TestCaseError::fail)?;
        prop_assert!(!status.is_success(), "{path}: {status}");
    }
}

/// `raw` as a query component (bytes outside unreserved characters escaped).
fn url_escape(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

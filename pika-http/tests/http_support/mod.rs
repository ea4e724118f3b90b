//! Shared by the `http_routes_*` tests: users, well-formed ids that name
//! nothing, request and assertion helpers, SSE parsing, and the route list
//! read from the router's source (`src/routes.rs`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support::{Api, Reply, AGENT, APP};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use pika_domain::features::FileUploadFeature;
use pika_domain::ids::SessionId;
use pika_domain::user::{User, UserType};
use pika_http::streaming::sse;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::{json, Value};

/// A well-formed session id (UUIDv7) that names no session.
pub const NO_SUCH_SESSION: &str = "0190f2c4-8f1e-7a3b-9c4d-2e5f6a7b8c9d";
/// A well-formed UUID (v4) that names no message, share or feedback.
pub const NO_SUCH_UUID: &str = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f";

pub fn alice() -> User {
    fixtures::customer("alice")
}

/// Same entity (`acme`) as alice.
pub fn bob() -> User {
    fixtures::customer("bob")
}

/// Another entity.
pub fn carol() -> User {
    fixtures::user("carol", UserType::ExternalUser, Some("globex"))
}

pub fn admin() -> User {
    fixtures::site_admin("root")
}

pub fn editor() -> User {
    fixtures::content_admin("editor")
}

/// `(METHOD, path template)` of every route the router registers (each
/// registration carries its handler and its documentation together).
pub fn router_routes() -> Vec<(String, String)> {
    let mut routes = Vec::new();
    for router in [
        pika_http::routes::public_routes(true),
        pika_http::routes::protected_routes(),
    ] {
        let doc = router.into_openapi();
        for (path, item) in doc.paths.paths {
            let item = serde_json::to_value(item).unwrap();
            for method in item.as_object().unwrap().keys() {
                if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                    routes.push((method.to_ascii_uppercase(), path.clone()));
                }
            }
        }
    }
    routes
}

/// `/a/{x}/b` -> `/a/{}/b`: parameter names differ between axum and OpenAPI.
pub fn normalize(template: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in template.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

/// Fills every `{param}` of a template with `value`.
pub fn fill(template: &str, value: &str) -> String {
    normalize(template).replace("{}", value)
}

pub async fn call(
    api: &Api,
    method: Method,
    path: &str,
    user: &User,
    body: Option<Value>,
) -> Reply {
    api.call(method, path, Some(&api.token(user)), body).await
}

pub async fn raw(
    api: &Api,
    method: Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    api.send(req.body(Body::empty()).unwrap()).await
}

/// Asserts a status, showing the body when it differs.
pub fn expect(reply: &Reply, status: u16) -> Value {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text());
    if reply.body.is_empty() {
        Value::Null
    } else {
        reply.json()
    }
}

/// Asserts a problem document with `status` and `code`.
pub fn problem(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text());
    assert_eq!(reply.code(), code, "{}", reply.text());
}

pub fn has_keys(v: &Value, keys: &[&str]) {
    for k in keys {
        assert!(v.get(k).is_some(), "`{k}` missing in {v}");
    }
}

/// No key anywhere in `v` is snake_case.
pub fn camel_case(v: &Value) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                assert!(
                    !k.contains('_') && !k.contains('-'),
                    "key `{k}` is not camelCase"
                );
                camel_case(v);
            }
        }
        Value::Array(items) => items.iter().for_each(camel_case),
        _ => {}
    }
}

/// A page: `{items, nextCursor}`; returns the items.
pub fn page(v: &Value) -> Vec<Value> {
    has_keys(v, &["items", "nextCursor"]);
    assert!(
        v["nextCursor"].is_null() || v["nextCursor"].is_string(),
        "{v}"
    );
    v["items"].as_array().expect("items is an array").clone()
}

pub const SESSION_KEYS: &[&str] = &[
    "sessionId",
    "userId",
    "chatAppId",
    "agentId",
    "entityId",
    "title",
    "pinned",
    "createdAt",
    "updatedAt",
    "lastMessageId",
    "usage",
];

pub fn session_shape(v: &Value) {
    has_keys(v, SESSION_KEYS);
    has_keys(
        &v["usage"],
        &[
            "inputTokens",
            "outputTokens",
            "inputCost",
            "outputCost",
            "totalCost",
        ],
    );
    camel_case(v);
    for t in ["createdAt", "updatedAt"] {
        pika_domain::chrono::DateTime::parse_from_rfc3339(v[t].as_str().unwrap())
            .expect("RFC 3339");
    }
}

/// The SSE events of a reply as `(name, data)`, heartbeats left out.
pub fn events(reply: &Reply) -> Vec<(String, Value)> {
    sse::parse(&reply.text())
        .into_iter()
        .filter(|f| !f.comment)
        .map(|f| {
            (
                f.event.expect("an event name"),
                serde_json::from_str(&f.data).expect("JSON data"),
            )
        })
        .collect()
}

pub fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(n, _)| n.as_str()).collect()
}

pub fn data<'a>(events: &'a [(String, Value)], name: &str) -> &'a Value {
    &events
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} event"))
        .1
}

/// A new, empty session of `user` in `support`.
pub async fn new_session(api: &Api, user: &User) -> String {
    let reply = api
        .post("/sessions", user, json!({ "chatAppId": APP }))
        .await;
    expect(&reply, 201)["sessionId"]
        .as_str()
        .unwrap()
        .to_string()
}

/// One complete turn of `user` in a new session; returns the session id and events.
pub async fn chatted(
    api: &Api,
    user: &User,
    text: &str,
    answer: &str,
) -> (String, Vec<(String, Value)>) {
    api.fakes.runtime.push(Script::answer(answer));
    let (session, reply) = api.chat(user, text).await;
    let ev = events(&reply);
    assert_eq!(names(&ev).last(), Some(&"done"), "{ev:?}");
    (session, ev)
}

pub fn sid(raw: &str) -> SessionId {
    SessionId::parse(raw).unwrap()
}

pub fn with_uploads(api_app: &str) -> pika_domain::chat_app::ChatApp {
    let mut app = fixtures::chat_app(api_app, AGENT);
    app.features.file_upload = Some(FileUploadFeature {
        enabled: true,
        mime_types_allowed: vec!["image/*".to_string(), "application/pdf".to_string()],
        max_file_size_bytes: Some(1_000_000),
    });
    app
}

/// Percent-encodes everything but unreserved characters.
pub fn enc(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn page_items_ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["chatAppId"].as_str().unwrap().to_string())
        .collect()
}

pub fn expect_stream(reply: &Reply) -> Vec<(String, Value)> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let ct = reply.headers["content-type"].to_str().unwrap();
    assert!(ct.starts_with("text/event-stream"), "{ct}");
    events(reply)
}

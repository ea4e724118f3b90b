//! Every route of the router (`src/http/routes/mod.rs`) through the real
//! router on fakes: the wire shape a client checks on success, and the
//! problem documents of its failure paths (PIKA.md §11).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use pika_domain::chrono::Duration as ChronoDuration;
use pika_domain::features::FileUploadFeature;
use pika_domain::ids::SessionId;
use pika_domain::memory::{MemoryRecord, MemoryStrategy};
use pika_domain::quota::QuotaLimits;
use pika_domain::tool::ExecutionType;
use pika_domain::user::{User, UserType};
use pika_lambda_shell::http::{ApiConfig, RateLimit};
use pika_lambda_shell::streaming::sse;
use pika_ports::CompletionPurpose;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;
use support::{Api, Reply, AGENT, APP};
use tower::ServiceExt;

// ------------------------------------------------------------------ helpers

/// A well-formed session id (UUIDv7) that names no session.
const NO_SUCH_SESSION: &str = "0190f2c4-8f1e-7a3b-9c4d-2e5f6a7b8c9d";
/// A well-formed UUID (v4) that names no message, share or feedback.
const NO_SUCH_UUID: &str = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f";

/// The router's source: the list of routes every test here is checked against.
const ROUTES_SOURCE: &str = include_str!("../src/http/routes/mod.rs");

fn alice() -> User {
    fixtures::customer("alice")
}

/// Same entity (`acme`) as alice.
fn bob() -> User {
    fixtures::customer("bob")
}

/// Another entity.
fn carol() -> User {
    fixtures::user("carol", UserType::ExternalUser, Some("globex"))
}

fn admin() -> User {
    fixtures::site_admin("root")
}

fn editor() -> User {
    fixtures::content_admin("editor")
}

/// `(METHOD, path template)` of every route in `routes/mod.rs`, read from
/// its source so a route added there is checked here too.
fn router_routes() -> Vec<(String, String)> {
    let mut routes = Vec::new();
    for chunk in ROUTES_SOURCE.split(".route(").skip(1) {
        let chunk = chunk.trim_start();
        let rest = chunk
            .strip_prefix('"')
            .expect("a route starts with its path literal");
        let (path, rest) = rest.split_once('"').unwrap();
        // The methods of this route: up to the end of the enclosing function.
        let rest = rest.split("\n}").next().unwrap();
        let rest = rest.split(".route(").next().unwrap();
        for (name, method) in [
            ("get", "GET"),
            ("post", "POST"),
            ("put", "PUT"),
            ("delete", "DELETE"),
            ("patch", "PATCH"),
        ] {
            let needle = format!("{name}(");
            let found = rest.match_indices(&needle).any(|(i, _)| {
                i == 0
                    || (!rest.as_bytes()[i - 1].is_ascii_alphanumeric()
                        && rest.as_bytes()[i - 1] != b'_')
            });
            if found {
                routes.push((method.to_string(), path.to_string()));
            }
        }
    }
    routes
}

/// `/a/{x}/b` -> `/a/{}/b`: parameter names differ between axum and OpenAPI.
fn normalize(template: &str) -> String {
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
fn fill(template: &str, value: &str) -> String {
    normalize(template).replace("{}", value)
}

async fn call(api: &Api, method: Method, path: &str, user: &User, body: Option<Value>) -> Reply {
    api.call(method, path, Some(&api.token(user)), body).await
}

async fn raw(
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
fn expect(reply: &Reply, status: u16) -> Value {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text());
    if reply.body.is_empty() {
        Value::Null
    } else {
        reply.json()
    }
}

/// Asserts a problem document with `status` and `code`.
fn problem(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text());
    assert_eq!(reply.code(), code, "{}", reply.text());
}

fn has_keys(v: &Value, keys: &[&str]) {
    for k in keys {
        assert!(v.get(k).is_some(), "`{k}` missing in {v}");
    }
}

/// No key anywhere in `v` is snake_case.
fn camel_case(v: &Value) {
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
fn page(v: &Value) -> Vec<Value> {
    has_keys(v, &["items", "nextCursor"]);
    assert!(
        v["nextCursor"].is_null() || v["nextCursor"].is_string(),
        "{v}"
    );
    v["items"].as_array().expect("items is an array").clone()
}

const SESSION_KEYS: &[&str] = &[
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

fn session_shape(v: &Value) {
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
fn events(reply: &Reply) -> Vec<(String, Value)> {
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

fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(n, _)| n.as_str()).collect()
}

fn data<'a>(events: &'a [(String, Value)], name: &str) -> &'a Value {
    &events
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} event"))
        .1
}

/// A new, empty session of `user` in `support`.
async fn new_session(api: &Api, user: &User) -> String {
    let reply = api
        .post("/sessions", user, json!({ "chatAppId": APP }))
        .await;
    expect(&reply, 201)["sessionId"]
        .as_str()
        .unwrap()
        .to_string()
}

/// One complete turn of `user` in a new session; returns the session id and events.
async fn chatted(
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

fn sid(raw: &str) -> SessionId {
    SessionId::parse(raw).unwrap()
}

fn with_uploads(api_app: &str) -> pika_domain::chat_app::ChatApp {
    let mut app = fixtures::chat_app(api_app, AGENT);
    app.features.file_upload = Some(FileUploadFeature {
        enabled: true,
        mime_types_allowed: vec!["image/*".to_string(), "application/pdf".to_string()],
        max_file_size_bytes: Some(1_000_000),
    });
    app
}

// ------------------------------------------------------- platform routes

#[tokio::test]
async fn health_needs_no_token() {
    let api = Api::new().await;
    let reply = raw(&api, Method::GET, "/health", None, &[]).await;
    assert_eq!(expect(&reply, 200), json!({ "status": "ok" }));
    assert!(
        reply.headers.contains_key("x-request-id"),
        "every answer carries a request id"
    );
}

#[tokio::test]
async fn the_route_list_is_read_from_the_router_source() {
    let routes = router_routes();
    let set: BTreeSet<_> = routes.iter().cloned().collect();
    assert_eq!(set.len(), routes.len(), "no duplicates");
    for expected in [
        ("GET", "/health"),
        ("POST", "/dev/token"),
        ("PUT", "/sessions/{id}/pin"),
        ("DELETE", "/sessions/{id}/pin"),
        ("POST", "/admin/chatapps/{id}/override"),
        ("DELETE", "/admin/chatapps/{id}/override"),
        ("PATCH", "/admin/feedback/{id}"),
        ("DELETE", "/admin/users/{id}/data"),
    ] {
        assert!(
            set.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} in {set:?}"
        );
    }
    assert!(routes.len() >= 40, "{routes:?}");
}

#[tokio::test]
async fn openapi_lists_every_route_of_the_router() {
    let api = Api::new().await;
    let doc = expect(
        &raw(&api, Method::GET, "/openapi.json", None, &[]).await,
        200,
    );
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "an OpenAPI 3 document"
    );
    let paths = doc["paths"].as_object().expect("paths");
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_ascii_uppercase(), normalize(path)))
        })
        .collect();
    let served: BTreeSet<(String, String)> = router_routes()
        .into_iter()
        .map(|(m, p)| (m, normalize(&p)))
        .collect();
    let missing: Vec<_> = served.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document: {missing:?}"
    );
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(
        extra.is_empty(),
        "documented routes the router does not have: {extra:?}"
    );
}

#[tokio::test]
async fn every_protected_route_answers_401_without_a_token() {
    let api = Api::new().await;
    let public = ["/health", "/openapi.json", "/dev/token"];
    let mut checked = 0;
    for (method, template) in router_routes() {
        if public.contains(&template.as_str()) {
            continue;
        }
        let path = fill(&template, NO_SUCH_SESSION);
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let reply = api.call(method.clone(), &path, None, Some(json!({}))).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            reply.text()
        );
        assert_eq!(reply.code(), "unauthenticated", "{method} {path}");
        assert_eq!(
            reply.headers["www-authenticate"], "Bearer",
            "{method} {path}"
        );
        // A token that is not a JWT is no better.
        let reply = api
            .call(method.clone(), &path, Some("not-a-jwt"), None)
            .await;
        problem(&reply, 401, "unauthenticated");
        checked += 1;
    }
    assert!(checked >= 35, "{checked}");
    assert!(api.fakes.sessions.is_empty() && api.fakes.messages.is_empty());
}

#[tokio::test]
async fn unknown_routes_are_404_problems_and_wrong_methods_405() {
    let api = Api::new().await;
    let t = api.token(&alice());
    problem(
        &raw(&api, Method::GET, "/nowhere", Some(&t), &[]).await,
        404,
        "not_found",
    );
    problem(
        &raw(&api, Method::GET, "/nowhere", None, &[]).await,
        404,
        "not_found",
    );
    problem(
        &raw(&api, Method::GET, "/sessions/a/b/c/d/e", Some(&t), &[]).await,
        404,
        "not_found",
    );

    let reply = raw(&api, Method::PATCH, "/sessions", Some(&t), &[]).await;
    assert_eq!(
        reply.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        reply.text()
    );
    reply.code();
    assert_eq!(reply.headers["allow"], "GET,HEAD,POST");
    let reply = raw(&api, Method::DELETE, "/health", None, &[]).await;
    assert_eq!(
        reply.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        reply.text()
    );
    reply.code();
    let reply = raw(&api, Method::GET, "/sessions/x/stop", Some(&t), &[]).await;
    assert_eq!(
        reply.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        reply.text()
    );
    reply.code();
}

#[tokio::test]
async fn dev_token_exists_only_when_configured() {
    let api = Api::new().await;
    let reply = api
        .call(
            Method::POST,
            "/dev/token",
            None,
            Some(json!({ "userId": "dev-1" })),
        )
        .await;
    problem(&reply, 404, "not_found");

    let config = ApiConfig {
        dev_tokens: true,
        ..ApiConfig::default()
    };
    let api = Api::with(fixtures::site(), config).await;
    let reply = api
        .call(
            Method::POST,
            "/dev/token",
            None,
            Some(json!({ "userId": "dev-1", "userType": "external-user", "customData": { "accountId": "acme" } })),
        )
        .await;
    let body = expect(&reply, 200);
    has_keys(&body, &["token", "expiresIn"]);
    assert!(body["expiresIn"].as_u64().unwrap() > 0);
    let token = body["token"].as_str().unwrap();
    let apps = expect(
        &raw(&api, Method::GET, "/chatapps", Some(token), &[]).await,
        200,
    );
    assert_eq!(page_items_ids(&apps), vec![APP.to_string()]);

    let reply = api
        .call(
            Method::POST,
            "/dev/token",
            None,
            Some(json!({ "userId": "has space" })),
        )
        .await;
    problem(&reply, 400, "invalid_request");
}

#[tokio::test]
async fn per_user_rate_limit_is_a_429_problem() {
    let config = ApiConfig {
        rate_limit: Some(RateLimit {
            per_minute: 1,
            burst: 2,
        }),
        ..ApiConfig::default()
    };
    let api = Api::with(fixtures::site(), config).await;
    expect(&api.get("/chatapps", &alice()).await, 200);
    expect(&api.get("/chatapps", &alice()).await, 200);
    problem(&api.get("/chatapps", &alice()).await, 429, "rate_limited");
    // Another user has an allowance of their own.
    expect(&api.get("/chatapps", &bob()).await, 200);
}

// --------------------------------------------------------------- sessions

#[tokio::test]
async fn create_then_read_a_session() {
    let api = Api::new().await;
    let reply = api
        .post("/sessions", &alice(), json!({ "chatAppId": APP }))
        .await;
    let created = expect(&reply, 201);
    session_shape(&created);
    assert_eq!(created["userId"], "alice");
    assert_eq!(created["chatAppId"], APP);
    assert_eq!(created["agentId"], AGENT);
    assert_eq!(created["entityId"], "acme");
    assert_eq!(created["pinned"], false);
    assert!(created["title"].is_null() && created["lastMessageId"].is_null());
    let id = created["sessionId"].as_str().unwrap();
    assert!(api.fakes.sessions.find(&sid(id)).is_some(), "stored");

    let read = expect(&api.get(&format!("/sessions/{id}"), &alice()).await, 200);
    assert_eq!(read, created);

    // Others do not see it; admins do.
    problem(
        &api.get(&format!("/sessions/{id}"), &bob()).await,
        404,
        "not_found",
    );
    expect(&api.get(&format!("/sessions/{id}"), &editor()).await, 200);
    problem(
        &api.get(&format!("/sessions/{NO_SUCH_SESSION}"), &alice())
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn create_session_in_an_unknown_chat_app_is_404() {
    let api = Api::new().await;
    problem(
        &api.post("/sessions", &alice(), json!({ "chatAppId": "nope" }))
            .await,
        404,
        "not_found",
    );
    assert!(api.fakes.sessions.is_empty());
}

#[tokio::test]
async fn list_sessions_by_chat_app() {
    let api = Api::new().await;
    api.seed_app(
        fixtures::chat_app("other", AGENT),
        fixtures::agent(AGENT, &[]),
        vec![],
    )
    .await;
    let a1 = new_session(&api, &alice()).await;
    let a2 = new_session(&api, &alice()).await;
    let other = api
        .post("/sessions", &alice(), json!({ "chatAppId": "other" }))
        .await;
    expect(&other, 201);
    new_session(&api, &bob()).await;

    let all = page(&expect(&api.get("/sessions", &alice()).await, 200));
    assert_eq!(all.len(), 3, "only alice's own");
    all.iter().for_each(session_shape);
    assert!(all.iter().all(|s| s["userId"] == "alice"));

    let body = expect(
        &api.get(&format!("/sessions?chatAppId={APP}"), &alice())
            .await,
        200,
    );
    camel_case(&body);
    let ids: BTreeSet<String> = page(&body)
        .iter()
        .map(|s| s["sessionId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, BTreeSet::from([a1, a2]));

    let first = expect(
        &api.get(&format!("/sessions?chatAppId={APP}&limit=1"), &alice())
            .await,
        200,
    );
    assert_eq!(page(&first).len(), 1);
    let cursor = first["nextCursor"].as_str().expect("a next page");
    let second = expect(
        &api.get(
            &format!("/sessions?chatAppId={APP}&limit=1&cursor={}", enc(cursor)),
            &alice(),
        )
        .await,
        200,
    );
    assert_eq!(page(&second).len(), 1);
    assert_ne!(page(&first)[0]["sessionId"], page(&second)[0]["sessionId"]);
    assert!(second["nextCursor"].is_null());

    let none = expect(
        &api.get("/sessions?chatAppId=unknown-app", &alice()).await,
        200,
    );
    assert!(page(&none).is_empty());
    assert!(none["nextCursor"].is_null());
}

/// Percent-encodes everything but unreserved characters.
fn enc(raw: &str) -> String {
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

fn page_items_ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["chatAppId"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn delete_a_session() {
    let api = Api::new().await;
    let (id, _) = chatted(&api, &alice(), "hello", "hi").await;
    problem(
        &call(
            &api,
            Method::DELETE,
            &format!("/sessions/{id}"),
            &bob(),
            None,
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &call(
            &api,
            Method::DELETE,
            &format!("/sessions/{id}"),
            &editor(),
            None,
        )
        .await,
        403,
        "forbidden",
    );

    let reply = call(
        &api,
        Method::DELETE,
        &format!("/sessions/{id}"),
        &alice(),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert!(reply.body.is_empty());
    assert!(
        api.fakes.sessions.is_empty() && api.fakes.messages.is_empty(),
        "the messages went with it"
    );
    problem(
        &api.get(&format!("/sessions/{id}"), &alice()).await,
        404,
        "not_found",
    );
    problem(
        &call(
            &api,
            Method::DELETE,
            &format!("/sessions/{id}"),
            &alice(),
            None,
        )
        .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn messages_are_paged_with_a_cursor() {
    let api = Api::new().await;
    let (id, _) = chatted(&api, &alice(), "first question", "first answer").await;
    api.fakes.runtime.push(Script::answer("second answer"));
    let reply = api
        .post(
            &format!("/sessions/{id}/messages"),
            &alice(),
            json!({ "message": "second question" }),
        )
        .await;
    expect_stream(&reply);
    assert_eq!(api.fakes.messages.of_session(&sid(&id)).len(), 4);

    let first = expect(
        &api.get(&format!("/sessions/{id}/messages?limit=3"), &alice())
            .await,
        200,
    );
    camel_case(&first);
    let items = page(&first);
    assert_eq!(items.len(), 3);
    let contents: Vec<&str> = items
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        ["first question", "first answer", "second question"],
        "oldest first"
    );
    let roles: Vec<&str> = items.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "user"]);
    for m in &items {
        has_keys(
            m,
            &["messageId", "sessionId", "role", "content", "createdAt"],
        );
        assert_eq!(m["sessionId"], id.as_str());
        assert!(
            m.get("streamEvents").is_none(),
            "stored stream events are not for readers"
        );
    }
    has_keys(&items[1], &["model", "usage"]);
    has_keys(
        &items[1]["usage"],
        &["inputTokens", "outputTokens", "totalCost"],
    );

    let cursor = first["nextCursor"].as_str().expect("a second page");
    let second = expect(
        &api.get(
            &format!("/sessions/{id}/messages?limit=3&cursor={}", enc(cursor)),
            &alice(),
        )
        .await,
        200,
    );
    let rest = page(&second);
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["content"], "second answer");
    assert!(second["nextCursor"].is_null(), "the last page");

    // Default page holds all four; others do not see them; admins do.
    assert_eq!(
        page(&expect(
            &api.get(&format!("/sessions/{id}/messages"), &alice()).await,
            200
        ))
        .len(),
        4
    );
    problem(
        &api.get(&format!("/sessions/{id}/messages"), &bob()).await,
        404,
        "not_found",
    );
    expect(
        &api.get(&format!("/sessions/{id}/messages"), &admin()).await,
        200,
    );
    problem(
        &api.get(&format!("/sessions/{NO_SUCH_SESSION}/messages"), &alice())
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn title_is_set_or_generated() {
    let api = Api::new().await;
    let empty = new_session(&api, &alice()).await;
    // Nothing to title yet.
    problem(
        &api.post(&format!("/sessions/{empty}/title"), &alice(), json!({}))
            .await,
        400,
        "invalid_request",
    );

    let (id, _) = chatted(&api, &alice(), "How do refunds work?", "Like this.").await;
    let set = expect(
        &api.post(
            &format!("/sessions/{id}/title"),
            &alice(),
            json!({ "title": "  My refunds  " }),
        )
        .await,
        200,
    );
    session_shape(&set);
    assert_eq!(set["title"], "My refunds");

    api.fakes
        .completions
        .push(CompletionPurpose::Title, "Refund process explained");
    let generated = expect(
        &api.post(&format!("/sessions/{id}/title"), &alice(), json!({}))
            .await,
        200,
    );
    assert_eq!(generated["title"], "Refund process explained");
    assert_eq!(
        api.fakes.sessions.find(&sid(&id)).unwrap().title.as_deref(),
        Some("Refund process explained")
    );

    problem(
        &api.post(
            &format!("/sessions/{id}/title"),
            &alice(),
            json!({ "title": "   " }),
        )
        .await,
        400,
        "invalid_request",
    );
    problem(
        &api.post(
            &format!("/sessions/{id}/title"),
            &bob(),
            json!({ "title": "mine" }),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &api.post(
            &format!("/sessions/{NO_SUCH_SESSION}/title"),
            &alice(),
            json!({ "title": "x" }),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &api.post(
            &format!("/sessions/{id}/title"),
            &editor(),
            json!({ "title": "x" }),
        )
        .await,
        403,
        "forbidden",
    );
}

#[tokio::test]
async fn pin_and_unpin() {
    let api = Api::new().await;
    let id = new_session(&api, &alice()).await;
    let pinned = expect(
        &call(
            &api,
            Method::PUT,
            &format!("/sessions/{id}/pin"),
            &alice(),
            None,
        )
        .await,
        200,
    );
    session_shape(&pinned);
    assert_eq!(pinned["pinned"], true);
    assert!(api.fakes.sessions.find(&sid(&id)).unwrap().pinned);
    let unpinned = expect(
        &call(
            &api,
            Method::DELETE,
            &format!("/sessions/{id}/pin"),
            &alice(),
            None,
        )
        .await,
        200,
    );
    assert_eq!(unpinned["pinned"], false);
    problem(
        &call(
            &api,
            Method::PUT,
            &format!("/sessions/{id}/pin"),
            &bob(),
            None,
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &call(
            &api,
            Method::DELETE,
            &format!("/sessions/{id}/pin"),
            &bob(),
            None,
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &call(
            &api,
            Method::PUT,
            &format!("/sessions/{NO_SUCH_SESSION}/pin"),
            &alice(),
            None,
        )
        .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn share_read_and_revoke() {
    let api = Api::new().await;
    let (id, _) = chatted(&api, &alice(), "Share this?", "Sure.").await;
    problem(
        &call(
            &api,
            Method::POST,
            &format!("/sessions/{id}/share"),
            &bob(),
            None,
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &call(
            &api,
            Method::DELETE,
            &format!("/sessions/{id}/share"),
            &alice(),
            None,
        )
        .await,
        404,
        "not_found",
    );

    let shared = expect(
        &call(
            &api,
            Method::POST,
            &format!("/sessions/{id}/share"),
            &alice(),
            None,
        )
        .await,
        200,
    );
    session_shape(&shared);
    has_keys(&shared["share"], &["shareId", "sharedBy", "sharedAt"]);
    let share = shared["share"]["shareId"].as_str().unwrap().to_string();
    // Sharing again returns the same link.
    let again = expect(
        &call(
            &api,
            Method::POST,
            &format!("/sessions/{id}/share"),
            &alice(),
            None,
        )
        .await,
        200,
    );
    assert_eq!(again["share"]["shareId"], share.as_str());

    // Same entity reads it; another entity does not see it.
    let read = expect(&api.get(&format!("/shared/{share}"), &bob()).await, 200);
    camel_case(&read);
    session_shape(&read["session"]);
    assert_eq!(read["session"]["sessionId"], id.as_str());
    let messages = page(&read["messages"]);
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["content"], "Share this?");
    problem(
        &api.get(&format!("/shared/{share}"), &carol()).await,
        404,
        "not_found",
    );
    problem(
        &api.get(&format!("/shared/{NO_SUCH_UUID}"), &bob()).await,
        404,
        "not_found",
    );

    let revoked = expect(
        &call(
            &api,
            Method::DELETE,
            &format!("/sessions/{id}/share"),
            &alice(),
            None,
        )
        .await,
        200,
    );
    assert!(revoked["share"]["revokedAt"].is_string(), "{revoked}");
    problem(
        &api.get(&format!("/shared/{share}"), &bob()).await,
        404,
        "not_found",
    );
    problem(
        &call(
            &api,
            Method::DELETE,
            &format!("/sessions/{id}/share"),
            &alice(),
            None,
        )
        .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn feedback_is_created() {
    let api = Api::new().await;
    let (id, ev) = chatted(&api, &alice(), "Question", "Answer").await;
    let answer = data(&ev, "done")["assistantMessageId"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = api
        .post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "thumbs_down", "messageId": answer, "comment": "wrong" }),
        )
        .await;
    let fb = expect(&reply, 201);
    camel_case(&fb);
    has_keys(
        &fb,
        &[
            "feedbackId",
            "sessionId",
            "chatAppId",
            "messageId",
            "kind",
            "status",
            "comment",
            "createdAt",
        ],
    );
    assert_eq!(fb["kind"], "thumbs_down");
    assert_eq!(fb["status"], "open");
    assert_eq!(fb["sessionId"], id.as_str());
    assert_eq!(api.fakes.feedback.len(), 1);

    problem(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &bob(),
            json!({ "kind": "thumbs_up" }),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "thumbs_up", "messageId": NO_SUCH_UUID }),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "meh" }),
        )
        .await,
        400,
        "invalid_request",
    );
    problem(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "insight_finding" }),
        )
        .await,
        400,
        "invalid_request",
    );
    assert_eq!(
        api.fakes.feedback.len(),
        1,
        "refused feedback is not stored"
    );
}

#[tokio::test]
async fn upload_urls_follow_the_file_upload_feature() {
    let api = Api::new().await;
    api.seed_app(with_uploads("files"), fixtures::agent(AGENT, &[]), vec![])
        .await;
    let session = expect(
        &api.post("/sessions", &alice(), json!({ "chatAppId": "files" }))
            .await,
        201,
    );
    let id = session["sessionId"].as_str().unwrap();

    let reply = api
        .post(
            &format!("/sessions/{id}/files"),
            &alice(),
            json!({ "name": "photo.png", "contentType": "image/png", "size": 2048 }),
        )
        .await;
    let ticket = expect(&reply, 201);
    camel_case(&ticket);
    has_keys(&ticket, &["fileRef", "key", "upload"]);
    has_keys(
        &ticket["upload"],
        &["url", "method", "headers", "expiresAt"],
    );
    assert_eq!(ticket["upload"]["method"], "PUT");
    assert!(ticket["fileRef"].as_str().unwrap().ends_with("/photo.png"));

    let (files_path, owner) = (format!("/sessions/{id}/files"), alice());
    let upload = |body: Value| api.post(&files_path, &owner, body);
    problem(
        &upload(json!({ "name": "x.exe", "contentType": "application/x-msdownload", "size": 10 }))
            .await,
        400,
        "invalid_request",
    );
    problem(
        &upload(json!({ "name": "big.png", "contentType": "image/png", "size": 5_000_000 })).await,
        400,
        "invalid_request",
    );
    problem(
        &upload(json!({ "name": "  ", "contentType": "image/png", "size": 10 })).await,
        400,
        "invalid_request",
    );
    problem(
        &api.post(
            &format!("/sessions/{id}/files"),
            &bob(),
            json!({ "name": "a.png", "contentType": "image/png", "size": 1 }),
        )
        .await,
        404,
        "not_found",
    );

    // The default app has no uploads.
    let plain = new_session(&api, &alice()).await;
    problem(
        &api.post(
            &format!("/sessions/{plain}/files"),
            &alice(),
            json!({ "name": "a.png", "contentType": "image/png", "size": 1 }),
        )
        .await,
        403,
        "forbidden",
    );
}

// ------------------------------------------------------------------ turns

fn expect_stream(reply: &Reply) -> Vec<(String, Value)> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let ct = reply.headers["content-type"].to_str().unwrap();
    assert!(ct.starts_with("text/event-stream"), "{ct}");
    events(reply)
}

#[tokio::test]
async fn chat_streams_session_delta_usage_done() {
    let api = Api::new().await;
    api.fakes.runtime.push(Script::answer("Hello there, Alice"));
    let reply = api
        .post(
            &format!("/chat/{APP}/messages"),
            &alice(),
            json!({ "message": "Hi" }),
        )
        .await;
    let ev = expect_stream(&reply);
    assert_eq!(reply.headers["cache-control"], "no-cache");
    let session = reply.headers["x-chatbot-session-id"]
        .to_str()
        .unwrap()
        .to_string();

    let n = names(&ev);
    assert_eq!(n.first(), Some(&"session"), "{n:?}");
    assert_eq!(n.last(), Some(&"done"), "{n:?}");
    let usage_at = n.iter().position(|e| *e == "usage").expect("a usage event");
    assert_eq!(usage_at, n.len() - 2, "usage right before done: {n:?}");
    assert!(n[1..usage_at].iter().all(|e| *e == "delta"), "{n:?}");
    assert!(usage_at > 1, "at least one delta");

    let started = data(&ev, "session");
    has_keys(
        started,
        &["sessionId", "userMessageId", "assistantMessageId"],
    );
    assert_eq!(started["sessionId"], session.as_str());
    let text: String = ev
        .iter()
        .filter(|(n, _)| n == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Hello there, Alice");
    has_keys(
        data(&ev, "usage"),
        &["inputTokens", "outputTokens", "totalCost"],
    );
    let done = data(&ev, "done");
    assert_eq!(done["userMessageId"], started["userMessageId"]);
    assert_eq!(done["assistantMessageId"], started["assistantMessageId"]);
    ev.iter().for_each(|(_, d)| camel_case(d));

    // Every frame's id is {assistantMessageId}:{seq}.
    let assistant = started["assistantMessageId"].as_str().unwrap();
    for (seq, frame) in sse::parse(&reply.text())
        .iter()
        .filter(|f| !f.comment)
        .enumerate()
    {
        assert_eq!(
            frame.id.as_deref(),
            Some(format!("{assistant}:{seq}").as_str())
        );
    }

    let stored = api.fakes.messages.of_session(&sid(&session));
    assert_eq!(stored.len(), 2);
    assert!(
        stored.iter().any(|m| m.content == "Hi")
            && stored.iter().any(|m| m.content == "Hello there, Alice")
    );
}

#[tokio::test]
async fn chat_in_pika_text_when_asked() {
    let api = Api::new().await;
    api.fakes
        .runtime
        .push(Script::answer("<answer>plain</answer>"));
    let req = Request::post(format!("/chat/{APP}/messages"))
        .header("authorization", format!("Bearer {}", api.token(&alice())))
        .header("content-type", "application/json")
        .header("accept", "text/plain")
        .body(Body::from(json!({ "message": "hi" }).to_string()))
        .unwrap();
    let reply = api.send(req).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert!(reply.headers.contains_key("x-chatbot-session-id"));
    let body = reply.text();
    assert!(body.contains("<answer>plain</answer>"), "{body}");
    assert!(body.contains("<pika-metadata>"), "{body}");
}

#[tokio::test]
async fn send_in_an_existing_session() {
    let api = Api::new().await;
    let id = new_session(&api, &alice()).await;
    api.fakes.runtime.push(Script::answer("ok"));
    let reply = api
        .post(
            &format!("/sessions/{id}/messages"),
            &alice(),
            json!({ "message": "hello" }),
        )
        .await;
    let ev = expect_stream(&reply);
    assert_eq!(data(&ev, "session")["sessionId"], id.as_str());
    assert_eq!(reply.headers["x-chatbot-session-id"], id.as_str());
    assert_eq!(names(&ev).last(), Some(&"done"));

    problem(
        &api.post(
            &format!("/sessions/{id}/messages"),
            &bob(),
            json!({ "message": "hi" }),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &api.post(
            &format!("/sessions/{NO_SUCH_SESSION}/messages"),
            &alice(),
            json!({ "message": "hi" }),
        )
        .await,
        404,
        "not_found",
    );
    // A content admin may view but never post.
    problem(
        &api.post(
            &format!("/sessions/{id}/messages"),
            &editor(),
            json!({ "message": "hi" }),
        )
        .await,
        403,
        "forbidden",
    );
    problem(
        &api.post("/chat/nope/messages", &alice(), json!({ "message": "hi" }))
            .await,
        404,
        "not_found",
    );
    assert_eq!(api.fakes.messages.len(), 2, "refused turns store nothing");
    assert_eq!(api.fakes.sessions.len(), 1);
}

#[tokio::test]
async fn idempotent_retry_replays_the_stored_turn() {
    let api = Api::new().await;
    api.fakes.runtime.push(Script::answer("once"));
    let body = json!({ "message": "hi", "clientMessageId": "c-1" });
    let first = api
        .post(&format!("/chat/{APP}/messages"), &alice(), body.clone())
        .await;
    let first_ev = expect_stream(&first);
    let again = api
        .post(&format!("/chat/{APP}/messages"), &alice(), body)
        .await;
    let again_ev = expect_stream(&again);
    assert_eq!(
        first.headers["x-chatbot-session-id"],
        again.headers["x-chatbot-session-id"]
    );
    assert_eq!(data(&first_ev, "done"), data(&again_ev, "done"));
    assert_eq!(api.fakes.sessions.len(), 1, "never a second session");
    assert_eq!(api.fakes.runtime.calls(), 1, "never a second turn");
}

#[tokio::test]
async fn resume_returns_the_events_after_the_last_seen() {
    let api = Api::new().await;
    let (id, ev) = chatted(&api, &alice(), "hi", "a longer answer").await;
    let assistant = data(&ev, "session")["assistantMessageId"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/sessions/{id}/messages/{assistant}/events");

    let all = expect_stream(&api.get(&path, &alice()).await);
    assert_eq!(names(&all), names(&ev));
    let after = expect_stream(&api.get(&format!("{path}?after=0"), &alice()).await);
    assert_eq!(names(&after), names(&ev)[1..].to_vec());
    let t = api.token(&alice());
    let reply = raw(
        &api,
        Method::GET,
        &path,
        Some(&t),
        &[("last-event-id", &format!("{assistant}:1"))],
    )
    .await;
    assert_eq!(names(&expect_stream(&reply)), names(&ev)[2..].to_vec());

    problem(&api.get(&path, &bob()).await, 404, "not_found");
    problem(
        &api.get(
            &format!("/sessions/{id}/messages/{NO_SUCH_UUID}/events"),
            &alice(),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &api.get(
            &format!("/sessions/{NO_SUCH_SESSION}/messages/{assistant}/events"),
            &alice(),
        )
        .await,
        404,
        "not_found",
    );
    let reply = raw(
        &api,
        Method::GET,
        &path,
        Some(&t),
        &[("last-event-id", "garbage")],
    )
    .await;
    problem(&reply, 400, "invalid_request");
    let reply = raw(
        &api,
        Method::GET,
        &path,
        Some(&t),
        &[("last-event-id", &format!("{NO_SUCH_UUID}:1"))],
    )
    .await;
    problem(&reply, 400, "invalid_request");
}

#[tokio::test]
async fn stop_when_nothing_runs() {
    let api = Api::new().await;
    let id = new_session(&api, &alice()).await;
    let reply = call(
        &api,
        Method::POST,
        &format!("/sessions/{id}/stop"),
        &alice(),
        None,
    )
    .await;
    assert_eq!(expect(&reply, 200), json!({ "stopped": false }));
    problem(
        &call(
            &api,
            Method::POST,
            &format!("/sessions/{id}/stop"),
            &bob(),
            None,
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &call(
            &api,
            Method::POST,
            &format!("/sessions/{id}/stop"),
            &editor(),
            None,
        )
        .await,
        403,
        "forbidden",
    );
    problem(
        &call(
            &api,
            Method::POST,
            &format!("/sessions/{NO_SUCH_SESSION}/stop"),
            &alice(),
            None,
        )
        .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn a_running_turn_conflicts_and_stops() {
    let api = Api::new().await;
    api.fakes
        .runtime
        .push(Script::new().delta("partial ").hang());
    let req = Request::post(format!("/chat/{APP}/messages"))
        .header("authorization", format!("Bearer {}", api.token(&alice())))
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "message": "tell me", "clientMessageId": "c-run" }).to_string(),
        ))
        .unwrap();
    // Keep the streaming response open without reading it.
    let running = api.router.clone().oneshot(req).await.unwrap();
    assert_eq!(running.status(), StatusCode::OK);
    let id = running.headers()["x-chatbot-session-id"]
        .to_str()
        .unwrap()
        .to_string();

    // Let the turn reach the model.
    for _ in 0..100 {
        if api.fakes.runtime.calls() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let reply = api
        .post(
            &format!("/sessions/{id}/messages"),
            &alice(),
            json!({ "message": "and?" }),
        )
        .await;
    problem(&reply, 409, "conflict");
    let reply = api
        .post(
            &format!("/chat/{APP}/messages"),
            &alice(),
            json!({ "message": "tell me", "clientMessageId": "c-run" }),
        )
        .await;
    problem(&reply, 409, "conflict");
    assert_eq!(
        api.fakes.messages.len(),
        1,
        "only the running turn's user message"
    );

    let stopped = call(
        &api,
        Method::POST,
        &format!("/sessions/{id}/stop"),
        &alice(),
        None,
    )
    .await;
    assert_eq!(expect(&stopped, 200), json!({ "stopped": true }));
    let body = tokio::time::timeout(
        Duration::from_secs(10),
        http_body_util::BodyExt::collect(running.into_body()),
    )
    .await
    .expect("the stream ends after stop")
    .unwrap()
    .to_bytes();
    let reply = Reply {
        status: StatusCode::OK,
        headers: Default::default(),
        body: body.to_vec(),
    };
    let ev = events(&reply);
    assert_eq!(names(&ev).last(), Some(&"done"), "{ev:?}");
    assert_eq!(data(&ev, "done")["stopped"], true);
    let answer = api
        .fakes
        .messages
        .of_session(&sid(&id))
        .into_iter()
        .find(|m| m.content.starts_with("partial"))
        .unwrap();
    assert!(answer.stopped);
}

#[tokio::test]
async fn quota_exceeded_is_429_with_resets_at_and_stores_nothing() {
    let mut site = fixtures::site();
    site.quotas = QuotaLimits {
        user_tokens_per_window: Some(100),
        entity_tokens_per_window: None,
        window_hours: Some(24),
    };
    let api = Api::with(site, ApiConfig::default()).await;
    let (id, _) = chatted(&api, &alice(), "spend", "120 tokens").await;
    let (sessions, messages) = (api.fakes.sessions.len(), api.fakes.messages.len());

    let reply = api
        .post(
            &format!("/chat/{APP}/messages"),
            &alice(),
            json!({ "message": "more" }),
        )
        .await;
    problem(&reply, 429, "quota_exceeded");
    let resets = reply.json()["resetsAt"]
        .as_str()
        .expect("resetsAt")
        .to_string();
    let resets = pika_domain::chrono::DateTime::parse_from_rfc3339(&resets).expect("RFC 3339");
    assert!(
        resets > fixtures::t0() && resets <= fixtures::t0() + ChronoDuration::hours(25),
        "{resets}"
    );
    problem(
        &api.post(
            &format!("/sessions/{id}/messages"),
            &alice(),
            json!({ "message": "more" }),
        )
        .await,
        429,
        "quota_exceeded",
    );
    assert_eq!(
        (api.fakes.sessions.len(), api.fakes.messages.len()),
        (sessions, messages),
        "nothing stored"
    );

    // The quota is per user: bob still may chat.
    chatted(&api, &bob(), "hi", "hello").await;
}

// -------------------------------------------------------------- chat apps

#[tokio::test]
async fn chatapps_lists_only_allowed_apps_with_resolved_features() {
    let api = Api::new().await;
    let mut internal = fixtures::chat_app("internal-only", AGENT);
    internal.access_rules = pika_domain::access::AccessRules::for_types([UserType::InternalUser]);
    api.seed_app(internal, fixtures::agent(AGENT, &[]), vec![])
        .await;
    let mut off = fixtures::chat_app("disabled", AGENT);
    off.enabled = false;
    api.seed_app(off, fixtures::agent(AGENT, &[]), vec![]).await;
    api.seed_app(with_uploads("files"), fixtures::agent(AGENT, &[]), vec![])
        .await;

    let body = expect(&api.get("/chatapps", &alice()).await, 200);
    camel_case(&body);
    let mut ids = page_items_ids(&body);
    ids.sort();
    assert_eq!(ids, ["files", "support"]);
    let support = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["chatAppId"] == APP)
        .unwrap();
    has_keys(
        support,
        &[
            "chatAppId",
            "title",
            "description",
            "modesSupported",
            "features",
        ],
    );
    assert_eq!(support["title"], "support app");
    assert_eq!(support["modesSupported"], json!(["standalone"]));
    assert_eq!(
        support["features"]["promptInputFieldLabel"],
        "Ready to chat"
    );
    assert!(support["features"]["fileUpload"].is_null());
    assert_eq!(support["features"]["entityAttributePath"], "accountId");
    let files = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["chatAppId"] == "files")
        .unwrap();
    assert_eq!(files["features"]["fileUpload"]["enabled"], true);

    let mut internal_ids = page_items_ids(&expect(&api.get("/chatapps", &admin()).await, 200));
    internal_ids.sort();
    assert_eq!(internal_ids, ["files", "internal-only", "support"]);

    let one = expect(&api.get(&format!("/chatapps/{APP}"), &alice()).await, 200);
    assert_eq!(&one, support);
    problem(
        &api.get("/chatapps/internal-only", &alice()).await,
        404,
        "not_found",
    );
    problem(
        &api.get("/chatapps/disabled", &alice()).await,
        404,
        "not_found",
    );
    problem(
        &api.get("/chatapps/never-heard-of-it", &alice()).await,
        404,
        "not_found",
    );
    expect(&api.get("/chatapps/internal-only", &admin()).await, 200);
}

// ---------------------------------------------------- search, memory, insights

#[tokio::test]
async fn search_finds_only_own_sessions() {
    let api = Api::new().await;
    let (mine, _) = chatted(&api, &alice(), "tell me about zebras", "zebras are striped").await;
    let (theirs, _) = chatted(&api, &bob(), "zebras again", "zebras run fast").await;

    let body = expect(&api.get("/search?q=zebras", &alice()).await, 200);
    camel_case(&body);
    let hits = page(&body);
    assert!(!hits.is_empty());
    for hit in &hits {
        has_keys(hit, &["document", "snippet", "score"]);
        assert_eq!(hit["document"]["userId"], "alice");
        assert_eq!(hit["document"]["sessionId"], mine.as_str());
    }
    // Asking for another user's sessions still yields only one's own.
    let body = expect(&api.get("/search?q=zebras&userId=bob", &alice()).await, 200);
    assert!(page(&body)
        .iter()
        .all(|h| h["document"]["userId"] == "alice"));

    // Site admins search everyone's.
    let body = expect(
        &api.get("/search?q=zebras&userId=bob&sort=newest", &admin())
            .await,
        200,
    );
    let hits = page(&body);
    assert!(
        !hits.is_empty()
            && hits
                .iter()
                .all(|h| h["document"]["sessionId"] == theirs.as_str())
    );

    let body = expect(
        &api.get(
            "/search?q=zebras&from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z",
            &alice(),
        )
        .await,
        200,
    );
    assert!(!page(&body).is_empty());
    problem(
        &api.get(
            "/search?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z",
            &alice(),
        )
        .await,
        400,
        "invalid_request",
    );
}

#[tokio::test]
async fn memory_lists_the_callers_records() {
    let api = Api::new().await;
    for (user, content) in [("alice", "prefers short answers"), ("bob", "likes tables")] {
        api.fakes.memory.seed(MemoryRecord {
            record_id: format!("r-{user}"),
            user_id: fixtures::user_id(user),
            strategy: MemoryStrategy::Preferences,
            content: content.to_string(),
            created_at: fixtures::t0(),
            source_session_id: None,
        });
    }
    let body = expect(&api.get("/memory", &alice()).await, 200);
    camel_case(&body);
    let items = page(&body);
    assert_eq!(items.len(), 1);
    has_keys(
        &items[0],
        &["recordId", "userId", "strategy", "content", "createdAt"],
    );
    assert_eq!(items[0]["content"], "prefers short answers");
    assert!(page(&expect(&api.get("/memory", &carol()).await, 200)).is_empty());
}

#[tokio::test]
async fn insights_for_site_admins_and_owners() {
    let api = Api::new().await;
    let (id, _) = chatted(&api, &alice(), "q", "a").await;
    expect(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "thumbs_up" }),
        )
        .await,
        201,
    );

    let own = expect(&api.get(&format!("/insights/{id}"), &alice()).await, 200);
    camel_case(&own);
    has_keys(&own, &["assessment", "feedback"]);
    assert!(own["assessment"].is_null(), "not assessed yet");
    assert_eq!(own["feedback"].as_array().unwrap().len(), 1);
    expect(&api.get(&format!("/insights/{id}"), &admin()).await, 200);
    problem(
        &api.get(&format!("/insights/{id}"), &bob()).await,
        404,
        "not_found",
    );
    problem(
        &api.get(&format!("/insights/{id}"), &editor()).await,
        404,
        "not_found",
    );
    problem(
        &api.get(&format!("/insights/{NO_SUCH_SESSION}"), &alice())
            .await,
        404,
        "not_found",
    );

    problem(&api.get("/insights", &alice()).await, 403, "forbidden");
    problem(&api.get("/insights", &editor()).await, 403, "forbidden");
    let all = expect(&api.get("/insights", &admin()).await, 200);
    camel_case(&all);
    let items = page(&all);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["kind"], "thumbs_up");
    assert_eq!(
        page(&expect(
            &api.get("/insights?status=open&chatAppId=support", &admin())
                .await,
            200
        ))
        .len(),
        1
    );
    assert!(page(&expect(
        &api.get("/insights?status=closed", &admin()).await,
        200
    ))
    .is_empty());
}

// ------------------------------------------------------------------- admin

/// Every `/admin/*` route with a concrete path and a valid body.
fn admin_calls() -> Vec<(Method, String, Option<Value>)> {
    let app = serde_json::to_value(fixtures::chat_app(APP, AGENT)).unwrap();
    let agent = serde_json::to_value(fixtures::agent(AGENT, &[])).unwrap();
    let tool = serde_json::to_value(fixtures::inline_tool("lookup", "lookup")).unwrap();
    vec![
        (Method::GET, "/admin/chatapps".into(), None),
        (
            Method::POST,
            "/admin/chatapps".into(),
            Some(serde_json::to_value(fixtures::chat_app("fresh", AGENT)).unwrap()),
        ),
        (Method::GET, format!("/admin/chatapps/{APP}"), None),
        (Method::PUT, format!("/admin/chatapps/{APP}"), Some(app)),
        (
            Method::POST,
            format!("/admin/chatapps/{APP}/override"),
            Some(json!({ "title": "Overridden" })),
        ),
        (
            Method::DELETE,
            format!("/admin/chatapps/{APP}/override"),
            None,
        ),
        (Method::GET, "/admin/agents".into(), None),
        (
            Method::POST,
            "/admin/agents".into(),
            Some(serde_json::to_value(fixtures::agent("fresh-agent", &[])).unwrap()),
        ),
        (Method::GET, format!("/admin/agents/{AGENT}"), None),
        (Method::PUT, format!("/admin/agents/{AGENT}"), Some(agent)),
        (Method::GET, "/admin/tools".into(), None),
        (Method::POST, "/admin/tools".into(), Some(tool.clone())),
        (Method::GET, "/admin/tools/lookup".into(), None),
        (Method::PUT, "/admin/tools/lookup".into(), Some(tool)),
        (
            Method::PATCH,
            format!("/admin/feedback/{NO_SUCH_UUID}"),
            Some(json!({ "status": "closed" })),
        ),
        (
            Method::GET,
            "/admin/analytics?from=2026-01-01&to=2026-01-31".into(),
            None,
        ),
        (Method::DELETE, "/admin/users/alice/data".into(), None),
    ]
}

#[tokio::test]
async fn admin_routes_are_403_for_everyone_but_site_admins() {
    let api = Api::new().await;
    let (id, _) = chatted(&api, &alice(), "keep me", "kept").await;
    let calls = admin_calls();
    // The table covers every admin route of the router.
    let covered: BTreeSet<(String, String)> = calls
        .iter()
        .map(|(m, p, _)| {
            let path = p.split('?').next().unwrap();
            let template = router_routes()
                .into_iter()
                .map(|(_, t)| t)
                .find(|t| {
                    let (a, b): (Vec<_>, Vec<_>) =
                        (t.split('/').collect(), path.split('/').collect());
                    a.len() == b.len()
                        && a.iter().zip(&b).all(|(x, y)| x.starts_with('{') || x == y)
                })
                .unwrap_or_else(|| panic!("no route for {path}"));
            (m.to_string(), normalize(&template))
        })
        .collect();
    let admin_routes: BTreeSet<(String, String)> = router_routes()
        .into_iter()
        .filter(|(_, p)| p.starts_with("/admin/"))
        .map(|(m, p)| (m, normalize(&p)))
        .collect();
    assert_eq!(covered, admin_routes);

    for user in [alice(), editor()] {
        for (method, path, body) in &calls {
            let reply = call(&api, method.clone(), path, &user, body.clone()).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{method} {path} as {}: {}",
                user.user_id,
                reply.text()
            );
            assert_eq!(reply.code(), "forbidden");
        }
    }
    // Nothing changed.
    expect(&api.get(&format!("/sessions/{id}"), &alice()).await, 200);
    problem(
        &api.get("/chatapps/fresh", &alice()).await,
        404,
        "not_found",
    );
    assert_eq!(
        api.get(&format!("/chatapps/{APP}"), &alice()).await.json()["title"],
        "support app"
    );
}

#[tokio::test]
async fn admin_chat_app_crud_with_versions_and_override() {
    let api = Api::new().await;
    let root = admin();
    let list = expect(&api.get("/admin/chatapps", &root).await, 200);
    camel_case(&list);
    assert_eq!(page(&list).len(), 1);

    let fresh = fixtures::chat_app("fresh", AGENT);
    let created = expect(
        &api.post(
            "/admin/chatapps",
            &root,
            serde_json::to_value(&fresh).unwrap(),
        )
        .await,
        201,
    );
    camel_case(&created);
    has_keys(
        &created,
        &[
            "chatAppId",
            "title",
            "agentId",
            "enabled",
            "accessRules",
            "features",
            "modesSupported",
            "version",
        ],
    );
    assert_eq!(created["version"], 1);
    assert_eq!(created["updatedBy"], "root");
    problem(
        &api.post(
            "/admin/chatapps",
            &root,
            serde_json::to_value(&fresh).unwrap(),
        )
        .await,
        409,
        "conflict",
    );
    let mut orphan = fixtures::chat_app("orphan", "no-such-agent");
    orphan.title = "Orphan".into();
    problem(
        &api.post(
            "/admin/chatapps",
            &root,
            serde_json::to_value(&orphan).unwrap(),
        )
        .await,
        400,
        "invalid_request",
    );
    let mut untitled = fixtures::chat_app("untitled", AGENT);
    untitled.title = "  ".into();
    problem(
        &api.post(
            "/admin/chatapps",
            &root,
            serde_json::to_value(&untitled).unwrap(),
        )
        .await,
        400,
        "invalid_request",
    );
    // Users see the new app at once.
    expect(&api.get("/chatapps/fresh", &alice()).await, 200);

    let read = expect(&api.get("/admin/chatapps/fresh", &root).await, 200);
    has_keys(&read, &["chatApp", "override"]);
    assert!(read["override"].is_null());
    problem(
        &api.get("/admin/chatapps/nope", &root).await,
        404,
        "not_found",
    );

    let mut change = read["chatApp"].clone();
    change["title"] = json!("Fresh v2");
    let updated = expect(
        &call(
            &api,
            Method::PUT,
            "/admin/chatapps/fresh",
            &root,
            Some(change.clone()),
        )
        .await,
        200,
    );
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["title"], "Fresh v2");
    // The same stale version again: conflict.
    problem(
        &call(
            &api,
            Method::PUT,
            "/admin/chatapps/fresh",
            &root,
            Some(change.clone()),
        )
        .await,
        409,
        "conflict",
    );
    problem(
        &call(
            &api,
            Method::PUT,
            "/admin/chatapps/other-id",
            &root,
            Some(change.clone()),
        )
        .await,
        400,
        "invalid_request",
    );
    let mut ghost = change.clone();
    ghost["chatAppId"] = json!("ghost");
    problem(
        &call(
            &api,
            Method::PUT,
            "/admin/chatapps/ghost",
            &root,
            Some(ghost),
        )
        .await,
        404,
        "not_found",
    );
    assert_eq!(
        api.get("/chatapps/fresh", &alice()).await.json()["title"],
        "Fresh v2"
    );

    let ovr = expect(
        &api.post(
            "/admin/chatapps/fresh/override",
            &root,
            json!({ "title": "Fresh (override)", "exclusiveUserIdAccessControl": ["bob"] }),
        )
        .await,
        200,
    );
    camel_case(&ovr);
    assert_eq!(ovr["title"], "Fresh (override)");
    assert_eq!(
        expect(&api.get("/admin/chatapps/fresh", &root).await, 200)["override"]["title"],
        "Fresh (override)"
    );
    // The override decides: only bob, with its title.
    problem(
        &api.get("/chatapps/fresh", &alice()).await,
        404,
        "not_found",
    );
    assert_eq!(
        expect(&api.get("/chatapps/fresh", &bob()).await, 200)["title"],
        "Fresh (override)"
    );
    problem(
        &api.post(
            "/admin/chatapps/nope/override",
            &root,
            json!({ "title": "x" }),
        )
        .await,
        404,
        "not_found",
    );

    let reply = call(
        &api,
        Method::DELETE,
        "/admin/chatapps/fresh/override",
        &root,
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert!(reply.body.is_empty());
    assert_eq!(
        expect(&api.get("/chatapps/fresh", &alice()).await, 200)["title"],
        "Fresh v2"
    );
}

#[tokio::test]
async fn admin_agent_crud() {
    let api = Api::new().await;
    let root = admin();
    assert_eq!(
        page(&expect(&api.get("/admin/agents", &root).await, 200)).len(),
        1
    );
    let created = expect(
        &api.post(
            "/admin/agents",
            &root,
            serde_json::to_value(fixtures::agent("helper", &[])).unwrap(),
        )
        .await,
        201,
    );
    camel_case(&created);
    has_keys(
        &created,
        &["agentId", "instruction", "modelId", "toolIds", "version"],
    );
    assert_eq!(created["version"], 1);
    problem(
        &api.post(
            "/admin/agents",
            &root,
            serde_json::to_value(fixtures::agent("helper", &[])).unwrap(),
        )
        .await,
        409,
        "conflict",
    );
    problem(
        &api.post(
            "/admin/agents",
            &root,
            serde_json::to_value(fixtures::agent("tooled", &["no-such-tool"])).unwrap(),
        )
        .await,
        400,
        "invalid_request",
    );

    let read = expect(&api.get("/admin/agents/helper", &root).await, 200);
    assert_eq!(read, created);
    problem(
        &api.get("/admin/agents/nope", &root).await,
        404,
        "not_found",
    );

    let mut change = read.clone();
    change["instruction"] = json!("Be brief.");
    let updated = expect(
        &call(
            &api,
            Method::PUT,
            "/admin/agents/helper",
            &root,
            Some(change.clone()),
        )
        .await,
        200,
    );
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["instruction"], "Be brief.");
    problem(
        &call(
            &api,
            Method::PUT,
            "/admin/agents/helper",
            &root,
            Some(change.clone()),
        )
        .await,
        409,
        "conflict",
    );
    problem(
        &call(
            &api,
            Method::PUT,
            "/admin/agents/other",
            &root,
            Some(change),
        )
        .await,
        400,
        "invalid_request",
    );
}

#[tokio::test]
async fn admin_tool_crud() {
    let api = Api::new().await;
    let root = admin();
    assert!(page(&expect(&api.get("/admin/tools", &root).await, 200)).is_empty());
    let tool = fixtures::inline_tool("lookup", "lookup");
    let created = expect(
        &api.post("/admin/tools", &root, serde_json::to_value(&tool).unwrap())
            .await,
        201,
    );
    camel_case(&created);
    has_keys(
        &created,
        &[
            "toolId",
            "name",
            "displayName",
            "description",
            "executionType",
            "functionSchema",
            "version",
        ],
    );
    assert_eq!(created["version"], 1);
    problem(
        &api.post("/admin/tools", &root, serde_json::to_value(&tool).unwrap())
            .await,
        409,
        "conflict",
    );
    let mut http_tool = fixtures::inline_tool("remote", "remote");
    http_tool.execution_type = ExecutionType::Http;
    problem(
        &api.post(
            "/admin/tools",
            &root,
            serde_json::to_value(&http_tool).unwrap(),
        )
        .await,
        400,
        "invalid_request",
    );

    let read = expect(&api.get("/admin/tools/lookup", &root).await, 200);
    assert_eq!(read, created);
    problem(&api.get("/admin/tools/nope", &root).await, 404, "not_found");
    assert_eq!(
        page(&expect(&api.get("/admin/tools", &root).await, 200)).len(),
        1
    );

    let mut change = read.clone();
    change["displayName"] = json!("Lookup v2");
    let updated = expect(
        &call(
            &api,
            Method::PUT,
            "/admin/tools/lookup",
            &root,
            Some(change.clone()),
        )
        .await,
        200,
    );
    assert_eq!(updated["version"], 2);
    problem(
        &call(
            &api,
            Method::PUT,
            "/admin/tools/lookup",
            &root,
            Some(change.clone()),
        )
        .await,
        409,
        "conflict",
    );
    problem(
        &call(&api, Method::PUT, "/admin/tools/other", &root, Some(change)).await,
        400,
        "invalid_request",
    );
}

#[tokio::test]
async fn admin_triages_feedback() {
    let api = Api::new().await;
    let (id, _) = chatted(&api, &alice(), "q", "a").await;
    let fb = expect(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "incorrect" }),
        )
        .await,
        201,
    );
    let fid = fb["feedbackId"].as_str().unwrap();

    let body = json!({ "status": "in_review", "severity": "high", "internalComment": "looking" });
    let triaged = expect(
        &call(
            &api,
            Method::PATCH,
            &format!("/admin/feedback/{fid}"),
            &admin(),
            Some(body.clone()),
        )
        .await,
        200,
    );
    camel_case(&triaged);
    assert_eq!(triaged["status"], "in_review");
    assert_eq!(triaged["severity"], "high");
    assert_eq!(triaged["internalComment"], "looking");
    // The owner does not see internal notes.
    let own = expect(&api.get(&format!("/insights/{id}"), &alice()).await, 200);
    assert!(own["feedback"][0].get("internalComment").is_none(), "{own}");

    problem(
        &call(
            &api,
            Method::PATCH,
            &format!("/admin/feedback/{NO_SUCH_UUID}"),
            &admin(),
            Some(body.clone()),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &call(
            &api,
            Method::PATCH,
            &format!("/admin/feedback/{fid}"),
            &alice(),
            Some(body),
        )
        .await,
        403,
        "forbidden",
    );
    problem(
        &call(
            &api,
            Method::PATCH,
            &format!("/admin/feedback/{fid}"),
            &admin(),
            Some(json!({ "status": "done" })),
        )
        .await,
        400,
        "invalid_request",
    );
    problem(
        &call(
            &api,
            Method::PATCH,
            &format!("/admin/feedback/{fid}"),
            &admin(),
            Some(json!({ "severity": "apocalyptic" })),
        )
        .await,
        400,
        "invalid_request",
    );
}

#[tokio::test]
async fn admin_analytics_over_a_range() {
    let api = Api::new().await;
    chatted(&api, &alice(), "q", "a").await;
    let body = expect(
        &api.get("/admin/analytics?from=2026-01-01&to=2026-01-31", &admin())
            .await,
        200,
    );
    camel_case(&body);
    has_keys(
        &body,
        &["totals", "series", "byModel", "byChatApp", "byEntity"],
    );
    assert_eq!(body["totals"]["turns"], 1);
    has_keys(
        &body["totals"]["usage"],
        &["inputTokens", "outputTokens", "totalCost"],
    );
    assert_eq!(
        body["series"].as_array().unwrap().len(),
        31,
        "one row per day"
    );
    assert_eq!(body["byChatApp"][0]["chatAppId"], APP);
    assert_eq!(body["byEntity"][0]["entityId"], "acme");
    assert!(body["byModel"][0]["modelId"].is_string());

    let filtered = expect(
        &api.get(
            "/admin/analytics?from=2026-01-01&to=2026-01-31&chatAppId=other",
            &admin(),
        )
        .await,
        200,
    );
    assert_eq!(filtered["totals"]["turns"], 0);
    problem(
        &api.get("/admin/analytics?from=2026-02-01&to=2026-01-01", &admin())
            .await,
        400,
        "invalid_request",
    );
    problem(
        &api.get("/admin/analytics?from=2026-01-01", &admin()).await,
        400,
        "invalid_request",
    );
    problem(
        &api.get("/admin/analytics?from=2026-01-01&to=2026-01-31", &alice())
            .await,
        403,
        "forbidden",
    );
}

#[tokio::test]
async fn site_admin_erases_a_users_data() {
    let api = Api::new().await;
    let (first, _) = chatted(&api, &alice(), "one", "1").await;
    let (second, _) = chatted(&api, &alice(), "two", "2").await;
    let (kept, _) = chatted(&api, &bob(), "three", "3").await;

    problem(
        &call(
            &api,
            Method::DELETE,
            "/admin/users/alice/data",
            &alice(),
            None,
        )
        .await,
        403,
        "forbidden",
    );
    problem(
        &call(
            &api,
            Method::DELETE,
            "/admin/users/alice/data",
            &editor(),
            None,
        )
        .await,
        403,
        "forbidden",
    );

    let report = expect(
        &call(
            &api,
            Method::DELETE,
            "/admin/users/alice/data",
            &admin(),
            None,
        )
        .await,
        200,
    );
    has_keys(&report, &["sessions", "files"]);
    assert_eq!(report["sessions"], 2);
    for id in [&first, &second] {
        problem(
            &api.get(&format!("/sessions/{id}"), &alice()).await,
            404,
            "not_found",
        );
        problem(
            &api.get(&format!("/sessions/{id}"), &admin()).await,
            404,
            "not_found",
        );
    }
    assert!(page(&expect(&api.get("/sessions", &alice()).await, 200)).is_empty());
    assert!(page(&expect(&api.get("/search?q=one", &admin()).await, 200)).is_empty());
    expect(&api.get(&format!("/sessions/{kept}"), &bob()).await, 200);
    assert_eq!(api.fakes.sessions.len(), 1);

    // Erasing again finds nothing left.
    let again = expect(
        &call(
            &api,
            Method::DELETE,
            "/admin/users/alice/data",
            &admin(),
            None,
        )
        .await,
        200,
    );
    assert_eq!(again["sessions"], 0);
}

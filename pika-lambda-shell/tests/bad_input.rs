//! Hostile and malformed input: each is a 4xx problem document with the
//! right `code`, and nothing is stored. Valid Unicode is accepted and stored
//! exactly as sent. Arbitrary input never yields a 5xx.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use pika_domain::ids::SessionId;
use pika_domain::message::Role;
use pika_domain::user::User;
use pika_lambda_shell::http::ApiConfig;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use proptest::prelude::*;
use serde_json::json;
use support::{Api, Reply, APP};

/// A well-formed session id (UUIDv7) that names no session.
const NO_SUCH_SESSION: &str = "0190f2c4-8f1e-7a3b-9c4d-2e5f6a7b8c9d";
/// A well-formed UUIDv4: a valid message id, never a session id.
const V4: &str = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f";

fn alice() -> User {
    fixtures::customer("alice")
}

fn admin() -> User {
    fixtures::site_admin("root")
}

/// Sends `body` as it is, with an optional content type.
async fn send_raw(
    api: &Api,
    method: Method,
    path: &str,
    user: Option<&User>,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(u) = user {
        req = req.header("authorization", format!("Bearer {}", api.token(u)));
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    api.send(req.body(body.into()).unwrap()).await
}

async fn post_json_text(api: &Api, path: &str, body: &str) -> Reply {
    send_raw(
        api,
        Method::POST,
        path,
        Some(&alice()),
        Some("application/json"),
        body.to_string(),
    )
    .await
}

/// Asserts a 4xx problem document with `code`.
#[track_caller]
fn refused(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text());
    assert_eq!(reply.code(), code, "{}", reply.text());
}

#[track_caller]
fn invalid(reply: &Reply) {
    refused(reply, 400, "invalid_request");
}

#[track_caller]
fn nothing_stored(api: &Api) {
    assert!(
        api.fakes.sessions.is_empty(),
        "no session stored: {:?}",
        api.fakes.sessions.all()
    );
    assert!(
        api.fakes.messages.is_empty(),
        "no message stored: {:?}",
        api.fakes.messages.all()
    );
}

fn chat_path() -> String {
    format!("/chat/{APP}/messages")
}

/// A session of alice with no messages yet.
async fn empty_session(api: &Api) -> String {
    let reply = api
        .post("/sessions", &alice(), json!({ "chatAppId": APP }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()["sessionId"].as_str().unwrap().to_string()
}

/// Sends `text` as the first message of a new session; returns the stored
/// user message's content.
async fn stored_message(api: &Api, text: &str) -> String {
    api.fakes.runtime.push(Script::answer("ok"));
    let (session, reply) = api.chat(&alice(), text).await;
    assert!(reply.text().contains("event: done"), "{}", reply.text());
    let messages = api
        .fakes
        .messages
        .of_session(&SessionId::parse(&session).unwrap());
    messages
        .into_iter()
        .find(|m| m.role == Role::User)
        .expect("the user message")
        .content
}

// ------------------------------------------------------------ JSON bodies

#[tokio::test]
async fn invalid_json_is_refused() {
    let api = Api::new().await;
    for body in [
        "{not json",
        "{\"message\": \"hi\"",
        "",
        "   ",
        "{\"message\": \"hi\",}",
        "{'message': 'hi'}",
        "{\"message\": \"hi\"} trailing",
        "\u{feff}{\"message\": \"hi\"}",
    ] {
        invalid(&post_json_text(&api, &chat_path(), body).await);
        invalid(&post_json_text(&api, "/sessions", body).await);
    }
    // Invalid UTF-8 inside a JSON string.
    let bytes: Vec<u8> = [b"{\"message\": \"".as_slice(), &[0xff, 0xfe], b"\"}"].concat();
    invalid(
        &send_raw(
            &api,
            Method::POST,
            &chat_path(),
            Some(&alice()),
            Some("application/json"),
            bytes,
        )
        .await,
    );
    nothing_stored(&api);
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_refused() {
    let api = Api::new().await;
    for body in [
        json!(null),
        json!([]),
        json!("hi"),
        json!(42),
        json!({}),
        json!({ "message": 5 }),
        json!({ "message": null }),
        json!({ "message": ["hi"] }),
        json!({ "message": { "text": "hi" } }),
        json!({ "message": "hi", "clientMessageId": 7 }),
        json!({ "message": "hi", "fileIds": "a" }),
        json!({ "message": "hi", "fileIds": [1] }),
        json!({ "Message": "hi" }),
    ] {
        invalid(&api.post(&chat_path(), &alice(), body.clone()).await);
    }
    invalid(&post_json_text(&api, &chat_path(), r#"{"message":"a","message":"b"}"#).await);
    for body in [
        json!({ "chatAppId": 42 }),
        json!({}),
        json!({ "chatAppId": APP, "extra": true }),
        json!({ "chat_app_id": APP }),
    ] {
        invalid(&api.post("/sessions", &alice(), body).await);
    }
    nothing_stored(&api);

    let id = empty_session(&api).await;
    for body in [json!({ "message": 1 }), json!({ "text": "hi" })] {
        invalid(
            &api.post(&format!("/sessions/{id}/messages"), &alice(), body)
                .await,
        );
    }
    invalid(
        &api.post(
            &format!("/sessions/{id}/title"),
            &alice(),
            json!({ "title": 5 }),
        )
        .await,
    );
    invalid(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": 1 }),
        )
        .await,
    );
    invalid(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "comment": "no kind" }),
        )
        .await,
    );
    for body in [
        json!({ "name": "a.png", "contentType": "image/png", "size": -1 }),
        json!({ "name": "a.png", "contentType": "image/png", "size": "big" }),
        json!({ "name": "a.png", "contentType": "image/png", "size": 1.5 }),
        json!({ "name": "a.png", "size": 1 }),
    ] {
        invalid(
            &api.post(&format!("/sessions/{id}/files"), &alice(), body)
                .await,
        );
    }
    assert!(api.fakes.messages.is_empty());
    assert!(api.fakes.feedback.is_empty());

    let root = admin();
    invalid(
        &api.post("/admin/chatapps", &root, json!({ "chatAppId": "x" }))
            .await,
    );
    invalid(&api.post("/admin/chatapps", &root, json!({ "chatAppId": "bad id", "title": "t", "agentId": "agent", "enabled": true, "accessRules": { "enabled": true } })).await);
    let mut app = serde_json::to_value(fixtures::chat_app(APP, "agent")).unwrap();
    app["version"] = json!("one");
    invalid(
        &api.call(
            Method::PUT,
            &format!("/admin/chatapps/{APP}"),
            Some(&api.token(&root)),
            Some(app),
        )
        .await,
    );
    invalid(
        &api.post(
            "/admin/tools",
            &root,
            json!({ "toolId": "t", "name": "bad name!" }),
        )
        .await,
    );
    invalid(
        &api.call(
            Method::PATCH,
            &format!("/admin/feedback/{V4}"),
            Some(&api.token(&root)),
            Some(json!({ "status": 3 })),
        )
        .await,
    );
    assert_eq!(
        api.get(&format!("/chatapps/{APP}"), &alice()).await.json()["title"],
        "support app"
    );
}

#[tokio::test]
async fn deeply_nested_json_is_no_crash() {
    let config = ApiConfig {
        dev_tokens: true,
        ..ApiConfig::default()
    };
    let api = Api::with(fixtures::site(), config).await;
    let depth = 50_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    // Where a value is parsed, nesting beyond the parser's limit is refused.
    let body = format!("{{\"userId\": \"dev\", \"customData\": {{\"a\": {nested}}}}}");
    let reply = send_raw(
        &api,
        Method::POST,
        "/dev/token",
        None,
        Some("application/json"),
        body,
    )
    .await;
    invalid(&reply);
    invalid(&post_json_text(&api, &chat_path(), &format!("{{\"message\": {nested}}}")).await);
    nothing_stored(&api);
    // An ignored field may nest deeply: it is skipped, never a crash.
    api.fakes.runtime.push(Script::answer("ok"));
    let reply = post_json_text(
        &api,
        &chat_path(),
        &format!("{{\"message\": \"hi\", \"x\": {nested}}}"),
    )
    .await;
    assert!(
        reply.status == StatusCode::OK || reply.status == StatusCode::BAD_REQUEST,
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn a_missing_or_wrong_content_type_is_refused() {
    let api = Api::new().await;
    let good = json!({ "message": "hi" }).to_string();
    invalid(
        &send_raw(
            &api,
            Method::POST,
            &chat_path(),
            Some(&alice()),
            None,
            good.clone(),
        )
        .await,
    );
    invalid(
        &send_raw(
            &api,
            Method::POST,
            &chat_path(),
            Some(&alice()),
            Some("text/plain"),
            good.clone(),
        )
        .await,
    );
    invalid(
        &send_raw(
            &api,
            Method::POST,
            &chat_path(),
            Some(&alice()),
            Some("application/x-www-form-urlencoded"),
            "message=hi",
        )
        .await,
    );
    let create = json!({ "chatAppId": APP }).to_string();
    invalid(
        &send_raw(
            &api,
            Method::POST,
            "/sessions",
            Some(&alice()),
            None,
            create.clone(),
        )
        .await,
    );
    invalid(
        &send_raw(
            &api,
            Method::POST,
            "/sessions",
            Some(&alice()),
            Some("multipart/form-data; boundary=x"),
            create.clone(),
        )
        .await,
    );
    nothing_stored(&api);
    // `application/json` with parameters, and `+json` types, are JSON.
    let reply = send_raw(
        &api,
        Method::POST,
        "/sessions",
        Some(&alice()),
        Some("application/json; charset=utf-8"),
        create,
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
}

#[tokio::test]
async fn oversize_bodies_are_413() {
    let config = ApiConfig {
        body_limit_bytes: 1024,
        ..ApiConfig::default()
    };
    let api = Api::with(fixtures::site(), config).await;
    let big = "a".repeat(2048);
    refused(
        &api.post(&chat_path(), &alice(), json!({ "message": big }))
            .await,
        413,
        "payload_too_large",
    );
    refused(
        &api.post(
            "/sessions",
            &alice(),
            json!({ "chatAppId": APP, "pad": big }),
        )
        .await,
        413,
        "payload_too_large",
    );
    // Without a length up front (chunked), too.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(b"{\"message\": \"".to_vec()),
        Ok(vec![b'a'; 2048]),
        Ok(b"\"}".to_vec()),
    ];
    let body = Body::from_stream(futures::stream::iter(chunks));
    refused(
        &send_raw(
            &api,
            Method::POST,
            &chat_path(),
            Some(&alice()),
            Some("application/json"),
            body,
        )
        .await,
        413,
        "payload_too_large",
    );
    nothing_stored(&api);

    // Just under the limit is fine.
    api.fakes.runtime.push(Script::answer("ok"));
    let reply = api
        .post(
            &chat_path(),
            &alice(),
            json!({ "message": "a".repeat(900) }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
}

// --------------------------------------------------------------- messages

#[tokio::test]
async fn empty_and_whitespace_messages_are_refused() {
    let api = Api::new().await;
    for text in ["", " ", "   \n\t  ", "\r\n", "\u{3000}", "\u{a0}\u{2003}"] {
        invalid(
            &api.post(&chat_path(), &alice(), json!({ "message": text }))
                .await,
        );
    }
    nothing_stored(&api);
    let id = empty_session(&api).await;
    for text in ["", "  \n "] {
        invalid(
            &api.post(
                &format!("/sessions/{id}/messages"),
                &alice(),
                json!({ "message": text }),
            )
            .await,
        );
    }
    assert!(api.fakes.messages.is_empty());
    assert_eq!(api.fakes.runtime.calls(), 0, "the model was never asked");
}

#[tokio::test]
async fn overlong_messages_are_refused() {
    let api = Api::new().await;
    invalid(
        &api.post(
            &chat_path(),
            &alice(),
            json!({ "message": "a".repeat(40_000) }),
        )
        .await,
    );
    invalid(
        &api.post(
            &chat_path(),
            &alice(),
            json!({ "message": "é".repeat(32_001) }),
        )
        .await,
    );
    nothing_stored(&api);
    // 32,000 characters (multi-byte ones, too) are the most allowed.
    let longest = "é".repeat(32_000);
    assert_eq!(stored_message(&api, &longest).await, longest);
}

#[tokio::test]
async fn control_characters_are_refused() {
    let api = Api::new().await;
    for text in [
        "hi\u{0}there",
        "\u{0}",
        "bell\u{7}",
        "esc\u{1b}[31m",
        "del\u{7f}",
        "c1\u{85}",
    ] {
        invalid(
            &api.post(&chat_path(), &alice(), json!({ "message": text }))
                .await,
        );
    }
    // As a JSON escape, too.
    invalid(&post_json_text(&api, &chat_path(), r#"{"message": "nul\u0000byte"}"#).await);
    nothing_stored(&api);
    // Newlines and tabs are text.
    assert_eq!(
        stored_message(&api, "line one\nline\ttwo\r\n").await,
        "line one\nline\ttwo\r\n"
    );
}

#[tokio::test]
async fn bad_client_message_ids_and_file_ids_are_refused() {
    let api = Api::new().await;
    for id in [
        "",
        "has space",
        "a/b",
        "x".repeat(129).as_str(),
        "tab\there",
    ] {
        invalid(
            &api.post(
                &chat_path(),
                &alice(),
                json!({ "message": "hi", "clientMessageId": id }),
            )
            .await,
        );
    }
    let eleven: Vec<String> = (0..11).map(|i| format!("{V4}/f{i}.png")).collect();
    invalid(
        &api.post(
            &chat_path(),
            &alice(),
            json!({ "message": "hi", "fileIds": eleven }),
        )
        .await,
    );
    for file in ["nope", "not-a-uuid/a.png", &format!("{V4}/missing.png")] {
        invalid(
            &api.post(
                &chat_path(),
                &alice(),
                json!({ "message": "hi", "fileIds": [file] }),
            )
            .await,
        );
    }
    nothing_stored(&api);
}

#[tokio::test]
async fn control_characters_in_titles_comments_and_notes_are_refused() {
    let api = Api::new().await;
    let id = empty_session(&api).await;
    invalid(
        &api.post(
            &format!("/sessions/{id}/title"),
            &alice(),
            json!({ "title": "bad\u{0}title" }),
        )
        .await,
    );
    invalid(
        &api.post(
            &format!("/sessions/{id}/title"),
            &alice(),
            json!({ "title": "bell\u{7}" }),
        )
        .await,
    );
    assert_eq!(api.fakes.sessions.all()[0].title, None);
    invalid(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "other", "comment": "x\u{0}y" }),
        )
        .await,
    );
    assert!(api.fakes.feedback.is_empty());
    // Line breaks and tabs are text.
    let ok = api
        .post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "other", "comment": "a\n\tb" }),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
    let fid = ok.json()["feedbackId"].as_str().unwrap().to_string();
    let note = json!({ "internalComment": "clear\u{1b}[2J" });
    invalid(
        &api.call(
            Method::PATCH,
            &format!("/admin/feedback/{fid}"),
            Some(&api.token(&admin())),
            Some(note),
        )
        .await,
    );
    assert_eq!(api.fakes.feedback.all()[0].internal_comment, None);
}

// -------------------------------------------------------------- path ids

#[tokio::test]
async fn invalid_session_ids_are_refused() {
    let api = Api::new().await;
    let token = api.token(&alice());
    let bad_ids = [
        "not-a-uuid",
        V4,
        "00000000-0000-0000-0000-000000000000",
        "%20",
        "..",
        "%2E%2E",
        "0190f2c4",
        "%F0%9F%91%8B",
        "%FF",
    ];
    for bad in bad_ids {
        for (method, path) in [
            (Method::GET, format!("/sessions/{bad}")),
            (Method::DELETE, format!("/sessions/{bad}")),
            (Method::GET, format!("/sessions/{bad}/messages")),
            (Method::POST, format!("/sessions/{bad}/messages")),
            (Method::GET, format!("/sessions/{bad}/messages/{V4}/events")),
            (Method::POST, format!("/sessions/{bad}/stop")),
            (Method::POST, format!("/sessions/{bad}/title")),
            (Method::PUT, format!("/sessions/{bad}/pin")),
            (Method::DELETE, format!("/sessions/{bad}/pin")),
            (Method::POST, format!("/sessions/{bad}/share")),
            (Method::DELETE, format!("/sessions/{bad}/share")),
            (Method::POST, format!("/sessions/{bad}/feedback")),
            (Method::POST, format!("/sessions/{bad}/files")),
            (Method::GET, format!("/insights/{bad}")),
        ] {
            let body = json!({ "message": "hi", "title": "t", "kind": "other", "name": "a.png", "contentType": "image/png", "size": 1 });
            let reply = api
                .call(method.clone(), &path, Some(&token), Some(body))
                .await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{method} {path}: {}",
                reply.text()
            );
            assert_eq!(reply.code(), "invalid_request", "{method} {path}");
        }
    }
    nothing_stored(&api);
}

#[tokio::test]
async fn invalid_other_ids_are_refused() {
    let api = Api::new().await;
    let id = empty_session(&api).await;
    let root = admin();
    for path in [
        format!("/sessions/{id}/messages/not-a-uuid/events"),
        format!("/sessions/{id}/messages/{NO_SUCH_SESSION}x/events"),
        "/shared/not-a-uuid".to_string(),
        "/shared/..".to_string(),
    ] {
        invalid(&api.get(&path, &alice()).await);
    }
    for app in [
        "my%20app",
        "..",
        "%2E%2E",
        "a.b",
        "%F0%9F%91%8B",
        "a%2Fb",
        "%00",
        &"a".repeat(129),
    ] {
        invalid(&api.get(&format!("/chatapps/{app}"), &alice()).await);
        invalid(
            &api.post(
                &format!("/chat/{app}/messages"),
                &alice(),
                json!({ "message": "hi" }),
            )
            .await,
        );
        invalid(&api.get(&format!("/admin/chatapps/{app}"), &root).await);
        invalid(
            &api.post(&format!("/admin/chatapps/{app}/override"), &root, json!({}))
                .await,
        );
        invalid(
            &api.call(
                Method::DELETE,
                &format!("/admin/chatapps/{app}/override"),
                Some(&api.token(&root)),
                None,
            )
            .await,
        );
        invalid(&api.get(&format!("/admin/agents/{app}"), &root).await);
        invalid(&api.get(&format!("/admin/tools/{app}"), &root).await);
    }
    for body_id in ["my app", "..", "", "a/b"] {
        invalid(
            &api.post("/sessions", &alice(), json!({ "chatAppId": body_id }))
                .await,
        );
    }
    invalid(&api.get("/sessions?chatAppId=my%20app", &alice()).await);
    invalid(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "other", "messageId": "nope" }),
        )
        .await,
    );
    invalid(
        &api.call(
            Method::PATCH,
            "/admin/feedback/not-a-uuid",
            Some(&api.token(&root)),
            Some(json!({})),
        )
        .await,
    );
    for user in ["has%20space", "a%23b", "%09"] {
        invalid(
            &api.call(
                Method::DELETE,
                &format!("/admin/users/{user}/data"),
                Some(&api.token(&root)),
                None,
            )
            .await,
        );
    }
    assert_eq!(api.fakes.sessions.len(), 1, "only the session made above");
    assert!(api.fakes.messages.is_empty() && api.fakes.feedback.is_empty());
}

// ----------------------------------------------------------- query values

#[tokio::test]
async fn invalid_query_values_are_refused() {
    let api = Api::new().await;
    let id = empty_session(&api).await;
    let root = admin();
    for limit in ["0", "1000", "101", "abc", "-1", "1.5", "99999999999", ""] {
        let reply = api.get(&format!("/sessions?limit={limit}"), &alice()).await;
        if limit.is_empty() {
            // An empty value is no value to some parsers; it must not be a 5xx.
            assert!(
                reply.status.is_success() || reply.status == StatusCode::BAD_REQUEST,
                "{}",
                reply.text()
            );
            continue;
        }
        invalid(&reply);
        invalid(
            &api.get(&format!("/sessions/{id}/messages?limit={limit}"), &alice())
                .await,
        );
        invalid(
            &api.get(&format!("/search?q=x&limit={limit}"), &alice())
                .await,
        );
        invalid(&api.get(&format!("/memory?limit={limit}"), &alice()).await);
        invalid(
            &api.get(&format!("/admin/chatapps?limit={limit}"), &root)
                .await,
        );
    }
    assert_eq!(
        api.get("/sessions?limit=100", &alice()).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api.get("/sessions?limit=1", &alice()).await.status,
        StatusCode::OK
    );

    for query in [
        "sort=sideways",
        "sort=",
        "from=yesterday",
        "to=yesterday",
        "from=2026-01-01",
        "from=2026-13-01T00:00:00Z",
        "minScore=101",
        "minScore=abc",
        "minScore=-1",
        "userId=has%20space",
        "chatAppId=..",
        "entityId=a%2Fb",
    ] {
        invalid(&api.get(&format!("/search?q=x&{query}"), &alice()).await);
    }
    invalid(
        &api.get(&format!("/search?q={}", "a".repeat(501)), &alice())
            .await,
    );
    invalid(
        &api.get(&format!("/sessions?cursor={}", "c".repeat(3000)), &alice())
            .await,
    );
    invalid(&api.get("/sessions?cursor=garbage", &alice()).await);
    invalid(
        &api.get(&format!("/sessions/{id}/messages?cursor=garbage"), &alice())
            .await,
    );

    for query in [
        "from=yesterday&to=2026-01-31",
        "from=2026-01-01&to=tomorrow",
        "from=2026-13-01&to=2026-12-31",
        "from=2026-01-01T00:00:00Z&to=2026-01-31",
        "to=2026-01-31",
        "from=2020-01-01&to=2026-01-01",
    ] {
        invalid(&api.get(&format!("/admin/analytics?{query}"), &root).await);
    }
    invalid(&api.get("/insights?status=bogus", &root).await);
    invalid(&api.get("/insights?limit=0", &root).await);
    invalid(
        &api.get(
            &format!("/sessions/{id}/messages/{V4}/events?after=abc"),
            &alice(),
        )
        .await,
    );
    invalid(
        &api.get(
            &format!("/sessions/{id}/messages/{V4}/events?after=-1"),
            &alice(),
        )
        .await,
    );
}

// ---------------------------------------------------------------- unicode

#[tokio::test]
async fn valid_unicode_is_stored_exactly() {
    let api = Api::new().await;
    for text in [
        "👋🏽 héllo wörld",
        "👨‍👩‍👧‍👦 family",
        "مرحبا بالعالم \u{200f}(RTL)\u{200e}",
        "שלום \u{202b}embedded\u{202c}",
        "e\u{301} vs \u{e9}",
        "Z\u{351}\u{36b}\u{343}a\u{33f}\u{30f}lgo",
        "𠜎𠜱𠝹 𝕏",
        "\u{feff}bom first",
        "zero\u{200b}width",
        "🇺🇳",
    ] {
        assert_eq!(stored_message(&api, text).await, text, "stored exactly");
    }
    // Read back over the API, byte for byte.
    let sessions = api.get("/sessions?limit=100", &alice()).await.json();
    let combining = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sessionId"].as_str().unwrap().to_string())
        .find(|id| {
            api.fakes
                .messages
                .of_session(&SessionId::parse(id).unwrap())
                .iter()
                .any(|m| m.content == "e\u{301} vs \u{e9}")
        })
        .unwrap();
    let page = api
        .get(&format!("/sessions/{combining}/messages"), &alice())
        .await;
    assert_eq!(
        page.json()["items"][0]["content"],
        "e\u{301} vs \u{e9}",
        "not normalized"
    );

    // A surrogate pair written as escapes is one character.
    api.fakes.runtime.push(Script::answer("ok"));
    let reply = post_json_text(&api, &chat_path(), r#"{"message": "wave \ud83d\udc4b"}"#).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let session = reply.headers["x-chatbot-session-id"].to_str().unwrap();
    let user = api
        .fakes
        .messages
        .of_session(&SessionId::parse(session).unwrap())
        .into_iter()
        .find(|m| m.role == Role::User)
        .unwrap();
    assert_eq!(user.content, "wave 👋");

    // Titles and comments, too.
    let title = "📌 Über «quoted» עברית";
    let set = api
        .post(
            &format!("/sessions/{session}/title"),
            &alice(),
            json!({ "title": title }),
        )
        .await;
    assert_eq!(set.json()["title"], title);
    let fb = api
        .post(
            &format!("/sessions/{session}/feedback"),
            &alice(),
            json!({ "kind": "other", "comment": "très bien 👍🏿" }),
        )
        .await;
    assert_eq!(fb.status, StatusCode::CREATED);
    assert_eq!(
        api.fakes.feedback.all()[0].comment.as_deref(),
        Some("très bien 👍🏿")
    );
}

#[tokio::test]
async fn lone_surrogates_are_refused() {
    let api = Api::new().await;
    for body in [
        r#"{"message": "\ud800"}"#,
        r#"{"message": "a\udc00b"}"#,
        r#"{"message": "\ud800\ud800"}"#,
        r#"{"message": "\ud83d"}"#,
        r#"{"message": "\uZZZZ"}"#,
    ] {
        invalid(&post_json_text(&api, &chat_path(), body).await);
    }
    invalid(&post_json_text(&api, "/sessions", r#"{"chatAppId": "\ud800"}"#).await);
    // A surrogate encoded as UTF-8 bytes (CESU-8) is not UTF-8 at all.
    let bytes: Vec<u8> = [b"{\"message\": \"".as_slice(), &[0xed, 0xa0, 0x80], b"\"}"].concat();
    invalid(
        &send_raw(
            &api,
            Method::POST,
            &chat_path(),
            Some(&alice()),
            Some("application/json"),
            bytes,
        )
        .await,
    );
    invalid(&api.get("/chatapps/%ED%A0%80", &alice()).await);
    nothing_stored(&api);
}

// --------------------------------------------------------------- property

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Percent-encodes every byte but unreserved ASCII.
fn encode_segment(raw: &str) -> String {
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

/// Any 4xx is a problem document; a 5xx never happens.
fn no_server_error(reply: &Reply, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        reply.status.as_u16() < 500,
        "{what}: {} {}",
        reply.status,
        reply.text()
    );
    if reply.status.is_client_error() {
        let code = reply.code();
        prop_assert!(
            [
                "invalid_request",
                "not_found",
                "forbidden",
                "payload_too_large",
                "conflict"
            ]
            .contains(&code.as_str()),
            "{what}: {code}"
        );
    }
    Ok(())
}

fn text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,40}",
        "[ \t\r\n\u{0}\u{7}\u{85}\u{200b}\u{feff}a-z]{0,12}",
        Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_messages_never_yield_a_5xx(text in text_strategy()) {
        runtime().block_on(async {
            let api = Api::new().await;
            api.fakes.runtime.push(Script::answer("ok"));
            let reply = api.post(&chat_path(), &alice(), json!({ "message": text })).await;
            no_server_error(&reply, "POST /chat")?;
            if reply.status == StatusCode::OK {
                let session = SessionId::parse(reply.headers["x-chatbot-session-id"].to_str().unwrap()).unwrap();
                let user = api.fakes.messages.of_session(&session).into_iter().find(|m| m.role == Role::User).unwrap();
                prop_assert_eq!(&user.content, &text, "stored exactly");
            } else {
                prop_assert_eq!(reply.code(), "invalid_request");
                prop_assert!(api.fakes.sessions.is_empty() && api.fakes.messages.is_empty());
            }
            // The same text in an existing session, as a title and as a comment.
            let id = empty_session(&api).await;
            api.fakes.runtime.push(Script::answer("ok"));
            let reply = api.post(&format!("/sessions/{id}/messages"), &alice(), json!({ "message": text })).await;
            no_server_error(&reply, "POST /sessions/{id}/messages")?;
            let reply = api.post(&format!("/sessions/{id}/title"), &alice(), json!({ "title": text })).await;
            no_server_error(&reply, "POST /sessions/{id}/title")?;
            let reply = api.post(&format!("/sessions/{id}/feedback"), &alice(), json!({ "kind": "other", "comment": text })).await;
            no_server_error(&reply, "POST /sessions/{id}/feedback")?;
            let reply = api.get(&format!("/search?q={}", encode_segment(&text)), &alice()).await;
            no_server_error(&reply, "GET /search")?;
            Ok::<(), TestCaseError>(())
        })?;
    }

    #[test]
    fn arbitrary_path_segments_never_yield_a_5xx(segment in text_strategy(), raw_bytes in proptest::collection::vec(any::<u8>(), 0..8)) {
        runtime().block_on(async {
            let api = Api::new().await;
            let mut encoded = encode_segment(&segment);
            // Also bytes that are not UTF-8 at all.
            encoded.extend(raw_bytes.iter().map(|b| format!("%{b:02X}")));
            let (user, root) = (alice(), admin());
            for (method, template, who) in [
                (Method::GET, "/sessions/{}", &user),
                (Method::DELETE, "/sessions/{}", &user),
                (Method::GET, "/sessions/{}/messages", &user),
                (Method::POST, "/sessions/{}/messages", &user),
                (Method::POST, "/sessions/{}/stop", &user),
                (Method::PUT, "/sessions/{}/pin", &user),
                (Method::GET, "/sessions/{}/messages/{}/events", &user),
                (Method::POST, "/chat/{}/messages", &user),
                (Method::GET, "/chatapps/{}", &user),
                (Method::GET, "/shared/{}", &user),
                (Method::GET, "/insights/{}", &user),
                (Method::GET, "/admin/chatapps/{}", &root),
                (Method::GET, "/admin/agents/{}", &root),
                (Method::GET, "/admin/tools/{}", &root),
                (Method::PATCH, "/admin/feedback/{}", &root),
                (Method::GET, "/sessions?chatAppId={}", &user),
                (Method::GET, "/sessions?cursor={}", &user),
                (Method::GET, "/search?q=x&sort={}&from={}", &user),
                (Method::GET, "/admin/analytics?from={}&to={}", &root),
            ] {
                let path = template.replace("{}", &encoded);
                api.fakes.runtime.push(Script::answer("ok"));
                let reply = api.call(method.clone(), &path, Some(&api.token(who)), Some(json!({ "message": "hi" }))).await;
                no_server_error(&reply, &format!("{method} {path}"))?;
            }
            Ok::<(), TestCaseError>(())
        })?;
    }

    #[test]
    fn arbitrary_bodies_never_yield_a_5xx(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        runtime().block_on(async {
            let api = Api::new().await;
            let id = empty_session(&api).await;
            for path in [chat_path(), "/sessions".to_string(), format!("/sessions/{id}/title"), format!("/sessions/{id}/feedback")] {
                api.fakes.runtime.push(Script::answer("ok"));
                let reply = send_raw(&api, Method::POST, &path, Some(&alice()), Some("application/json"), body.clone()).await;
                no_server_error(&reply, &path)?;
            }
            Ok::<(), TestCaseError>(())
        })?;
    }
}

//! Shared by the `bad_input_*` tests: ids, users, raw requests, and the
//! checks that a refusal is a problem document and that nothing is stored.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support::{Api, Reply, APP};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use pika_domain::ids::SessionId;
use pika_domain::message::Role;
use pika_domain::user::User;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::json;

/// A well-formed session id (UUIDv7) that names no session.
pub const NO_SUCH_SESSION: &str = "0190f2c4-8f1e-7a3b-9c4d-2e5f6a7b8c9d";
/// A well-formed UUIDv4: a valid message id, never a session id.
pub const V4: &str = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f";

pub fn alice() -> User {
    fixtures::customer("alice")
}

pub fn admin() -> User {
    fixtures::site_admin("root")
}

/// Sends `body` as it is, with an optional content type.
pub async fn send_raw(
    api: &Api,
    method: Method,
    path: &str,
    user: Option<&User>,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost");
    if let Some(u) = user {
        req = req.header("authorization", format!("Bearer {}", api.token(u)));
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    api.send(req.body(body.into()).unwrap()).await
}

pub async fn post_json_text(api: &Api, path: &str, body: &str) -> Reply {
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
pub fn refused(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text());
    assert_eq!(reply.code(), code, "{}", reply.text());
}

#[track_caller]
pub fn invalid(reply: &Reply) {
    refused(reply, 400, "invalid_request");
}

#[track_caller]
pub fn nothing_stored(api: &Api) {
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

pub fn chat_path() -> String {
    format!("/chat/{APP}/messages")
}

/// A session of alice with no messages yet.
pub async fn empty_session(api: &Api) -> String {
    let reply = api
        .post("/sessions", &alice(), json!({ "chatAppId": APP }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()["sessionId"].as_str().unwrap().to_string()
}

/// Sends `text` as the first message of a new session; returns the stored
/// user message's content.
pub async fn stored_message(api: &Api, text: &str) -> String {
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

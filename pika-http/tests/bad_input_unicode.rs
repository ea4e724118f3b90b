//! Valid Unicode is accepted and stored exactly as sent; lone surrogates
//! are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod bad_input_support;
mod support;

use axum::http::{Method, StatusCode};
use bad_input_support::*;
use pika_domain::ids::SessionId;
use pika_domain::message::Role;
use pika_testkit::fakes::runtime::Script;
use serde_json::json;
use support::Api;

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

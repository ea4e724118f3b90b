//! Arbitrary messages, path segments and bodies never yield a 5xx; any 4xx
//! is a problem document.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod bad_input_support;
mod support;

use axum::http::{Method, StatusCode};
use bad_input_support::*;
use pika_domain::ids::SessionId;
use pika_domain::message::Role;
use pika_testkit::fakes::runtime::Script;
use proptest::prelude::*;
use serde_json::json;
use support::{Api, Reply};

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

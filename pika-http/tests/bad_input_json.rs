//! Hostile and malformed JSON bodies and content types: each is
//! a 4xx problem document with the right `code`, and nothing is stored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod bad_input_support;
mod support;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use bad_input_support::*;
use pika_http::ApiConfig;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::json;
use support::{Api, APP};

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
        // serde reads a struct from an array of its fields; the API does not.
        json!(["hi"]),
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

#[cfg(feature = "dev-tokens")]
#[tokio::test]
async fn deeply_nested_json_is_no_crash() {
    let config = ApiConfig {
        dev_tokens: Some(pika_http::dev_tokens::DevTokens::default()),
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

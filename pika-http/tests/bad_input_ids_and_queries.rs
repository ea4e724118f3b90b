//! Malformed ids in paths and malformed query values: each is
//! a 4xx problem document with the right `code`, and nothing is stored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod bad_input_support;
mod support;

use axum::http::{Method, StatusCode};
use bad_input_support::*;
use serde_json::json;
use support::Api;

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

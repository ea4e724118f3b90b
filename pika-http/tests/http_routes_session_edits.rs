//! Titling, pinning and sharing sessions through the real router on fakes: the
//! wire shape a client checks on success, and the problem documents of its
//! failure paths (PIKA.md §11).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod http_support;
mod support;

use axum::http::Method;
use http_support::*;
use pika_ports::CompletionPurpose;
use serde_json::json;
use support::Api;

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
    assert_eq!(read["session"]["sessionId"], id.as_str());
    has_keys(
        &read["session"],
        &["sessionId", "chatAppId", "createdAt", "updatedAt"],
    );
    // The conversation, not its owner: no user id, entity, usage, cost or
    // share details reach a reader.
    for owner_only in ["userId", "entityId", "usage", "share", "pinned", "agentId"] {
        assert!(
            read["session"].get(owner_only).is_none(),
            "{owner_only}: {read}"
        );
    }
    let messages = page(&read["messages"]);
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["content"], "Share this?");
    for m in messages {
        for owner_only in ["usage", "clientMessageId", "streamEvents"] {
            assert!(
                m.get(owner_only).is_none() || m[owner_only].is_null(),
                "{owner_only}: {m}"
            );
        }
    }
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

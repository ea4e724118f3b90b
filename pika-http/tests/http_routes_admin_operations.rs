//! Feedback triage, analytics and erasing a user's data through the real router
//! on fakes: the wire shape a client checks on success, and the problem
//! documents of its failure paths (PIKA.md §11).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod http_support;
mod support;

use axum::http::Method;
use http_support::*;
use serde_json::json;
use support::{Api, APP};

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
    // An inverted range holds no day: an empty report, not an error.
    let inverted = expect(
        &api.get("/admin/analytics?from=2026-01-31&to=2026-01-01", &admin())
            .await,
        200,
    );
    assert_eq!(inverted["totals"]["turns"], 0);
    assert_eq!(inverted["series"].as_array().map(Vec::len), Some(0));
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

#[tokio::test]
async fn callers_are_recorded_from_their_claims_and_kept_current() {
    use pika_ports::UserStore;
    let api = Api::new().await;
    let alice_id = alice().user_id;
    assert_eq!(api.fakes.users.get(&alice_id).await.unwrap(), None);
    expect(&api.get("/sessions", &alice()).await, 200);
    assert_eq!(
        api.fakes.users.get(&alice_id).await.unwrap(),
        Some(alice()),
        "recorded on first sight, as the token says"
    );
    // A new role in her token is recorded at her next request.
    let mut promoted = alice();
    promoted.roles.push("editor".to_string());
    expect(&api.get("/sessions", &promoted).await, 200);
    assert_eq!(
        api.fakes.users.get(&alice_id).await.unwrap(),
        Some(promoted.clone())
    );
    // Erased, then back: recorded again.
    expect(
        &api.call(
            Method::DELETE,
            "/admin/users/alice/data",
            Some(&api.token(&admin())),
            None,
        )
        .await,
        200,
    );
    assert_eq!(api.fakes.users.get(&alice_id).await.unwrap(), None);
    expect(&api.get("/sessions", &promoted).await, 200);
    assert_eq!(
        api.fakes.users.get(&alice_id).await.unwrap(),
        Some(promoted)
    );
}

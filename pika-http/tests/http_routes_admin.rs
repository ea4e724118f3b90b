//! Who may call `/admin/*`, and the chat app admin routes (CRUD, versions,
//! overrides) through the real router on fakes: the wire shape a client checks
//! on success, and the problem documents of its failure paths (PIKA.md §11).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod http_support;
mod support;

use axum::http::{Method, StatusCode};
use http_support::*;
use pika_testkit::fixtures;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use support::{Api, AGENT, APP};

// ------------------------------------------------------------------- admin

/// Every `/admin/*` route with a concrete path and a valid body.
fn admin_calls() -> Vec<(Method, String, Option<Value>)> {
    let app = serde_json::to_value(fixtures::chat_app(APP, AGENT)).unwrap();
    let agent = serde_json::to_value(fixtures::agent(AGENT, &[])).unwrap();
    let tool = serde_json::to_value(fixtures::inline_tool("lookup", "lookup")).unwrap();
    vec![
        (Method::GET, "/admin/site".into(), None),
        (
            Method::PUT,
            "/admin/site".into(),
            Some(json!({ "config": {}, "version": 1 })),
        ),
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
        (Method::DELETE, format!("/admin/chatapps/{APP}"), None),
        (
            Method::DELETE,
            "/admin/agents/agent?force=true".into(),
            None,
        ),
        (
            Method::DELETE,
            "/admin/tools/lookup?force=true".into(),
            None,
        ),
        (Method::GET, "/admin/tags".into(), None),
        (
            Method::PUT,
            "/admin/tags/chart".into(),
            Some(json!({ "tag": "chart", "description": "A chart." })),
        ),
        (Method::DELETE, "/admin/tags/chart".into(), None),
        (
            Method::PUT,
            "/admin/components/chart.js".into(),
            Some(json!(
                "customElements.define('x-y', class extends HTMLElement {});"
            )),
        ),
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
    assert_eq!(api.fakes.site.current().unwrap().config, fixtures::site());
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
async fn a_non_admin_gets_403_before_any_body_is_read() {
    let api = Api::new().await;
    // Bodies a site admin would get 400 or 415 for: the caller learns only
    // that the admin API is not theirs, nothing of its schema.
    for (method, path) in [
        (Method::POST, "/admin/chatapps"),
        (Method::PUT, "/admin/site"),
        (Method::POST, "/admin/tools"),
        (Method::PATCH, "/admin/feedback/not-a-uuid"),
    ] {
        for headers in [
            &[("content-type", "application/json")][..],
            &[("content-type", "text/plain")][..],
        ] {
            let reply = raw(
                &api,
                method.clone(),
                path,
                Some(&api.token(&editor())),
                headers,
            )
            .await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{method} {path} {headers:?}: {}",
                reply.text()
            );
            assert_eq!(reply.code(), "forbidden");
        }
    }
    // A site admin sending the same empty body gets the validation error.
    let reply = raw(
        &api,
        Method::PUT,
        "/admin/site",
        Some(&api.token(&admin())),
        &[("content-type", "application/json")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
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
        // The agent it names does not exist.
        404,
        "not_found",
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
async fn a_whole_number_written_with_a_fraction_is_read_as_that_number() {
    // JSON Schema's integer takes 30.0, and clients with one number type
    // send it so; 30.5 stays refused.
    let api = Api::new().await;
    let root = admin();
    let mut app = serde_json::to_value(fixtures::chat_app("kept", AGENT)).unwrap();
    app["sessionRetentionDays"] = json!(30.5);
    problem(
        &api.post("/admin/chatapps", &root, app.clone()).await,
        400,
        "invalid_request",
    );
    // A nested object written as an array of its fields is no object.
    let mut listed = app.clone();
    listed["sessionRetentionDays"] = json!(30);
    listed["quotas"] = json!([null, null]);
    problem(
        &api.post("/admin/chatapps", &root, listed).await,
        400,
        "invalid_request",
    );
    app["sessionRetentionDays"] = json!(30.0);
    let created = expect(&api.post("/admin/chatapps", &root, app).await, 201);
    assert_eq!(created["sessionRetentionDays"], json!(30));
}

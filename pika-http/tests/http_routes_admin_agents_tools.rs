//! The agent and tool admin routes through the real router on fakes: the wire
//! shape a client checks on success, and the problem documents of its failure
//! paths (PIKA.md §11).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod http_support;
mod support;

use axum::http::Method;
use http_support::*;
use pika_domain::tool::ExecutionType;
use pika_testkit::fixtures;
use serde_json::json;
use support::Api;

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

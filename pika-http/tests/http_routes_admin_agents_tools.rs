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
        // The tool it names does not exist.
        404,
        "not_found",
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

#[tokio::test]
async fn admin_deletes_check_references_first() {
    let api = Api::new().await;
    let root = admin();
    let token = api.token(&root);
    let del = |path: String| {
        let (api, token) = (&api, token.clone());
        async move { api.call(Method::DELETE, &path, Some(&token), None).await }
    };
    let tool = fixtures::inline_tool("lookup", "lookup");
    let tool_id = tool.tool_id.to_string();
    expect(
        &api.post("/admin/tools", &root, serde_json::to_value(&tool).unwrap())
            .await,
        201,
    );
    expect(
        &api.post(
            "/admin/agents",
            &root,
            serde_json::to_value(fixtures::agent("helper", &[tool_id.as_str()])).unwrap(),
        )
        .await,
        201,
    );

    // Only site admins delete.
    let editor_token = api.token(&editor());
    problem(
        &api.call(
            Method::DELETE,
            "/admin/agents/agent",
            Some(&editor_token),
            None,
        )
        .await,
        403,
        "forbidden",
    );
    // The chat app `support` runs `agent`; `helper` offers the tool.
    let refused = del("/admin/agents/agent".into()).await;
    problem(&refused, 409, "conflict");
    assert!(refused.text().contains("support"), "{}", refused.text());
    problem(
        &del(format!("/admin/tools/{tool_id}")).await,
        409,
        "conflict",
    );
    assert_eq!(del("/admin/agents/helper".into()).await.status, 204);
    assert_eq!(del(format!("/admin/tools/{tool_id}")).await.status, 204);
    problem(
        &api.get(&format!("/admin/tools/{tool_id}"), &root).await,
        404,
        "not_found",
    );

    // Forced, the agent goes although `support` names it.
    assert_eq!(
        del("/admin/agents/agent?force=true".into()).await.status,
        204
    );
    problem(
        &api.get("/admin/agents/agent", &root).await,
        404,
        "not_found",
    );
    // A chat app goes with its override; a second delete is 404.
    assert_eq!(del("/admin/chatapps/support".into()).await.status, 204);
    problem(
        &api.get("/admin/chatapps/support", &root).await,
        404,
        "not_found",
    );
    problem(
        &del("/admin/chatapps/support".into()).await,
        404,
        "not_found",
    );
    problem(&del("/admin/agents/nobody".into()).await, 404, "not_found");
}

#[tokio::test]
async fn a_chat_apps_intents_name_existing_agents() {
    let api = Api::new().await;
    let root = admin();
    let mut app = serde_json::to_value(fixtures::chat_app("routed", "agent")).unwrap();
    app["intents"] = json!([{ "agentId": "nobody", "description": "anything" }]);
    problem(
        &api.post("/admin/chatapps", &root, app.clone()).await,
        404,
        "not_found",
    );
    expect(
        &api.post(
            "/admin/agents",
            &root,
            serde_json::to_value(fixtures::agent("billing", &[])).unwrap(),
        )
        .await,
        201,
    );
    app["intents"] =
        json!([{ "agentId": "billing", "description": "invoices", "examples": ["charged twice"] }]);
    let created = expect(&api.post("/admin/chatapps", &root, app).await, 201);
    assert_eq!(created["intents"][0]["agentId"], "billing");
    // An agent a chat app routes to is in use: 409 without force.
    problem(
        &api.call(
            Method::DELETE,
            "/admin/agents/billing",
            Some(&api.token(&root)),
            None,
        )
        .await,
        409,
        "conflict",
    );
}

#[tokio::test]
async fn an_mcp_tool_posted_without_functions_gets_its_servers() {
    let api = Api::new().await;
    let root = admin();
    let mut mcp = fixtures::inline_tool("orders", "order_status");
    mcp.execution_type = ExecutionType::Mcp;
    mcp.mcp = Some(pika_domain::tool::http::HttpEndpoint {
        url: "https://mcp.example.com/mcp".into(),
        method: pika_domain::tool::http::HttpMethod::Post,
        headers: Default::default(),
    });
    let listed = fixtures::inline_tool("x", "order_status").function_schema;
    let mut body = serde_json::to_value(&mcp).unwrap();
    body["functionSchema"] = json!([]);

    // Where no executor runs mcp tools, the kind is refused as such.
    let refused = api.post("/admin/tools", &root, body.clone()).await;
    problem(&refused, 400, "invalid_request");
    assert!(
        refused.json()["detail"].as_str().unwrap().contains("mcp"),
        "{}",
        refused.text()
    );

    api.fakes.tool_invoker.serve_mcp(listed.clone());
    let created = expect(&api.post("/admin/tools", &root, body).await, 201);
    assert_eq!(
        created["functionSchema"],
        serde_json::to_value(&listed).unwrap()
    );
    let read = expect(&api.get("/admin/tools/orders", &root).await, 200);
    assert_eq!(read["functionSchema"][0]["name"], "order_status");

    // An empty list from the server is the admin's error, not an empty tool.
    api.fakes.tool_invoker.serve_mcp(Vec::new());
    let mut again = read.clone();
    again["functionSchema"] = json!([]);
    let none = call(&api, Method::PUT, "/admin/tools/orders", &root, Some(again)).await;
    problem(&none, 400, "invalid_request");
    assert!(
        none.json()["detail"]
            .as_str()
            .unwrap()
            .contains("no function"),
        "{}",
        none.text()
    );
}

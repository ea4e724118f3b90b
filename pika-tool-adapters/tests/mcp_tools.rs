//! `mcp` tools against a real MCP server (rmcp's streamable-HTTP server in
//! this test binary): a call reaches the server's tool with the model's
//! arguments and brings back its result, a tool error is the model's to
//! read, the SSRF guard refuses a loopback server unless opened, and a
//! whole turn calls the tool through the chat service.
#![cfg(feature = "mcp")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use pika_domain::tool::http::{HttpEndpoint, HttpMethod};
use pika_domain::tool::{ExecutionType, Tool};
use pika_ports::{ErrorKind, ToolInvocation, ToolInvoker};
use pika_testkit::fixtures;
use pika_tool_adapters::http::HttpToolsConfig;
use pika_tool_adapters::mcp::McpToolInvoker;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// An order-status MCP server.
#[derive(Clone)]
struct Orders;

impl ServerHandler for Orders {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let schema: Map<String, Value> = json!({
            "type": "object",
            "properties": { "orderId": { "type": "string" } },
            "required": ["orderId"],
        })
        .as_object()
        .cloned()
        .unwrap();
        let cancel = rmcp::model::Tool::new("cancel_order", "Cancels an order", schema.clone())
            .annotate(rmcp::model::ToolAnnotations::new().destructive(true));
        Ok(ListToolsResult::with_all_items(vec![
            rmcp::model::Tool::new("order_status", "Status of an order", schema),
            cancel,
        ]))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        let order = args.get("orderId").and_then(Value::as_str).unwrap_or("");
        let result = if order.starts_with("A-") {
            CallToolResult::success(vec![ContentBlock::text(
                json!({ "orderId": order, "status": "shipped" }).to_string(),
            )])
        } else {
            CallToolResult::error(vec![ContentBlock::text(format!("no order {order}"))])
        };
        Ok(result.into())
    }
}

/// Serves [`Orders`] at `http://127.0.0.1:{port}/mcp`.
async fn serve() -> String {
    let service: StreamableHttpService<Orders, LocalSessionManager> = StreamableHttpService::new(
        || Ok(Orders),
        Arc::default(),
        StreamableHttpServerConfig::default(),
    );
    let router = axum::Router::new().nest_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{address}/mcp")
}

fn mcp_tool(url: &str) -> Tool {
    let mut tool = fixtures::inline_tool("orders", "order_status");
    tool.execution_type = ExecutionType::Mcp;
    tool.mcp = Some(HttpEndpoint {
        url: url.to_string(),
        method: HttpMethod::Post,
        headers: Default::default(),
    });
    tool
}

/// The guard opened for loopback, as a test server needs.
fn loopback_open() -> HttpToolsConfig {
    HttpToolsConfig {
        allow_private: vec!["127.0.0.0/8".parse().unwrap()],
        ..HttpToolsConfig::default()
    }
}

fn call(tool: Tool, input: Value) -> ToolInvocation {
    ToolInvocation {
        function: tool.function_schema[0].name.clone(),
        tool,
        input,
        session_attributes: Map::new(),
    }
}

#[tokio::test]
async fn a_call_reaches_the_servers_tool_and_brings_its_result() {
    let url = serve().await;
    let invoker = McpToolInvoker::new(loopback_open());
    assert_eq!(invoker.kinds(), vec![ExecutionType::Mcp]);

    let output = invoker
        .invoke(call(mcp_tool(&url), json!({ "orderId": "A-17" })))
        .await
        .unwrap();
    assert_eq!(output, json!({ "orderId": "A-17", "status": "shipped" }));

    let err = invoker
        .invoke(call(mcp_tool(&url), json!({ "orderId": "Z-1" })))
        .await
        .expect_err("the tool's error");
    assert_eq!(err.kind, ErrorKind::Invalid, "{err}");
    assert!(err.message.contains("no order Z-1"), "{err}");
}

#[tokio::test]
async fn a_loopback_server_is_refused_unless_the_site_opens_it() {
    let url = serve().await;
    let err = McpToolInvoker::new(HttpToolsConfig::default())
        .invoke(call(mcp_tool(&url), json!({ "orderId": "A-1" })))
        .await
        .expect_err("the SSRF guard");
    assert_eq!(err.kind, ErrorKind::Permanent, "{err}");
    assert!(err.message.contains("127.0.0.1"), "{err}");
}

#[tokio::test]
async fn a_turn_calls_an_mcp_tool() {
    use futures::StreamExt;
    use pika_service::{ChatService, ConfigCache, SendMessage, ServiceSettings, TurnTarget};
    use pika_testkit::fakes::runtime::Script;

    let url = serve().await;
    let fakes = pika_testkit::FakePorts::with_site(fixtures::site());
    fakes
        .seed_app(
            &fixtures::chat_app("shop", "clerk"),
            &fixtures::agent("clerk", &["orders"]),
            &[mcp_tool(&url)],
        )
        .await
        .unwrap();
    fakes.runtime.push(Script::tool_call(
        "t1",
        "order_status",
        json!({ "orderId": "A-42" }),
    ));
    fakes
        .runtime
        .push(Script::answer("Your order has shipped."));
    let mut ports = fakes.ports();
    ports.tool_invoker = Arc::new(McpToolInvoker::new(loopback_open()));
    let settings = ServiceSettings::default();
    let config = Arc::new(ConfigCache::new(ports.clone(), settings.config_ttl));
    let chat = ChatService::new(ports, settings, config);

    let mut stream = chat
        .send(
            &fixtures::customer("alice"),
            SendMessage::new(
                TurnTarget::NewSession(fixtures::chat_app_id("shop")),
                "Where is A-42?",
            ),
        )
        .await
        .unwrap();
    let mut events = Vec::new();
    while let Some(e) = stream.events.next().await {
        events.push(e.event);
    }

    let answer = fakes.messages.of_session(&stream.session_id).pop().unwrap();
    assert_eq!(answer.content, "Your order has shipped.");
    assert_eq!(answer.tool_calls.len(), 1);
    assert!(answer.tool_calls[0].ok, "{:?}", answer.tool_calls[0]);
    assert_eq!(answer.tool_calls[0].output["status"], "shipped");
    let second = fakes.runtime.requests().pop().unwrap();
    assert!(format!("{:?}", second.messages.last().unwrap()).contains("shipped"));
}

#[tokio::test]
async fn an_mcp_tool_saved_without_functions_gets_the_ones_its_server_lists() {
    use pika_service::{AdminService, ConfigCache, ServiceError, ServiceSettings};
    use pika_tool_adapters::dispatch::ToolDispatcher;

    let url = serve().await;
    let fakes = pika_testkit::FakePorts::with_site(fixtures::site());
    let mut ports = fakes.ports();
    ports.tool_invoker =
        Arc::new(ToolDispatcher::new().with(Arc::new(McpToolInvoker::new(loopback_open()))));
    let config = Arc::new(ConfigCache::new(
        ports.clone(),
        ServiceSettings::default().config_ttl,
    ));
    let admin = AdminService::new(ports, config);
    let root = fixtures::site_admin("root");

    let mut declared_none = mcp_tool(&url);
    declared_none.function_schema.clear();
    let saved = admin.create_tool(&root, declared_none).await.unwrap();

    let names: Vec<&str> = saved
        .function_schema
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["order_status", "cancel_order"]);
    let status = &saved.function_schema[0];
    assert_eq!(status.description, "Status of an order");
    assert!(status.parameters["orderId"].required);
    assert!(!status.require_confirmation);
    assert!(
        saved.function_schema[1].require_confirmation,
        "a tool the server calls destructive asks the user first"
    );
    use pika_ports::ToolStore;
    let stored = fakes.tools.get(&saved.tool_id).await.unwrap().unwrap();
    assert_eq!(stored.function_schema, saved.function_schema);

    // A server the guard refuses is the admin's error, with the reason.
    let mut closed = mcp_tool("http://127.0.0.1:9/mcp");
    closed.tool_id = pika_domain::ids::ToolId::parse("closed").unwrap();
    closed.function_schema.clear();
    let guarded = AdminService::new(
        {
            let mut p = fakes.ports();
            p.tool_invoker = Arc::new(McpToolInvoker::new(HttpToolsConfig::default()));
            p
        },
        Arc::new(ConfigCache::new(
            fakes.ports(),
            ServiceSettings::default().config_ttl,
        )),
    );
    match guarded.create_tool(&root, closed).await {
        Err(ServiceError::Invalid(why)) => assert!(why.contains("127.0.0.1"), "{why}"),
        other => panic!("{other:?}"),
    }
}

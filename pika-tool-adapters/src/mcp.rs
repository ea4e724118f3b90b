//! `mcp` tools: each call opens a session with the tool's MCP server over
//! streamable HTTP (the `rmcp` client) and calls the server's tool named by
//! the function. The server's address passes the same SSRF guard as `http`
//! tools (resolved once, checked, and connected to as checked), its headers
//! may name secrets the same way, and the call is bounded by the tool's
//! timeout. A result the server marks as an error is `Invalid` (the model
//! reads why and may try again).

mod functions;

use crate::http::{HttpToolInvoker, HttpToolsConfig};
use async_trait::async_trait;
use pika_domain::tool::{ExecutionType, FunctionSchema, Tool};
use pika_ports::{PortError, PortResult, ToolInvocation, ToolInvoker};
use reqwest013 as reqwest;
use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::ServiceExt;
use serde_json::{json, Map, Value};
use std::time::Duration;
use url::{Host, Url};

/// Runs `mcp` tools.
pub struct McpToolInvoker {
    guard: HttpToolInvoker,
    default_timeout: Duration,
}

impl McpToolInvoker {
    /// An executor with the `http` tools' guard and secrets.
    pub fn new(config: HttpToolsConfig) -> Self {
        let default_timeout = config.default_timeout;
        Self {
            guard: HttpToolInvoker::new(config),
            default_timeout,
        }
    }

    /// A client that connects only to the address checked for `url`.
    async fn client(&self, url: &Url, tool: &Tool) -> PortResult<reqwest::Client> {
        let endpoint = tool
            .mcp
            .as_ref()
            .ok_or_else(|| PortError::invalid("the tool declares no mcp server"))?;
        let address = self.guard.checked_address(url).await?;
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in self.guard.headers(endpoint)? {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| PortError::invalid(format!("bad header name {name}: {e}")))?;
            let value = reqwest::header::HeaderValue::from_str(&value)
                .map_err(|e| PortError::invalid(format!("bad header value for {name}: {e}")))?;
            headers.insert(name, value);
        }
        let timeout = tool
            .execution_timeout_ms
            .map_or(self.default_timeout, Duration::from_millis);
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .default_headers(headers)
            .timeout(timeout);
        if let Some(Host::Domain(domain)) = url.host() {
            // Connect to the address checked, whatever DNS says now.
            builder = builder.resolve(domain, address);
        }
        builder
            .build()
            .map_err(|e| PortError::permanent(format!("mcp client: {e}")))
    }
}

impl McpToolInvoker {
    /// A session with `tool`'s server, through the guard.
    async fn session(&self, tool: &Tool) -> PortResult<RunningService<RoleClient, ClientConfig>> {
        let raw = tool
            .mcp
            .as_ref()
            .map(|e| e.url.clone())
            .ok_or_else(|| PortError::invalid("the tool declares no mcp server"))?;
        let url = Url::parse(&raw)
            .map_err(|e| PortError::invalid(format!("the MCP server's URL does not parse: {e}")))?;
        let client = self.client(&url, tool).await?;
        let transport = StreamableHttpClientTransport::with_client(
            client,
            StreamableHttpClientTransportConfig::with_uri(url.as_str()),
        );
        ClientConfig::default().serve(transport).await.map_err(|e| {
            PortError::transient(format!("the MCP server did not start a session: {e}"))
        })
    }
}

#[async_trait]
impl ToolInvoker for McpToolInvoker {
    async fn invoke(&self, call: ToolInvocation) -> PortResult<Value> {
        let arguments: Map<String, Value> = match call.input {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => {
                return Err(PortError::invalid(format!(
                    "an MCP tool takes an object of arguments, not {other}"
                )))
            }
        };
        let session = self.session(&call.tool).await?;
        let called = session
            .call_tool(
                CallToolRequestParams::new(call.function.to_string()).with_arguments(arguments),
            )
            .await;
        // The session ends with the call, whatever its outcome.
        let _ = session.cancel().await;
        let result = called
            .map_err(|e| PortError::transient(format!("the MCP server's tool call failed: {e}")))?;
        output(result)
    }

    /// The server's tools (`tools/list`, every page) as functions.
    async fn discover(&self, tool: &Tool) -> PortResult<Option<Vec<FunctionSchema>>> {
        let session = self.session(tool).await?;
        let listed = session.list_all_tools().await;
        let _ = session.cancel().await;
        let listed = listed.map_err(|e| {
            PortError::transient(format!("the MCP server did not list its tools: {e}"))
        })?;
        Ok(Some(functions::of_server(&listed)))
    }

    fn kinds(&self) -> Vec<ExecutionType> {
        vec![ExecutionType::Mcp]
    }
}

/// A tool result as the model reads it: its structured content, else its
/// text (as JSON when it is JSON).
fn output(result: CallToolResult) -> PortResult<Value> {
    let text = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    if result.is_error == Some(true) {
        let why = if text.is_empty() {
            "the MCP tool failed"
        } else {
            &text
        };
        return Err(PortError::invalid(why.to_string()));
    }
    if let Some(structured) = result.structured_content {
        return Ok(structured);
    }
    Ok(serde_json::from_str(&text).unwrap_or_else(|_| json!({ "text": text })))
}

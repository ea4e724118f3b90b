//! # pika-tool-adapters
//!
//! Tool executors that do not depend on where Pika runs, so the local
//! server and the Lambda stream function offer the same kinds:
//!
//! | feature | module | runs |
//! |---|---|---|
//! | `http` | [`http`] | `http` tools: the model's input sent as JSON to a declared endpoint, behind an SSRF guard |
//! | `mcp` | [`mcp`] | `mcp` tools: a tool of an MCP server over streamable HTTP, behind the same guard |
//! | (always) | [`dispatch`] | one [`pika_ports::ToolInvoker`] over several, by tool kind |
//!
//! ```
//! use pika_tool_adapters::dispatch::ToolDispatcher;
//! use pika_tool_adapters::http::{HttpToolInvoker, HttpToolsConfig};
//! use pika_ports::ToolInvoker;
//! use std::sync::Arc;
//!
//! let tools = ToolDispatcher::new().with(Arc::new(HttpToolInvoker::new(HttpToolsConfig::default())));
//! assert_eq!(tools.kinds(), vec![pika_domain::tool::ExecutionType::Http]);
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod dispatch;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "mcp")]
pub mod mcp;

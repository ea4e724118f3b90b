//! The tool invoker port: runs a tool the model asked for (a Lambda
//! function tagged `agent-tool=true`, or an inline function).

use crate::error::PortResult;
use async_trait::async_trait;
use pika_domain::ids::ToolName;
use pika_domain::tool::Tool;
use serde_json::{Map, Value};

/// One tool call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolInvocation {
    /// The tool definition.
    pub tool: Tool,
    /// The function of the tool.
    pub function: ToolName,
    /// The model's input.
    pub input: Value,
    /// Session attributes (PIKA.md §5): userId, chatAppId, agentId,
    /// sessionId, currentDate, messageId, and the user's custom data.
    pub session_attributes: Map<String, Value>,
}

/// Runs tools.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ToolInvoker: Send + Sync {
    /// Runs `call` and returns the tool's output.
    ///
    /// # Errors
    /// - `NotFound` when the tool's function or inline handler does not exist.
    /// - `Invalid` when the tool rejects its input (the model may try again).
    /// - `Transient` when throttled or timed out.
    /// - `Permanent` when the tool failed, or may not be invoked (not tagged).
    async fn invoke(&self, call: ToolInvocation) -> PortResult<Value>;

    /// The kinds of tool this invoker runs: the admin API refuses a tool
    /// of any other kind, so it never fails at call time for want of an
    /// executor.
    fn kinds(&self) -> Vec<pika_domain::tool::ExecutionType>;

    /// The functions `tool` offers, read from the tool itself where its kind
    /// can say (an MCP server's `tools/list`), so an administrator need not
    /// declare them. `None`: this kind's functions are declared, not
    /// discovered. Default: `None`.
    ///
    /// # Errors
    /// - `Invalid` when the tool's address or headers are unusable (refused
    ///   by the SSRF guard, say).
    /// - `Transient` when its server cannot be reached or times out.
    async fn discover(
        &self,
        tool: &Tool,
    ) -> PortResult<Option<Vec<pika_domain::tool::FunctionSchema>>> {
        let _ = tool;
        Ok(None)
    }
}

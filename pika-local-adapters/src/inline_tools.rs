//! The tool invoker for `inline` tools: functions registered in-process by
//! the embedding service (PIKA.md §5).
//!
//! [`InlineTools`] maps function names to async handlers. Each handler gets
//! the model's input and the session attributes and returns the tool's
//! output or a [`PortError`] of the kinds the [`ToolInvoker`] port names.
//!
//! ```
//! use pika_local_adapters::inline_tools::InlineTools;
//! use serde_json::json;
//!
//! let mut tools = InlineTools::new();
//! tools.register_fn("echo", |input, _attributes| async move { Ok(json!({ "echo": input })) });
//! assert!(tools.contains("echo"));
//! ```
//!
//! [`demo`] holds two real tools (`current_time`, `convert_units`) that the
//! local server registers and seeds.

pub mod demo;
mod time;
mod units;

use async_trait::async_trait;
use futures::future::BoxFuture;
use futures::FutureExt;
use pika_domain::tool::ExecutionType;
use pika_ports::{PortError, PortResult, ToolInvocation, ToolInvoker};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// An inline tool function: the model's input and the session attributes
/// (PIKA.md §5: `userId`, `chatAppId`, `agentId`, `sessionId`,
/// `currentDate`, `messageId` and the user's custom data) to the tool's
/// output.
///
/// Return [`ErrorKind::Invalid`](pika_ports::ErrorKind::Invalid) when the
/// input is unusable (the model may try again), `Transient` when a retry may
/// help, `Permanent` otherwise.
pub type InlineHandler = Arc<
    dyn Fn(Value, Map<String, Value>) -> BoxFuture<'static, Result<Value, PortError>> + Send + Sync,
>;

/// A registry of in-process tool functions, usable as the [`ToolInvoker`]
/// for tools of [`ExecutionType::Inline`].
///
/// Build it at startup with [`register`](Self::register) or
/// [`register_fn`](Self::register_fn), then share it (it is cheap to clone).
#[derive(Clone, Default)]
pub struct InlineTools {
    handlers: BTreeMap<String, InlineHandler>,
}

impl fmt::Debug for InlineTools {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InlineTools")
            .field("functions", &self.handlers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl InlineTools {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` as function `function_name`, replacing any
    /// earlier handler of that name.
    pub fn register(
        &mut self,
        function_name: impl Into<String>,
        handler: InlineHandler,
    ) -> &mut Self {
        self.handlers.insert(function_name.into(), handler);
        self
    }

    /// Registers an async closure as function `function_name` (boxes it into
    /// an [`InlineHandler`]).
    pub fn register_fn<F, Fut>(&mut self, function_name: impl Into<String>, f: F) -> &mut Self
    where
        F: Fn(Value, Map<String, Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, PortError>> + Send + 'static,
    {
        let handler: InlineHandler =
            Arc::new(move |input, attributes| f(input, attributes).boxed());
        self.register(function_name, handler)
    }

    /// Whether function `function_name` is registered.
    pub fn contains(&self, function_name: &str) -> bool {
        self.handlers.contains_key(function_name)
    }

    /// The registered function names, sorted.
    pub fn functions(&self) -> Vec<&str> {
        self.handlers.keys().map(String::as_str).collect()
    }
}

#[async_trait]
impl ToolInvoker for InlineTools {
    fn kinds(&self) -> Vec<pika_domain::tool::ExecutionType> {
        use pika_domain::tool::ExecutionType;
        vec![ExecutionType::Inline]
    }

    /// Runs the handler of `call.function`.
    ///
    /// # Errors
    /// - `Permanent` when the tool is not an inline tool (this invoker runs
    ///   no Lambda functions), or when the handler panics.
    /// - `NotFound` when no handler is registered under the function name.
    /// - Whatever the handler returns.
    async fn invoke(&self, call: ToolInvocation) -> PortResult<Value> {
        if call.tool.execution_type != ExecutionType::Inline {
            let kind = serde_json::to_value(call.tool.execution_type)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| format!("{:?}", call.tool.execution_type));
            return Err(PortError::permanent(format!(
                "tool '{}' is a {kind} tool: no invoker for {kind} tools here (only inline tools run in-process)",
                call.tool.tool_id
            )));
        }
        let function = call.function.as_str();
        let Some(handler) = self.handlers.get(function) else {
            return Err(PortError::not_found(format!(
                "no inline handler is registered for function '{function}' of tool '{}'",
                call.tool.tool_id
            )));
        };
        let handler = Arc::clone(handler);
        let (input, attributes) = (call.input, call.session_attributes);
        // Calling the handler inside the future lets one `catch_unwind`
        // cover both its synchronous part and its polling.
        let running = async move { handler(input, attributes).await };
        match AssertUnwindSafe(running).catch_unwind().await {
            Ok(result) => result,
            Err(_) => {
                tracing::error!(function, "inline tool panicked");
                Err(PortError::permanent(format!(
                    "inline tool function '{function}' panicked"
                )))
            }
        }
    }
}

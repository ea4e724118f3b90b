//! One [`ToolInvoker`] over several: each call goes to the invoker that
//! runs its tool's kind (inline functions, `http` endpoints, …), so a
//! deployment offers every kind it has an executor for through one port.

use async_trait::async_trait;
use pika_domain::tool::{ExecutionType, FunctionSchema, Tool};
use pika_ports::{PortError, PortResult, ToolInvocation, ToolInvoker};
use serde_json::Value;
use std::sync::Arc;

/// Routes each call by its tool's execution type.
#[derive(Clone, Default)]
pub struct ToolDispatcher {
    invokers: Vec<Arc<dyn ToolInvoker>>,
}

impl ToolDispatcher {
    /// No invokers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `invoker` for the kinds it runs (an earlier one wins a kind
    /// both run).
    #[must_use]
    pub fn with(mut self, invoker: Arc<dyn ToolInvoker>) -> Self {
        self.invokers.push(invoker);
        self
    }
}

#[async_trait]
impl ToolInvoker for ToolDispatcher {
    async fn invoke(&self, call: ToolInvocation) -> PortResult<Value> {
        let kind = call.tool.execution_type;
        match self.invokers.iter().find(|i| i.kinds().contains(&kind)) {
            Some(invoker) => invoker.invoke(call).await,
            None => Err(PortError::permanent(format!(
                "no executor for {kind:?} tools in this deployment"
            ))),
        }
    }

    async fn discover(&self, tool: &Tool) -> PortResult<Option<Vec<FunctionSchema>>> {
        let kind = tool.execution_type;
        match self.invokers.iter().find(|i| i.kinds().contains(&kind)) {
            Some(invoker) => invoker.discover(tool).await,
            None => Ok(None),
        }
    }

    fn kinds(&self) -> Vec<ExecutionType> {
        let mut kinds = Vec::new();
        for kind in self.invokers.iter().flat_map(|i| i.kinds()) {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        kinds
    }
}

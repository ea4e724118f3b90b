//! A tool invoker whose functions are closures registered by the test.

use crate::faults::Faults;
use async_trait::async_trait;
use pika_ports::{PortError, PortResult, ToolInvocation, ToolInvoker};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The fault-injection operation name of [`FakeToolInvoker::invoke`].
pub const INVOKE_OP: &str = "ToolInvoker::invoke";

/// A function's behaviour: its input to its output or error.
pub type ToolHandler = Arc<dyn Fn(&Value) -> Result<Value, PortError> + Send + Sync + 'static>;

#[derive(Clone)]
enum Behaviour {
    Answer(ToolHandler),
    Slow(Duration, Value),
}

#[derive(Default)]
struct State {
    handlers: HashMap<String, Behaviour>,
    calls: Vec<ToolInvocation>,
    /// What `mcp` tools' servers list, once the fake runs them.
    mcp_functions: Option<Vec<pika_domain::tool::FunctionSchema>>,
}

/// A [`ToolInvoker`] dispatching on the invocation's function name.
/// Unknown functions fail `NotFound`, as the port says.
#[derive(Default)]
pub struct FakeToolInvoker {
    state: Mutex<State>,
    faults: Arc<Faults>,
}

impl FakeToolInvoker {
    /// No functions, no faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// No functions; checks `faults` (op [`INVOKE_OP`]) on every call.
    pub fn with_faults(faults: Arc<Faults>) -> Self {
        Self {
            state: Mutex::default(),
            faults,
        }
    }

    /// Runs `mcp` tools too, whose servers all list `functions` (what
    /// [`ToolInvoker::discover`] answers for an `mcp` tool).
    pub fn serve_mcp(&self, functions: Vec<pika_domain::tool::FunctionSchema>) {
        self.state().mcp_functions = Some(functions);
    }

    /// Its fault rules and call counts.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another test thread panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Function `function` answers with `handler(input)`; replaces any
    /// earlier behaviour of it.
    pub fn on<H>(&self, function: &str, handler: H)
    where
        H: Fn(&Value) -> Result<Value, PortError> + Send + Sync + 'static,
    {
        self.state()
            .handlers
            .insert(function.to_string(), Behaviour::Answer(Arc::new(handler)));
    }

    /// Function `function` waits `delay` (tokio time), then answers `output`.
    pub fn on_slow(&self, function: &str, delay: Duration, output: Value) {
        self.state()
            .handlers
            .insert(function.to_string(), Behaviour::Slow(delay, output));
    }

    /// Every invocation received (including failed ones), in order.
    pub fn calls(&self) -> Vec<ToolInvocation> {
        self.state().calls.clone()
    }

    /// The invocations of `function`, in order.
    pub fn calls_of(&self, function: &str) -> Vec<ToolInvocation> {
        self.state()
            .calls
            .iter()
            .filter(|c| c.function.as_str() == function)
            .cloned()
            .collect()
    }
}

#[async_trait]
impl ToolInvoker for FakeToolInvoker {
    fn kinds(&self) -> Vec<pika_domain::tool::ExecutionType> {
        use pika_domain::tool::ExecutionType;
        let mut kinds = vec![ExecutionType::Lambda, ExecutionType::Inline];
        if self.state().mcp_functions.is_some() {
            kinds.push(ExecutionType::Mcp);
        }
        kinds
    }

    /// An `mcp` tool's functions once [`FakeToolInvoker::serve_mcp`] was
    /// called; `None` for every other tool.
    async fn discover(
        &self,
        tool: &pika_domain::tool::Tool,
    ) -> PortResult<Option<Vec<pika_domain::tool::FunctionSchema>>> {
        if tool.execution_type != pika_domain::tool::ExecutionType::Mcp {
            return Ok(None);
        }
        Ok(self.state().mcp_functions.clone())
    }

    /// Records `call`, checks faults, then runs the function's behaviour.
    async fn invoke(&self, call: ToolInvocation) -> PortResult<Value> {
        let function = call.function.as_str().to_string();
        let input = call.input.clone();
        self.state().calls.push(call);
        self.faults.check(INVOKE_OP).await?;
        let behaviour = self.state().handlers.get(&function).cloned();
        match behaviour {
            None => Err(PortError::not_found(format!(
                "no tool function named {function}"
            ))),
            Some(Behaviour::Answer(handler)) => handler(&input),
            Some(Behaviour::Slow(delay, output)) => {
                tokio::time::sleep(delay).await;
                Ok(output)
            }
        }
    }
}

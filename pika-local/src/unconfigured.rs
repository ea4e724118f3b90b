//! The model ports when no model server is configured: every call is
//! refused with a message naming the setting to configure — never a fake
//! answer. (The HTTP layer refuses turns before they start with the same
//! message; this covers titles, verification and insights.)

use async_trait::async_trait;
use pika_ports::{
    AgentRequest, AgentRuntime, Completion, CompletionModel, CompletionRequest, PortError,
    PortResult, RuntimeStream,
};

/// What to tell the operator.
pub const MESSAGE: &str = "no model is configured: run `bash scripts/install-model.sh` to \
install the embedded default model (or set [model] path / PIKA_MODEL_PATH to a GGUF file), \
or set [model] base_url / PIKA_MODEL_BASE_URL to an OpenAI-compatible server \
(e.g. http://127.0.0.1:11434/v1 for Ollama)";

/// Refuses every model call.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoModel;

#[async_trait]
impl AgentRuntime for NoModel {
    async fn invoke(&self, _request: AgentRequest) -> PortResult<RuntimeStream> {
        Err(PortError::permanent(MESSAGE))
    }
}

#[async_trait]
impl CompletionModel for NoModel {
    async fn complete(&self, _request: CompletionRequest) -> PortResult<Completion> {
        Err(PortError::permanent(MESSAGE))
    }
}

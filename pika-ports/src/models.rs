//! Single-shot model calls: the verifier, title generation and insight
//! assessments. No tools, no history.

use crate::error::PortResult;
use async_trait::async_trait;
use pika_domain::cost::TokenUsage;

/// What a completion is for (adapters may log it; fakes route on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompletionPurpose {
    /// Grading an answer (§8).
    Verification,
    /// A session title (§6).
    Title,
    /// An insight assessment (§10).
    Assessment,
    /// Picking the agent for a message (`intentRouter`).
    Routing,
}

/// One completion request.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionRequest {
    /// The model.
    pub model_id: String,
    /// The system instruction.
    pub instruction: String,
    /// The single user input.
    pub input: String,
    /// Most output tokens.
    pub max_output_tokens: u32,
    /// Why.
    pub purpose: CompletionPurpose,
}

/// A completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The text.
    pub text: String,
    /// Its usage.
    pub usage: TokenUsage,
}

/// Makes single-shot model calls.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait CompletionModel: Send + Sync {
    /// Completes `request`.
    ///
    /// # Errors
    /// - `Transient` when throttled or unavailable; retry later.
    /// - `Invalid` when the request is refused.
    /// - `Permanent` on misconfiguration.
    async fn complete(&self, request: CompletionRequest) -> PortResult<Completion>;
}

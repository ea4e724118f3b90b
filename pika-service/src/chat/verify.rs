//! Calling the verifier (PIKA.md §8 step 1): the agent's verification model,
//! with the question and the answer only — no tools, no history.

use super::ChatInner;
use pika_domain::agent::Agent;
use pika_domain::cost::TokenUsage;
use pika_domain::verification::{
    parse_verifier_output, verifier_input, Grade, Verification, VERIFIER_INSTRUCTION,
};
use pika_ports::{CompletionPurpose, CompletionRequest};
use std::future::Future;

/// `work`'s result, or `None` when `deadline` passes first (no deadline: it
/// always finishes).
pub(super) async fn within<T>(
    deadline: Option<tokio::time::Instant>,
    work: impl Future<Output = T>,
) -> Option<T> {
    match deadline {
        Some(at) => tokio::time::timeout_at(at, work).await.ok(),
        None => Some(work.await),
    }
}

/// The verifier's grade of `answer` and the tokens it used. A verifier that
/// cannot be reached grades `U`: the answer stands, unverified.
pub(super) async fn verify(
    inner: &ChatInner,
    agent: &Agent,
    question: &str,
    answer: &str,
    deadline: Option<tokio::time::Instant>,
) -> (Verification, TokenUsage) {
    let request = CompletionRequest {
        model_id: agent.verification_model().to_string(),
        instruction: VERIFIER_INSTRUCTION.to_string(),
        input: verifier_input(question, answer),
        max_output_tokens: 512,
        purpose: CompletionPurpose::Verification,
    };
    // Past the turn's time limit the answer stands unverified: it must be
    // stored before the deadline.
    let called = within(deadline, inner.ports.completions.complete(request)).await;
    let Some(result) = called else {
        tracing::warn!("no time left to verify the answer; grading U");
        return (
            Verification {
                grade: Grade::U,
                explanation: "there was no time left to verify the answer".to_string(),
            },
            TokenUsage::default(),
        );
    };
    match result {
        Ok(completion) => (parse_verifier_output(&completion.text), completion.usage),
        Err(e) => {
            tracing::warn!(error = %e, "verifier call failed; grading U");
            (
                Verification {
                    grade: Grade::U,
                    explanation: "the verifier could not be reached".to_string(),
                },
                TokenUsage::default(),
            )
        }
    }
}

//! Calling the verifier (PIKA.md §8 step 1): the agent's verification model,
//! with the question and the answer only — no tools, no history.

use super::ChatInner;
use pika_domain::agent::Agent;
use pika_domain::cost::TokenUsage;
use pika_domain::verification::{
    parse_verifier_output, verifier_input, Grade, Verification, VERIFIER_INSTRUCTION,
};
use pika_ports::{CompletionPurpose, CompletionRequest};

/// The verifier's grade of `answer` and the tokens it used. A verifier that
/// cannot be reached grades `U`: the answer stands, unverified.
pub(super) async fn verify(
    inner: &ChatInner,
    agent: &Agent,
    question: &str,
    answer: &str,
) -> (Verification, TokenUsage) {
    let request = CompletionRequest {
        model_id: agent.verification_model().to_string(),
        instruction: VERIFIER_INSTRUCTION.to_string(),
        input: verifier_input(question, answer),
        max_output_tokens: 512,
        purpose: CompletionPurpose::Verification,
    };
    match inner.ports.completions.complete(request).await {
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

//! Examples of embedding Pika. Run one with
//! `cargo run -p pika-examples --example scripted_turn`.
//!
//! - `scripted_turn`: a whole chat turn — access check, a tool call, a
//!   streamed answer, self-correction, persistence, metrics — against the
//!   in-memory fakes of `pika-testkit`, printed as it streams.
//!
//! - `embed_in_axum`: Pika's API mounted in a host's axum app behind the
//!   host's authentication.
//! - `chat_in_a_worker`: the chat service in a queue worker, no HTTP.
//! - `custom_store`: a store written outside Pika's adapters
//!   ([`file_job_lock::FileJobLock`]) composed into the platform; its
//!   tests run `pika-testkit`'s contract suite on it.
//!
//! This library part holds what the examples share: printing events, and
//! the custom store.

pub mod file_job_lock;

use pika_domain::stream::{SequencedEvent, TurnEvent};

/// One line describing an event, as the terminal example prints it.
pub fn describe(e: &SequencedEvent) -> String {
    let body = match &e.event {
        TurnEvent::Session { session_id, .. } => format!("session  {session_id}"),
        TurnEvent::Delta { text } => format!("delta    {text:?}"),
        TurnEvent::ToolCall {
            tool_name, input, ..
        } => format!("tool     {tool_name}({input})"),
        TurnEvent::ToolResult { ok, output, .. } => format!("result   ok={ok} {output}"),
        TurnEvent::ConfirmationRequired {
            tool_name, input, ..
        } => format!("confirm? {tool_name}({input})"),
        TurnEvent::Trace { kind, detail } => format!("trace    {kind}: {detail}"),
        TurnEvent::Verification {
            stage,
            grade,
            explanation,
        } => {
            format!("verify   {stage:?} → {grade}: {explanation}")
        }
        TurnEvent::CorrectionStart {} => "correct  (a correction follows)".to_string(),
        TurnEvent::Usage {
            input_tokens,
            output_tokens,
            total_cost,
        } => {
            format!("usage    {input_tokens} in / {output_tokens} out, ${total_cost:.6}")
        }
        TurnEvent::Done { title, stopped, .. } => {
            format!(
                "done     title={title:?} stopped={}",
                stopped.unwrap_or(false)
            )
        }
        TurnEvent::Error { code, message } => format!("error    {code}: {message}"),
    };
    format!("#{:<3} {body}", e.seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_events_with_their_sequence() {
        let e = SequencedEvent {
            seq: 3,
            event: TurnEvent::Delta { text: "hi".into() },
        };
        assert_eq!(describe(&e), "#3   delta    \"hi\"");
    }
}

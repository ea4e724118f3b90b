//! Publishes a turn's events to its log, applying what the caller may see:
//! traces only with the `traces` feature, tool inputs and outputs only with
//! `detailedTraces`.

use super::registry::TurnLog;
use pika_domain::stream::{TurnEvent, VerificationStage};
use pika_domain::verification::Verification;
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use tokio::time::{Duration, Instant};

pub(super) struct Emitter {
    log: Arc<TurnLog>,
    traces: bool,
    detailed: bool,
    started: Instant,
    first_token: OnceLock<Duration>,
    /// Drops answer text (a collaborator's, which its caller words anew).
    quiet: bool,
}

impl Emitter {
    pub(super) fn new(log: Arc<TurnLog>, traces: bool, detailed: bool, started: Instant) -> Self {
        Self {
            log,
            traces,
            detailed,
            started,
            first_token: OnceLock::new(),
            quiet: false,
        }
    }

    /// An emitter on the same log that drops answer text.
    pub(super) fn quiet(&self) -> Self {
        Self {
            log: Arc::clone(&self.log),
            traces: self.traces,
            detailed: self.detailed,
            started: self.started,
            first_token: OnceLock::new(),
            quiet: true,
        }
    }

    pub(super) fn delta(&self, text: &str) {
        if text.is_empty() || self.quiet {
            return;
        }
        let _ = self.first_token.set(self.started.elapsed());
        self.log.push(TurnEvent::Delta {
            text: text.to_string(),
        });
    }

    pub(super) fn tool_call(&self, tool_use_id: &str, tool_name: &str, input: &Value) {
        self.log.push(TurnEvent::ToolCall {
            tool_use_id: tool_use_id.to_string(),
            tool_name: tool_name.to_string(),
            input: if self.detailed {
                input.clone()
            } else {
                Value::Null
            },
        });
    }

    pub(super) fn tool_result(&self, tool_use_id: &str, ok: bool, output: &Value) {
        self.log.push(TurnEvent::ToolResult {
            tool_use_id: tool_use_id.to_string(),
            ok,
            output: if self.detailed {
                output.clone()
            } else {
                Value::Null
            },
        });
    }

    pub(super) fn trace(&self, kind: &str, detail: Value) {
        if self.traces {
            self.log.push(TurnEvent::Trace {
                kind: kind.to_string(),
                detail,
            });
        }
    }

    pub(super) fn verification(&self, stage: VerificationStage, v: &Verification) {
        self.log.push(TurnEvent::Verification {
            stage,
            grade: v.grade,
            explanation: v.explanation.clone(),
        });
        self.trace(
            "verification",
            serde_json::json!({ "stage": stage, "grade": v.grade, "explanation": v.explanation }),
        );
    }

    pub(super) fn correction_start(&self) {
        self.log.push(TurnEvent::CorrectionStart {});
    }

    pub(super) fn push(&self, event: TurnEvent) {
        self.log.push(event);
    }

    /// How long the first text took, if any came.
    pub(super) fn time_to_first_token(&self) -> Option<Duration> {
        self.first_token.get().copied()
    }

    pub(super) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub(super) fn log(&self) -> &Arc<TurnLog> {
        &self.log
    }
}

//! The events of a streamed turn (PIKA.md §9, §11 "Wire shapes"). The HTTP
//! layer encodes the same sequence as SSE or as Pika text; a test collects it.

use crate::ids::{MessageId, SessionId};
use crate::verification::Grade;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which answer a verification grades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerificationStage {
    /// The main answer.
    Main,
    /// The correction.
    Correction,
}

/// One event of a turn. Serialized as `{"type": name, "data": {...}}`; the
/// `data` object is the SSE payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    content = "data",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum TurnEvent {
    /// Always first: the ids of the turn.
    Session {
        /// The session.
        session_id: SessionId,
        /// The stored user message.
        user_message_id: MessageId,
        /// The answer being written.
        assistant_message_id: MessageId,
    },
    /// Answer text.
    Delta {
        /// The new text.
        text: String,
    },
    /// The agent calls a tool.
    ToolCall {
        /// The model's id for the call.
        tool_use_id: String,
        /// The function.
        tool_name: String,
        /// Its input (omitted unless detailed traces are allowed).
        input: Value,
    },
    /// A tool answered.
    ToolResult {
        /// The call.
        tool_use_id: String,
        /// Whether it succeeded.
        ok: bool,
        /// Its output (omitted unless detailed traces are allowed).
        output: Value,
    },
    /// The agent wants to run a tool that needs the user's consent: the
    /// turn waits until `POST /sessions/{id}/confirm` answers (or the site's
    /// `turn.confirmationTimeoutMs` passes, which declines).
    ConfirmationRequired {
        /// The call awaiting an answer.
        tool_use_id: String,
        /// The function.
        tool_name: String,
        /// Its input, shown whatever the trace settings: the user decides on it.
        input: Value,
    },
    /// A trace from the model or the platform.
    Trace {
        /// What kind (`model`, `tool`, `verification`, `memory`, …).
        kind: String,
        /// Details.
        detail: Value,
    },
    /// A verification result.
    Verification {
        /// Which answer.
        stage: VerificationStage,
        /// The grade.
        grade: Grade,
        /// Why.
        explanation: String,
    },
    /// A correction follows.
    CorrectionStart {},
    /// Usage of the turn so far.
    Usage {
        /// Prompt tokens.
        input_tokens: u64,
        /// Generated tokens.
        output_tokens: u64,
        /// USD.
        total_cost: f64,
    },
    /// The turn ended and is stored.
    Done {
        /// The user message.
        user_message_id: MessageId,
        /// The answer.
        assistant_message_id: MessageId,
        /// The session's title when it was just generated.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        /// Set when the answer was stopped.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stopped: Option<bool>,
    },
    /// The turn failed; nothing follows.
    Error {
        /// A stable code.
        code: String,
        /// A plain sentence.
        message: String,
    },
}

impl TurnEvent {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Session { .. } => "session",
            Self::Delta { .. } => "delta",
            Self::ToolCall { .. } => "tool_call",
            Self::ToolResult { .. } => "tool_result",
            Self::ConfirmationRequired { .. } => "confirmation_required",
            Self::Trace { .. } => "trace",
            Self::Verification { .. } => "verification",
            Self::CorrectionStart {} => "correction_start",
            Self::Usage { .. } => "usage",
            Self::Done { .. } => "done",
            Self::Error { .. } => "error",
        }
    }

    /// Whether nothing follows this event.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Done { .. } | Self::Error { .. })
    }

    /// The SSE `data` payload.
    pub fn data(&self) -> Value {
        match serde_json::to_value(self) {
            Ok(Value::Object(mut map)) => map.remove("data").unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }
}

/// An event with its position in the turn (0 is the `session` event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SequencedEvent {
    /// Position in the turn.
    pub seq: u64,
    /// The event.
    pub event: TurnEvent,
}

/// The SSE id of an event: `{assistantMessageId}:{seq}`.
pub fn event_id(assistant_message_id: MessageId, seq: u64) -> String {
    format!("{assistant_message_id}:{seq}")
}

/// Reads an SSE id back. `None` when it is not of the form `{uuid}:{seq}`.
pub fn parse_event_id(raw: &str) -> Option<(MessageId, u64)> {
    let (id, seq) = raw.rsplit_once(':')?;
    Some((MessageId::parse(id).ok()?, seq.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wire_shapes_match_the_spec() {
        let e = TurnEvent::ToolCall {
            tool_use_id: "t1".into(),
            tool_name: "get_time".into(),
            input: json!({"tz": "UTC"}),
        };
        assert_eq!(e.name(), "tool_call");
        assert_eq!(
            e.data(),
            json!({"toolUseId": "t1", "toolName": "get_time", "input": {"tz": "UTC"}})
        );
        assert_eq!(TurnEvent::CorrectionStart {}.data(), json!({}));
        let done = TurnEvent::Done {
            user_message_id: MessageId::parse("01890a5d-ac96-774b-bcce-b302099a8057").unwrap(),
            assistant_message_id: MessageId::parse("01890a5d-ac96-774b-bcce-b302099a8058").unwrap(),
            title: None,
            stopped: None,
        };
        assert_eq!(
            done.data(),
            json!({"userMessageId": "01890a5d-ac96-774b-bcce-b302099a8057", "assistantMessageId": "01890a5d-ac96-774b-bcce-b302099a8058"})
        );
    }

    #[test]
    fn event_ids_round_trip() {
        let id = MessageId::parse("01890a5d-ac96-774b-bcce-b302099a8057").unwrap();
        let raw = event_id(id, 12);
        assert_eq!(parse_event_id(&raw), Some((id, 12)));
        assert_eq!(parse_event_id("nope"), None);
        assert_eq!(
            parse_event_id("01890a5d-ac96-774b-bcce-b302099a8057:x"),
            None
        );
    }
}

//! Messages of a session (PIKA.md §6).

use crate::cost::Usage;
use crate::ids::{ClientMessageId, FileId, MessageId, SessionId};
use crate::stream::SequencedEvent;
use crate::verification::Verifications;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The person.
    User,
    /// The agent.
    Assistant,
}

/// One tool call made while answering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallRecord {
    /// The model's id for the call.
    pub tool_use_id: String,
    /// The function called.
    pub tool_name: String,
    /// Its input.
    pub input: Value,
    /// Whether it succeeded.
    pub ok: bool,
    /// Its output (or the error text).
    pub output: Value,
    /// How long it took.
    pub duration_ms: u64,
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRef {
    /// Its id.
    pub file_id: FileId,
    /// The name the user gave it.
    pub name: String,
    /// Its MIME type.
    pub content_type: String,
    /// Where the file store keeps it (a reference tools can use).
    pub key: String,
}

/// A sanitized error recorded on a message: a code and a message fit for users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageError {
    /// A stable code (`model_unavailable`, `internal`, …).
    pub code: String,
    /// A plain sentence; never internal details.
    pub message: String,
}

/// A message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The session.
    pub session_id: SessionId,
    /// Its id.
    pub message_id: MessageId,
    /// Who wrote it.
    pub role: Role,
    /// Its text (for an answer with a correction, both parts).
    pub content: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The model that wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The agent that wrote it (the one the intent router chose, or the
    /// chat app's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<crate::ids::AgentId>,
    /// Usage of all model calls that produced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Tool calls made on the way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallRecord>,
    /// How long the turn took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_duration_ms: Option<u64>,
    /// Self-correction results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifications: Option<Verifications>,
    /// Files attached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileRef>,
    /// What went wrong, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<MessageError>,
    /// Whether the answer was stopped before its end.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stopped: bool,
    /// The knowledge-base passages the answer drew on (assistant messages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub citations: Vec<crate::knowledge::Citation>,
    /// The client's id for the request that produced it (user messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_message_id: Option<ClientMessageId>,
    /// The events streamed for this answer, kept for resume and replay
    /// (assistant messages). Not part of the message's wire shape.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stream_events: Vec<SequencedEvent>,
}

impl Message {
    /// A user message.
    pub fn user(
        session_id: SessionId,
        message_id: MessageId,
        content: String,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            session_id,
            message_id,
            role: Role::User,
            content,
            created_at,
            model: None,
            agent_id: None,
            usage: None,
            tool_calls: Vec::new(),
            execution_duration_ms: None,
            verifications: None,
            files: Vec::new(),
            error: None,
            stopped: false,
            citations: Vec::new(),
            client_message_id: None,
            stream_events: Vec::new(),
        }
    }

    /// An assistant message with no content yet.
    pub fn assistant(
        session_id: SessionId,
        message_id: MessageId,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            role: Role::Assistant,
            ..Self::user(session_id, message_id, String::new(), created_at)
        }
    }
}

/// The longest user message accepted, in characters.
pub const MAX_USER_MESSAGE_CHARS: usize = 32_000;

/// Why a user's message text is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMessageText {
    /// Empty or only whitespace.
    #[error("the message is empty")]
    Empty,
    /// Too long.
    #[error("the message is longer than {MAX_USER_MESSAGE_CHARS} characters")]
    TooLong,
    /// Contains NUL or other control characters than tab and newlines.
    #[error("the message contains control characters")]
    ControlCharacters,
}

/// Checks a user's message text.
///
/// # Errors
/// [`InvalidMessageText`] naming the problem.
pub fn validate_user_text(text: &str) -> Result<(), InvalidMessageText> {
    if text.trim().is_empty() {
        return Err(InvalidMessageText::Empty);
    }
    if text.chars().count() > MAX_USER_MESSAGE_CHARS {
        return Err(InvalidMessageText::TooLong);
    }
    if has_control_characters(text) {
        return Err(InvalidMessageText::ControlCharacters);
    }
    Ok(())
}

/// Whether `text` holds control characters other than tab and line breaks:
/// refused in every free text a user writes (messages, titles, comments).
pub fn has_control_characters(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

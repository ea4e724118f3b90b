//! Feedback records (PIKA.md §10): from people (thumbs, comments) or from the
//! insights runner, triaged by site admins.

use crate::ids::{ChatAppId, FeedbackId, MessageId, SessionId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who produced the feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedbackSource {
    /// A person.
    Human,
    /// The insights runner.
    Automatic,
}

/// Triage status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackStatus {
    /// New.
    Open,
    /// Someone is looking.
    InReview,
    /// Dealt with.
    Resolved,
    /// Closed without action.
    Closed,
}

/// How serious it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Minor.
    Low,
    /// Worth a look.
    Medium,
    /// Needs attention.
    High,
    /// Needs attention now.
    Critical,
}

/// What kind of feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    /// 👍
    ThumbsUp,
    /// 👎
    ThumbsDown,
    /// The answer made things up.
    Hallucination,
    /// The answer was wrong.
    Incorrect,
    /// The answer was harmful.
    Harmful,
    /// Found by an insight assessment.
    InsightFinding,
    /// Something else.
    Other,
}

/// A feedback record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Feedback {
    /// Its id.
    pub feedback_id: FeedbackId,
    /// The session.
    pub session_id: SessionId,
    /// The session's chat app.
    pub chat_app_id: ChatAppId,
    /// The message, when about one message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
    /// Who reported it (`None` for automatic feedback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<UserId>,
    /// Human or automatic.
    pub source: FeedbackSource,
    /// Triage status.
    pub status: FeedbackStatus,
    /// Severity, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// What kind.
    pub kind: FeedbackKind,
    /// The reporter's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Admins' notes, never shown to the reporter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_comment: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The longest feedback comment accepted, in characters.
pub const MAX_COMMENT_CHARS: usize = 4_000;

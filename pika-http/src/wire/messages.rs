//! Messages as the API returns them (never their stream events or the
//! storage keys of their files).

use super::sessions::UsageView;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::message::{Message, Role};
use pika_domain::verification::{Grade, Verification};
use pika_ports::page::Page;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleView {
    /// The person.
    User,
    /// The agent.
    Assistant,
}

/// A tool the agent called while answering.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallView {
    /// The model's id of the call.
    pub tool_use_id: String,
    /// The function called.
    pub tool_name: String,
    /// Its input (`null` unless the caller may see detailed traces).
    pub input: Value,
    /// Whether it succeeded.
    pub ok: bool,
    /// Its output (`null` unless the caller may see detailed traces).
    pub output: Value,
    /// How long it ran.
    pub duration_ms: u64,
}

/// A file attached to a message.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileView {
    /// Its id (for `GET /sessions/{id}/files/{fileId}`).
    pub file_id: String,
    /// Its name.
    pub name: String,
    /// Its media type.
    pub content_type: String,
}

/// How a turn failed.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageErrorView {
    /// A stable code.
    pub code: String,
    /// For people.
    pub message: String,
}

/// A passage of a knowledge base the answer used.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CitationView {
    /// The knowledge base.
    pub knowledge_base_id: String,
    /// The document.
    pub source: String,
    /// The passage.
    pub excerpt: String,
    /// Its relevance, when the knowledge base gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// A grade of an answer (PIKA.md §8).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationView {
    /// `A`, `B`, `C`, `F` or `U` (ungraded).
    #[schema(pattern = "^[ABCFU]$")]
    pub grade: String,
    /// Why.
    pub explanation: String,
}

impl From<Verification> for VerificationView {
    fn from(v: Verification) -> Self {
        let grade = match v.grade {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::F => "F",
            Grade::U => "U",
        };
        Self {
            grade: grade.to_string(),
            explanation: v.explanation,
        }
    }
}

/// The grades of an answer and of its correction.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationsView {
    /// The answer's grade.
    pub main: VerificationView,
    /// The corrected answer's grade, when it was corrected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correction: Option<VerificationView>,
}

/// A message of a session.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    /// Its session.
    pub session_id: String,
    /// Its id.
    pub message_id: String,
    /// Who wrote it.
    pub role: RoleView,
    /// Its text.
    pub content: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// The model that wrote an answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The agent that answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The answer's tokens and cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageView>,
    /// The tools called.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallView>,
    /// How long the turn took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_duration_ms: Option<u64>,
    /// Its grades.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verifications: Option<VerificationsView>,
    /// Attached files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileView>,
    /// Why the turn failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<MessageErrorView>,
    /// The user stopped the turn.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stopped: bool,
    /// Passages the answer used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub citations: Vec<CitationView>,
    /// The client's idempotency id of the user's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_message_id: Option<String>,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        Self {
            session_id: m.session_id.to_string(),
            message_id: m.message_id.to_string(),
            role: match m.role {
                Role::User => RoleView::User,
                Role::Assistant => RoleView::Assistant,
            },
            content: m.content,
            created_at: m.created_at,
            model: m.model,
            agent_id: m.agent_id.map(|a| a.to_string()),
            usage: m.usage.map(Into::into),
            tool_calls: m
                .tool_calls
                .into_iter()
                .map(|c| ToolCallView {
                    tool_use_id: c.tool_use_id,
                    tool_name: c.tool_name,
                    input: c.input,
                    ok: c.ok,
                    output: c.output,
                    duration_ms: c.duration_ms,
                })
                .collect(),
            execution_duration_ms: m.execution_duration_ms,
            verifications: m.verifications.map(|v| VerificationsView {
                main: v.main.into(),
                correction: v.correction.map(Into::into),
            }),
            files: m
                .files
                .into_iter()
                .map(|f| FileView {
                    file_id: f.file_id.to_string(),
                    name: f.name,
                    content_type: f.content_type,
                })
                .collect(),
            error: m.error.map(|e| MessageErrorView {
                code: e.code,
                message: e.message,
            }),
            stopped: m.stopped,
            citations: m
                .citations
                .into_iter()
                .map(|c| CitationView {
                    knowledge_base_id: c.knowledge_base_id,
                    source: c.source,
                    excerpt: c.excerpt,
                    score: c.score,
                })
                .collect(),
            client_message_id: m.client_message_id.map(|c| c.to_string()),
        }
    }
}

/// A page of messages, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    /// The messages.
    pub items: Vec<MessageView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

impl From<Page<Message>> for MessagePage {
    fn from(p: Page<Message>) -> Self {
        Self {
            items: p.items.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor.map(|c| c.as_str().to_string()),
        }
    }
}

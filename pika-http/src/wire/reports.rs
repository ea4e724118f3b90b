//! The smaller answers: health, turn control, user data, erasure,
//! analytics, feedback and insights, memory, search.

use super::sessions::UsageView;
use pika_domain::chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// `GET /health`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthView {
    /// `ok`.
    pub status: String,
}

/// `POST /sessions/{id}/stop`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StopView {
    /// Whether a turn was running (and is now stopped).
    pub stopped: bool,
}

/// `POST /sessions/{id}/confirm`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConfirmView {
    /// The answer reached the waiting turn.
    pub accepted: bool,
}

/// The caller's override of their custom data in a chat app.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDataView {
    /// The keys replaced; `{}` when there is no override.
    pub custom_data: Map<String, Value>,
}

/// `DELETE /admin/users/{id}/data`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErasureView {
    /// Sessions deleted, with their messages, documents and files.
    pub sessions: u64,
    /// Uploaded files deleted.
    pub files: u64,
}

/// Usage and turns of a group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TotalsView {
    /// Tokens and cost.
    pub usage: UsageView,
    /// Turns.
    pub turns: u64,
}

/// One day of the series.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayView {
    /// The day.
    pub day: NaiveDate,
    /// Tokens and cost.
    pub usage: UsageView,
    /// Turns.
    pub turns: u64,
}

/// Usage of one model, chat app or entity (the one key its list names).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    /// The model (in `byModel`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    /// The chat app (in `byChatApp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_app_id: Option<String>,
    /// The entity (in `byEntity`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    /// Tokens and cost.
    pub usage: UsageView,
    /// Turns.
    pub turns: u64,
}

/// `GET /admin/analytics`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsView {
    /// Everything in the range.
    pub totals: TotalsView,
    /// Every day of the range.
    pub series: Vec<DayView>,
    /// By model, most expensive first.
    pub by_model: Vec<GroupView>,
    /// By chat app, most expensive first.
    pub by_chat_app: Vec<GroupView>,
    /// By entity, most expensive first.
    pub by_entity: Vec<GroupView>,
}

/// A feedback record: a user's, or a finding of the insight runner.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackView {
    /// Its id.
    pub feedback_id: String,
    /// The session.
    pub session_id: String,
    /// The session's chat app.
    pub chat_app_id: String,
    /// The answer it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Who gave it (a person's feedback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<String>,
    /// `human` or `automatic`.
    #[schema(pattern = "^(human|automatic)$")]
    pub source: String,
    /// `open`, `in_review`, `resolved` or `closed`.
    #[schema(pattern = "^(open|in_review|resolved|closed)$")]
    pub status: String,
    /// `low`, `medium`, `high` or `critical`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// `thumbs_up`, `thumbs_down`, `hallucination`, `incorrect`,
    /// `harmful`, `insight_finding` or `other`.
    pub kind: String,
    /// The reporter's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The triager's note (site and content admins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_comment: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last triage.
    pub updated_at: DateTime<Utc>,
}

/// A page of feedback records.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackPage {
    /// The records.
    pub items: Vec<FeedbackView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// `GET /insights/{sessionId}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionInsightView {
    /// The insight runner's assessment (scores, sentiment, goal
    /// completion, summary; docs/insights.md), once analysed.
    #[schema(value_type = Option<Object>)]
    pub assessment: Option<Value>,
    /// The session's feedback and findings.
    pub feedback: Vec<FeedbackView>,
}

/// Something Pika remembers about the caller.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemoryRecordView {
    /// Its id.
    pub record_id: String,
    /// Whose.
    pub user_id: String,
    /// `preferences` or `semantic`.
    #[schema(pattern = "^(preferences|semantic)$")]
    pub strategy: String,
    /// What is remembered.
    pub content: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// The session it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_session_id: Option<String>,
}

/// A page of memory records.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemoryPage {
    /// The records.
    pub items: Vec<MemoryRecordView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// The message a search hit found.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchDocumentView {
    /// Its session.
    pub session_id: String,
    /// The message.
    pub message_id: String,
    /// The session's owner.
    pub user_id: String,
    /// The session's chat app.
    pub chat_app_id: String,
    /// The session's entity.
    pub entity_id: String,
    /// The session's title.
    pub title: Option<String>,
    /// The message's text.
    pub text: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The session's insight score, once analysed.
    pub insight_score: Option<u8>,
}

/// One hit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchHitView {
    /// The message found.
    pub document: SearchDocumentView,
    /// The matching passage.
    pub snippet: String,
    /// Relevance.
    pub score: f32,
}

/// A page of hits, best first.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchPage {
    /// The hits.
    pub items: Vec<SearchHitView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

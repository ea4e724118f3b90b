//! Sessions and messages as the API returns them: built from the domain
//! types field by field, so the store's and the domain's own fields (a
//! message's stream events, a file's storage key, the insight runner's
//! bookmark) never reach a client by accident.

use pika_domain::chrono::{DateTime, Utc};
use pika_domain::cost::Usage;
use pika_domain::session::{InsightStatus, Session, SharedSession};
use pika_ports::page::Page;
use serde::Serialize;
use utoipa::ToSchema;

/// Tokens and their cost.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageView {
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cost of the input, USD.
    pub input_cost: f64,
    /// Cost of the output, USD.
    pub output_cost: f64,
    /// Both, USD.
    pub total_cost: f64,
}

impl From<Usage> for UsageView {
    fn from(u: Usage) -> Self {
        Self {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            input_cost: u.input_cost,
            output_cost: u.output_cost,
            total_cost: u.total_cost,
        }
    }
}

/// A session's share link.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShareView {
    /// The secret of the link (`/shared/{shareId}`).
    pub share_id: String,
    /// Who shared it.
    pub shared_by: String,
    /// When.
    pub shared_at: DateTime<Utc>,
    /// When it was revoked; a revoked link opens nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Where the insight runner is with a session.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InsightStatusView {
    /// Analysed up to its last message.
    UpToDate,
    /// New messages wait for analysis.
    Pending,
    /// The last analysis failed.
    Failed,
}

impl From<InsightStatus> for InsightStatusView {
    fn from(s: InsightStatus) -> Self {
        match s {
            InsightStatus::UpToDate => Self::UpToDate,
            InsightStatus::Pending => Self::Pending,
            InsightStatus::Failed => Self::Failed,
        }
    }
}

/// A conversation.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    /// Its id (UUIDv7).
    pub session_id: String,
    /// Its owner.
    pub user_id: String,
    /// The chat app it belongs to.
    pub chat_app_id: String,
    /// The agent that answers in it.
    pub agent_id: String,
    /// The owner's entity when it was created.
    pub entity_id: String,
    /// Its title, once given or generated.
    pub title: Option<String>,
    /// Pinned to the top of the owner's list.
    pub pinned: bool,
    /// Its latest message.
    pub last_message_id: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Tokens and cost of its turns.
    pub usage: UsageView,
    /// Where the insight runner is with it.
    pub insight_status: InsightStatusView,
    /// Its share link, if it was ever shared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<ShareView>,
    /// When the retention of its chat app deletes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<Session> for SessionView {
    fn from(s: Session) -> Self {
        Self {
            session_id: s.session_id.to_string(),
            user_id: s.user_id.to_string(),
            chat_app_id: s.chat_app_id.to_string(),
            agent_id: s.agent_id.to_string(),
            entity_id: s.entity_id.to_string(),
            title: s.title,
            pinned: s.pinned,
            last_message_id: s.last_message_id.map(|m| m.to_string()),
            created_at: s.created_at,
            updated_at: s.updated_at,
            usage: s.usage.into(),
            insight_status: s.insight_status.into(),
            share: s.share.map(|sh| ShareView {
                share_id: sh.share_id.to_string(),
                shared_by: sh.shared_by.to_string(),
                shared_at: sh.shared_at,
                revoked_at: sh.revoked_at,
            }),
            expires_at: s.expires_at,
        }
    }
}

/// A page of sessions.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionPage {
    /// The sessions.
    pub items: Vec<SessionView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

impl From<Page<Session>> for SessionPage {
    fn from(p: Page<Session>) -> Self {
        Self {
            items: p.items.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor.map(|c| c.as_str().to_string()),
        }
    }
}

/// A presigned request: send it as given (`PUT` the file's bytes for an
/// upload, `GET` for a download).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresignedView {
    /// Where.
    pub url: String,
    /// `PUT` or `GET`.
    pub method: String,
    /// Headers to send, as `[name, value]` pairs.
    #[schema(value_type = Vec<Vec<String>>)]
    pub headers: Vec<(String, String)>,
    /// When the URL stops working.
    pub expires_at: DateTime<Utc>,
}

impl From<pika_ports::files::PresignedUrl> for PresignedView {
    fn from(p: pika_ports::files::PresignedUrl) -> Self {
        Self {
            url: p.url,
            method: p.method,
            headers: p.headers,
            expires_at: p.expires_at,
        }
    }
}

/// What `POST /sessions/{id}/files` hands out.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadTicketView {
    /// What a message's `fileIds` names once the file is uploaded.
    pub file_ref: String,
    /// Where the file is stored.
    pub key: String,
    /// The upload to send.
    pub upload: PresignedView,
}

impl From<pika_service::uploads::UploadTicket> for UploadTicketView {
    fn from(t: pika_service::uploads::UploadTicket) -> Self {
        Self {
            file_ref: t.file_ref,
            key: t.key,
            upload: t.upload.into(),
        }
    }
}

/// A shared session as anyone with its link sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SharedSessionView {
    /// Its id.
    pub session_id: String,
    /// Its chat app.
    pub chat_app_id: String,
    /// Its title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<SharedSession> for SharedSessionView {
    fn from(s: SharedSession) -> Self {
        Self {
            session_id: s.session_id.to_string(),
            chat_app_id: s.chat_app_id.to_string(),
            title: s.title,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// `GET /shared/{shareId}`: the session and a page of its messages.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SharedView {
    /// The session.
    pub session: SharedSessionView,
    /// Its messages, oldest first.
    pub messages: super::messages::MessagePage,
}

//! Sessions (PIKA.md §6) and who may read or post into them (§2).

use crate::cost::Usage;
use crate::ids::{AgentId, ChatAppId, EntityId, MessageId, SessionId, ShareId, UserId};
use crate::user::User;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a session stands with the insights runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum InsightStatus {
    /// Nothing to analyse (no new messages since the last analysis).
    #[default]
    UpToDate,
    /// New messages wait for analysis (the sparse "needs insights" index).
    Pending,
    /// The last analysis failed; it will be retried.
    Failed,
}

/// A share link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareInfo {
    /// The link's id.
    pub share_id: ShareId,
    /// Who shared.
    pub shared_by: UserId,
    /// When.
    pub shared_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ShareInfo {
    /// Whether the link still works.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// A chat session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// Its id (UUIDv7).
    pub session_id: SessionId,
    /// The owner.
    pub user_id: UserId,
    /// The chat app it belongs to.
    pub chat_app_id: ChatAppId,
    /// The agent that answers.
    pub agent_id: AgentId,
    /// The owner's entity at creation, or `chat-app-global`.
    pub entity_id: EntityId,
    /// Its title, once set or generated.
    #[serde(default)]
    pub title: Option<String>,
    /// Pinned sessions are listed first by clients.
    #[serde(default)]
    pub pinned: bool,
    /// The newest message.
    #[serde(default)]
    pub last_message_id: Option<MessageId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Usage totals of all turns.
    #[serde(default)]
    pub usage: Usage,
    /// The newest message the insights runner has analysed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_analyzed_message_id: Option<MessageId>,
    /// Insights bookkeeping.
    #[serde(default)]
    pub insight_status: InsightStatus,
    /// The share link, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<ShareInfo>,
    /// When the session may be deleted by cleanup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl Session {
    /// A new, empty session.
    pub fn new(
        session_id: SessionId,
        user_id: UserId,
        chat_app_id: ChatAppId,
        agent_id: AgentId,
        entity_id: EntityId,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            session_id,
            user_id,
            chat_app_id,
            agent_id,
            entity_id,
            title: None,
            pinned: false,
            last_message_id: None,
            created_at: now,
            updated_at: now,
            usage: Usage::default(),
            last_analyzed_message_id: None,
            insight_status: InsightStatus::UpToDate,
            share: None,
            expires_at: None,
        }
    }
}

/// What a user may do with a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionAccess {
    /// The owner: read, post, change, delete.
    Owner,
    /// A content or site admin: read only; posting is refused (403).
    Viewer,
    /// Nothing; the session is reported as not found, so its existence does not leak.
    None,
}

/// What `user` may do with `session`.
pub fn session_access(user: &User, session: &Session) -> SessionAccess {
    if session.user_id == user.user_id {
        SessionAccess::Owner
    } else if user.may_view_others() {
        SessionAccess::Viewer
    } else {
        SessionAccess::None
    }
}

/// A shared session as its readers get it: the conversation's frame only —
/// not the owner's id, entity, usage or cost, nor the share's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedSession {
    /// The session.
    pub session_id: SessionId,
    /// Its chat app.
    pub chat_app_id: ChatAppId,
    /// Its title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<&Session> for SharedSession {
    fn from(s: &Session) -> Self {
        Self {
            session_id: s.session_id,
            chat_app_id: s.chat_app_id.clone(),
            title: s.title.clone(),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// Whether `user` may read `session` through its share link: the link is
/// active and, when the session carries a real entity, the reader belongs to it.
pub fn may_read_shared(user: &User, session: &Session, entity_path: Option<&str>) -> bool {
    let Some(share) = &session.share else {
        return false;
    };
    if !share.is_active() {
        return false;
    }
    if session_access(user, session) != SessionAccess::None {
        return true;
    }
    if session.entity_id.as_str() == EntityId::GLOBAL {
        return true;
    }
    entity_path
        .and_then(|path| user.entity_at(path))
        .is_some_and(|e| e == session.entity_id)
}

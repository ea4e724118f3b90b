//! User memory records (PIKA.md §10).

use crate::ids::{SessionId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a memory record was extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemoryStrategy {
    /// What the user prefers.
    Preferences,
    /// Facts about the user and their work.
    Semantic,
}

impl MemoryStrategy {
    /// Both strategies, in retrieval order.
    pub const ALL: [MemoryStrategy; 2] = [Self::Preferences, Self::Semantic];
}

/// One remembered thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryRecord {
    /// The store's id for it.
    pub record_id: String,
    /// Whose memory.
    pub user_id: UserId,
    /// How it was extracted.
    pub strategy: MemoryStrategy,
    /// What is remembered.
    pub content: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// The session it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_session_id: Option<SessionId>,
}

/// The block prepended to the prompt on a session's first turn; `None` when
/// there is nothing to remember.
pub fn memory_preamble(records: &[MemoryRecord]) -> Option<String> {
    if records.is_empty() {
        return None;
    }
    let mut out = String::from("What you remember about this user (use it when relevant):\n");
    for r in records {
        out.push_str("- ");
        out.push_str(r.content.trim());
        out.push('\n');
    }
    Some(out)
}

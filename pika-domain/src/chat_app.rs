//! Chat apps and their overrides (PIKA.md §3).

use crate::access::AccessRules;
use crate::features::FeatureSet;
use crate::ids::{AgentId, ChatAppId, EntityId, UserId};
use crate::quota::QuotaLimits;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Where a chat app may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatAppMode {
    /// A page of its own.
    Standalone,
    /// Embedded in another page.
    Embedded,
}

/// A chat app: one agent, access rules and features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatApp {
    /// Its id.
    pub chat_app_id: ChatAppId,
    /// Shown to users.
    pub title: String,
    /// Shown to users.
    #[serde(default)]
    pub description: String,
    /// The agent that answers (when no intent routes elsewhere).
    pub agent_id: AgentId,
    /// Agents for the intents a message may have (`intentRouter`): each
    /// message goes to the agent whose intent fits, else to `agent_id`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intents: Vec<crate::intent::Intent>,
    /// A disabled app is usable by nobody.
    pub enabled: bool,
    /// Who may use it.
    pub access_rules: AccessRules,
    /// Feature settings (laid over the site's).
    #[serde(default)]
    pub features: FeatureSet,
    /// Where it may be shown.
    #[serde(default = "default_modes")]
    pub modes_supported: Vec<ChatAppMode>,
    /// Quotas for this app, replacing the site's where set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quotas: Option<QuotaLimits>,
    /// How many days a session is kept after it was created; the cleanup
    /// job deletes it, with everything it owns, once that has passed.
    /// `None`: kept until deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_retention_days: Option<u32>,
    /// Optimistic-concurrency version; incremented by every update.
    #[serde(default)]
    pub version: u64,
    /// When it was created (set by the platform; clients may omit it).
    #[serde(default)]
    pub created_at: DateTime<Utc>,
    /// When it was last changed (set by the platform; clients may omit it).
    #[serde(default)]
    pub updated_at: DateTime<Utc>,
    /// Who last changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<UserId>,
}

fn default_modes() -> Vec<ChatAppMode> {
    vec![ChatAppMode::Standalone]
}

/// Why a chat app definition is rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidChatApp {
    /// The title is empty or too long.
    #[error("title must be 1 to 200 characters")]
    Title,
    /// The description is too long.
    #[error("description must be at most 2000 characters")]
    Description,
    /// No mode is supported.
    #[error("modesSupported must name at least one mode")]
    NoModes,
    /// The retention is not 1 to 3650 days.
    #[error("sessionRetentionDays must be between 1 and 3650")]
    Retention,
    /// The intents break a rule.
    #[error("intents: {0}")]
    Intents(String),
    /// A quota window of no hours.
    #[error("quotas.windowHours must be at least 1")]
    QuotaWindow,
}

impl ChatApp {
    /// Checks the rules a stored chat app must satisfy.
    ///
    /// # Errors
    /// [`InvalidChatApp`] naming the first broken rule.
    pub fn validate(&self) -> Result<(), InvalidChatApp> {
        let title_len = self.title.trim().chars().count();
        if title_len == 0 || title_len > 200 {
            return Err(InvalidChatApp::Title);
        }
        if self.description.chars().count() > 2000 {
            return Err(InvalidChatApp::Description);
        }
        if self.modes_supported.is_empty() {
            return Err(InvalidChatApp::NoModes);
        }
        if self
            .session_retention_days
            .is_some_and(|d| !(1..=MAX_RETENTION_DAYS).contains(&d))
        {
            return Err(InvalidChatApp::Retention);
        }
        crate::intent::validate(&self.intents).map_err(InvalidChatApp::Intents)?;
        if self.quotas.as_ref().and_then(|q| q.window_hours) == Some(0) {
            return Err(InvalidChatApp::QuotaWindow);
        }
        Ok(())
    }

    /// When a session of this app created at `created_at` expires: after
    /// its retention, or never.
    pub fn session_expiry(&self, created_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.session_retention_days
            .map(|days| created_at + chrono::Duration::days(i64::from(days)))
    }
}

/// The longest retention a chat app may set: ten years.
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// An override of a chat app, stored apart (`{chatAppId}:override`). It may
/// replace access rules, title, description and features, and adds exclusive
/// lists that, when non-empty, decide access alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ChatAppOverride {
    /// `Some(false)` disables the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// When non-empty: exactly these users, nobody else.
    #[serde(default)]
    pub exclusive_user_id_access_control: Vec<UserId>,
    /// When non-empty: internal users whose entity is listed, no other internal user.
    #[serde(default)]
    pub exclusive_internal_access_control: Vec<EntityId>,
    /// When non-empty: external users whose entity is listed, no other external user.
    #[serde(default)]
    pub exclusive_external_access_control: Vec<EntityId>,
    /// Replaces the app's rules when it names types or roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_rules: Option<AccessRules>,
    /// Replaces the app's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Replaces the app's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Each feature set here replaces the app's feature whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<FeatureSet>,
}

impl ChatAppOverride {
    /// The title shown: the override's when set, else the app's.
    pub fn title_for<'a>(ovr: Option<&'a Self>, app: &'a ChatApp) -> &'a str {
        ovr.and_then(|o| o.title.as_deref()).unwrap_or(&app.title)
    }

    /// The description shown: the override's when set, else the app's.
    pub fn description_for<'a>(ovr: Option<&'a Self>, app: &'a ChatApp) -> &'a str {
        ovr.and_then(|o| o.description.as_deref())
            .unwrap_or(&app.description)
    }
}

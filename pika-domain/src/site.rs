//! Site-wide configuration: the features every chat app starts from, quotas,
//! and the defaults of the turn.

use crate::features::FeatureSet;
use crate::ids::UserId;
use crate::quota::QuotaLimits;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Bounds of one chat turn. A field left out takes its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TurnLimits {
    /// Most model calls that may end in a tool request within one answer.
    pub max_tool_iterations: u32,
    /// Longest a single tool call may take, in milliseconds (when the tool sets none).
    pub tool_timeout_ms: u64,
    /// Most output tokens of one model call.
    pub max_output_tokens: u32,
    /// Token budget for the history sent to the model.
    pub history_token_budget: u32,
    /// Memory records retrieved per strategy on a session's first turn.
    pub memory_records_per_strategy: u32,
    /// Most bytes of JSON of one tool output that the model reads and the
    /// answer stores; past it the output is cut, marked as cut.
    pub max_tool_output_bytes: u64,
    /// Longest a turn waits for the user to confirm a tool that asks for it
    /// (`requireConfirmation`), in milliseconds; then the call is declined.
    pub confirmation_timeout_ms: u64,
}

impl Default for TurnLimits {
    fn default() -> Self {
        Self {
            max_tool_iterations: 5,
            tool_timeout_ms: 30_000,
            max_output_tokens: 4_096,
            history_token_budget: 24_000,
            memory_records_per_strategy: 5,
            max_tool_output_bytes: crate::tool::output::DEFAULT_MAX_TOOL_OUTPUT_BYTES,
            confirmation_timeout_ms: 300_000,
        }
    }
}

/// Settings of the insights runner (§10). A field left out takes its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InsightsSettings {
    /// A session is analysed once idle this long, in minutes (default 60).
    pub idle_minutes: i64,
    /// Most sessions analysed per run.
    pub batch_size: u32,
    /// Model used for assessments.
    pub model_id: String,
    /// How long a run may hold the job lock, in seconds: no longer than
    /// the jobs function may run (300 s on Lambda), so a run killed at its
    /// timeout does not keep the next runs out.
    pub lock_ttl_seconds: i64,
}

impl Default for InsightsSettings {
    fn default() -> Self {
        Self {
            idle_minutes: 60,
            batch_size: 25,
            model_id: crate::agent::DEFAULT_SMALL_MODEL_ID.to_string(),
            lock_ttl_seconds: 300,
        }
    }
}

/// The site configuration. An unknown section is refused (a misspelt one
/// would otherwise be dropped silently); a section left out takes its
/// defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SiteConfig {
    /// Site-level feature settings: the gates and defaults of every chat app.
    #[serde(default)]
    pub features: FeatureSet,
    /// Token quotas; a chat app may override them.
    #[serde(default)]
    pub quotas: QuotaLimits,
    /// Bounds of a turn.
    #[serde(default)]
    pub turn: TurnLimits,
    /// Rate limits, concurrent turns and quota reservations per user and
    /// entity, across every process.
    #[serde(default)]
    pub fair_use: crate::fair_use::FairUseLimits,
    /// The insights runner.
    #[serde(default)]
    pub insights: InsightsSettings,
    /// Model used to generate titles; the agent's verification model when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_model_id: Option<String>,
    /// Model that routes messages to agents (`intentRouter`); the default
    /// small model when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router_model_id: Option<String>,
    /// Tag definitions (`tags` feature): what the model may write and the
    /// page renders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<crate::tag::TagDefinition>,
}

/// Why a site configuration is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid site configuration: {0}")]
pub struct InvalidSite(pub String);

impl SiteConfig {
    /// Checks what no service could work with: an entity feature without
    /// an attribute path (every session would be `chat-app-global`), a quota
    /// window of zero hours, turn limits of zero, an empty insights model.
    ///
    /// # Errors
    /// The first rule broken, named.
    pub fn validate(&self) -> Result<(), InvalidSite> {
        let bad = |m: &str| Err(InvalidSite(m.to_string()));
        if let Some(entity) = self.features.entity.as_ref().filter(|e| e.enabled) {
            let path = entity.attribute_path.as_deref().unwrap_or("").trim();
            if path.is_empty() || path.split('.').any(str::is_empty) {
                return bad("features.entity.attributePath must be a dotted path (e.g. accountId) when the entity feature is on");
            }
        }
        if self.quotas.window_hours == Some(0) {
            return bad("quotas.windowHours must be at least 1");
        }
        let turn = &self.turn;
        if turn.max_output_tokens == 0
            || turn.tool_timeout_ms == 0
            || turn.history_token_budget == 0
            || turn.confirmation_timeout_ms == 0
        {
            return bad("turn.maxOutputTokens, turn.toolTimeoutMs, turn.historyTokenBudget and turn.confirmationTimeoutMs must be at least 1");
        }
        if turn.max_tool_output_bytes < 1024 {
            return bad("turn.maxToolOutputBytes must be at least 1024");
        }
        if !(1..=86_400).contains(&self.fair_use.hold_seconds) {
            return bad("fairUse.holdSeconds must be 1 to 86400");
        }
        let insights = &self.insights;
        if insights.batch_size == 0 || insights.lock_ttl_seconds < 1 || insights.idle_minutes < 0 {
            return bad("insights.batchSize and insights.lockTtlSeconds must be at least 1, insights.idleMinutes not negative");
        }
        if insights.model_id.trim().is_empty() {
            return bad("insights.modelId must name a model");
        }
        if self
            .title_model_id
            .as_deref()
            .is_some_and(|m| m.trim().is_empty())
        {
            return bad("titleModelId must name a model when set");
        }
        crate::tag::validate_all(&self.tags).map_err(|e| InvalidSite(e.to_string()))?;
        Ok(())
    }

    /// The dotted path to the user's entity, when the entity feature is on site-wide.
    pub fn entity_attribute_path(&self) -> Option<&str> {
        self.features
            .entity
            .as_ref()
            .filter(|e| e.enabled)
            .and_then(|e| e.attribute_path.as_deref())
    }
}

/// The site configuration as stored: one record, versioned and stamped like
/// chat apps, so that an administrator's change never silently overwrites
/// another's and the audit fields say who changed it last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteRecord {
    /// The configuration every service reads.
    pub config: SiteConfig,
    /// Optimistic-concurrency version: 1 for the first stored configuration.
    pub version: u64,
    /// When the first configuration was stored.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Who changed it last; `None` for the seed stored at first start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<UserId>,
}

impl SiteRecord {
    /// The first record: `config` at version 1, stored at `now` by nobody
    /// (the seed a binary stores on its first start).
    pub fn seed(config: SiteConfig, now: DateTime<Utc>) -> Self {
        Self {
            config,
            version: 1,
            created_at: now,
            updated_at: now,
            updated_by: None,
        }
    }
}

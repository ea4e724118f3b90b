//! Site-wide configuration: the features every chat app starts from, quotas,
//! and the defaults of the turn.

use crate::features::FeatureSet;
use crate::quota::QuotaLimits;
use serde::{Deserialize, Serialize};

/// Bounds of one chat turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
}

impl Default for TurnLimits {
    fn default() -> Self {
        Self {
            max_tool_iterations: 5,
            tool_timeout_ms: 30_000,
            max_output_tokens: 4_096,
            history_token_budget: 24_000,
            memory_records_per_strategy: 5,
        }
    }
}

/// Settings of the insights runner (§10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InsightsSettings {
    /// A session is analysed once idle this long, in minutes (default 60).
    pub idle_minutes: i64,
    /// Most sessions analysed per run.
    pub batch_size: u32,
    /// Model used for assessments.
    pub model_id: String,
    /// How long a run may hold the job lock, in seconds.
    pub lock_ttl_seconds: i64,
}

impl Default for InsightsSettings {
    fn default() -> Self {
        Self {
            idle_minutes: 60,
            batch_size: 25,
            model_id: "anthropic.claude-3-haiku-20240307-v1:0".to_string(),
            lock_ttl_seconds: 900,
        }
    }
}

/// The site configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
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
    /// The insights runner.
    #[serde(default)]
    pub insights: InsightsSettings,
    /// Model used to generate titles; the agent's verification model when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_model_id: Option<String>,
}

impl SiteConfig {
    /// The dotted path to the user's entity, when the entity feature is on site-wide.
    pub fn entity_attribute_path(&self) -> Option<&str> {
        self.features
            .entity
            .as_ref()
            .filter(|e| e.enabled)
            .and_then(|e| e.attribute_path.as_deref())
    }
}

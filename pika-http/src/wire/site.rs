//! The site configuration on the wire (`GET`/`PUT /admin/site`). A section
//! left out takes its defaults; an unknown one is refused.

use super::admin::{QuotaBody, TagDef};
use super::features::FeatureSetBody;
use pika_domain::chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Limits of one turn.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnLimitsBody {
    /// Model calls that may end in a tool request within one answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tool_iterations: Option<u32>,
    /// Longest a tool call may take, ms (when the tool sets none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub tool_timeout_ms: Option<u64>,
    /// Output tokens of one model call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub max_output_tokens: Option<u32>,
    /// Token budget of the history sent to the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub history_token_budget: Option<u32>,
    /// Memory records retrieved per strategy on a session's first turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_records_per_strategy: Option<u32>,
    /// Bytes of one tool output the model and the store get.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1024)]
    pub max_tool_output_bytes: Option<u64>,
    /// How long a confirmation is awaited, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub confirmation_timeout_ms: Option<u64>,
}

/// Turn rates and holds, the same on every server (docs/api.md "Limits").
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FairUseBody {
    /// Turns one user may start per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_turns_per_minute: Option<u32>,
    /// Turns one user may start at once above that rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_turn_burst: Option<u32>,
    /// Turns one entity's users may start per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_turns_per_minute: Option<u32>,
    /// Turns one entity's users may start at once above that rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_turn_burst: Option<u32>,
    /// Turns one user may have running at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_turns_per_user: Option<u32>,
    /// Tokens a running turn reserves against the quotas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_reservation_tokens: Option<u64>,
    /// How long a reservation outlives a dead process, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 86400)]
    pub hold_seconds: Option<u32>,
}

/// The insight runner.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InsightsBody {
    /// A session is analysed once idle this long, minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0)]
    pub idle_minutes: Option<i64>,
    /// Sessions analysed per run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub batch_size: Option<u32>,
    /// The model that assesses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "\\S")]
    pub model_id: Option<String>,
    /// How long a run's lock lasts, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub lock_ttl_seconds: Option<i64>,
}

/// The site configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SiteConfigBody {
    /// The features every chat app starts from.
    #[serde(default, deserialize_with = "crate::wire::strict::object")]
    pub features: FeatureSetBody,
    /// Token quotas.
    #[serde(default, deserialize_with = "crate::wire::strict::object")]
    pub quotas: QuotaBody,
    /// Turn limits.
    #[serde(default, deserialize_with = "crate::wire::strict::object")]
    pub turn: TurnLimitsBody,
    /// Turn rates.
    #[serde(default, deserialize_with = "crate::wire::strict::object")]
    pub fair_use: FairUseBody,
    /// The insight runner.
    #[serde(default, deserialize_with = "crate::wire::strict::object")]
    pub insights: InsightsBody,
    /// The model that writes titles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "\\S")]
    pub title_model_id: Option<String>,
    /// The model of the intent router.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router_model_id: Option<String>,
    /// Tag definitions.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::wire::strict::list"
    )]
    pub tags: Vec<TagDef>,
}

/// The stored configuration with its version and audit stamps.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SiteRecordView {
    /// The configuration.
    pub config: SiteConfigBody,
    /// Send it back with `PUT /admin/site`.
    pub version: u64,
    /// When the first was stored.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Who changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
}

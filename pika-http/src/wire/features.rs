//! Feature settings on the wire (PIKA.md §4): what admins send in chat
//! apps, overrides and the site configuration, and what callers get
//! resolved. They mirror the domain's serde shapes and convert through
//! them (`wire::convert`): the domain decides what a setting means, this
//! module what the document promises.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A kind of user.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UserTypeBody {
    /// Staff of the company running Pika.
    InternalUser,
    /// Its customers.
    ExternalUser,
}

/// How the two lists of a rule combine.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum ApplyRulesAsBody {
    /// A user must match both lists (where set).
    #[default]
    And,
    /// Either list suffices.
    Or,
}

/// Who may use a chat app or a rule-gated feature.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessRulesBody {
    /// Rules switched off allow nobody.
    pub enabled: bool,
    /// User types allowed (any match); unset or empty: not a condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_types: Option<Vec<UserTypeBody>>,
    /// Roles allowed (any match); unset or empty: not a condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_roles: Option<Vec<String>>,
    /// How the two lists combine.
    #[serde(default)]
    pub apply_rules_as: ApplyRulesAsBody,
}

/// Uploads of files into a session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileUploadBody {
    /// On or off.
    pub enabled: bool,
    /// Media types allowed (`*`, `image/*`, `text/plain`); all by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_types_allowed: Option<Vec<String>>,
    /// Largest file, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_size_bytes: Option<u64>,
}

/// The label of the prompt input.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PromptLabelBody {
    /// On or off.
    pub enabled: bool,
    /// The label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Suggested prompts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuggestionsBody {
    /// On or off.
    pub enabled: bool,
    /// The prompts.
    #[serde(default)]
    pub suggestions: Vec<String>,
    /// How many are shown (5 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_to_show: Option<u32>,
    /// Shown in random order.
    #[serde(default)]
    pub randomize: bool,
    /// Randomized only after this many.
    #[serde(default)]
    pub randomize_after: u32,
}

/// A feature that is on or off, with settings of its own (each feature's
/// settings are described in docs/api.md).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimpleFeatureBody {
    /// On or off.
    pub enabled: bool,
    /// The feature's settings (an object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Map<String, Value>>,
}

/// A grade of an answer.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub enum GradeBody {
    /// Accurate.
    A,
    /// Accurate, with stated assumptions.
    B,
    /// Accurate, with unstated assumptions.
    C,
    /// Inaccurate or made up.
    F,
    /// Could not classify.
    U,
}

/// Self-correction (PIKA.md §8).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyResponseBody {
    /// On or off.
    pub enabled: bool,
    /// Who gets it.
    #[serde(deserialize_with = "crate::wire::strict::object")]
    pub rules: AccessRulesBody,
    /// Answers graded this or worse are corrected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_reprompt_threshold: Option<GradeBody>,
}

/// Trace events streamed to the caller.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TracesBody {
    /// On or off.
    pub enabled: bool,
    /// Who gets traces.
    #[serde(deserialize_with = "crate::wire::strict::object")]
    pub rules: AccessRulesBody,
    /// Who gets tool inputs and outputs in them.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub detailed_traces: Option<AccessRulesBody>,
}

/// A disclaimer under the chat.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DisclaimerBody {
    /// On or off.
    pub enabled: bool,
    /// Its text.
    #[serde(default)]
    pub notice: String,
}

/// A logout menu item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogoutBody {
    /// On or off.
    pub enabled: bool,
    /// Who sees it.
    #[serde(deserialize_with = "crate::wire::strict::object")]
    pub rules: AccessRulesBody,
    /// Its title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub menu_item_title: Option<String>,
}

/// Prompt-assistance blocks in the agent's instruction.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstructionAssistanceBody {
    /// On or off.
    pub enabled: bool,
    /// The blocks.
    #[serde(default)]
    pub blocks: Vec<String>,
}

/// On or off, nothing more.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SwitchBody {
    /// On or off.
    pub enabled: bool,
}

/// Sessions carry their creator's entity.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntityBody {
    /// On or off.
    pub enabled: bool,
    /// The dotted path of the entity id in the user's custom data (needed
    /// when on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_path: Option<String>,
}

/// Feature settings, each laid over the level below (site → chat app →
/// override).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // each field is the feature of the same name (PIKA.md §4)
pub struct FeatureSetBody {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub file_upload: Option<FileUploadBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub prompt_input_field_label: Option<PromptLabelBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub suggestions: Option<SuggestionsBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub ui_customization: Option<SimpleFeatureBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub verify_response: Option<VerifyResponseBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub traces: Option<TracesBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub chat_disclaimer_notice: Option<DisclaimerBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub logout: Option<LogoutBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub session_insights: Option<SimpleFeatureBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub user_data_overrides: Option<SimpleFeatureBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub tags: Option<SimpleFeatureBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub agent_instruction_assistance: Option<InstructionAssistanceBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub instruction_augmentation: Option<SimpleFeatureBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub user_memory: Option<SwitchBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub entity: Option<EntityBody>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub intent_router: Option<SimpleFeatureBody>,
}

/// The features as they apply to the caller (rules decided).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // each field is the feature of the same name, resolved
pub struct ResolvedFeaturesView {
    pub file_upload: Option<FileUploadBody>,
    pub prompt_input_field_label: String,
    pub suggestions: Option<SuggestionsBody>,
    pub ui_customization: Option<SimpleFeatureBody>,
    pub verify_response: Option<VerifyResponseBody>,
    pub traces: bool,
    pub detailed_traces: bool,
    pub chat_disclaimer_notice: Option<DisclaimerBody>,
    pub logout: Option<LogoutBody>,
    pub session_insights: bool,
    pub user_data_overrides: Option<SimpleFeatureBody>,
    pub tags: Option<SimpleFeatureBody>,
    pub agent_instruction_assistance: Option<InstructionAssistanceBody>,
    pub instruction_augmentation: Option<SimpleFeatureBody>,
    pub user_memory: bool,
    pub entity_attribute_path: Option<String>,
    pub intent_router: Option<SimpleFeatureBody>,
}

//! Features and their resolution for one caller (PIKA.md §4):
//! site config → chat app → override.
//!
//! The server always recomputes features from stored configuration; nothing a
//! client says about features is trusted.

use crate::access::AccessRules;
use crate::chat_app::{ChatApp, ChatAppOverride};
use crate::site::SiteConfig;
use crate::user::User;
use crate::verification::Grade;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The sixteen feature ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FeatureId {
    /// Uploads of files into a session.
    FileUpload,
    /// The label shown in the prompt input.
    PromptInputFieldLabel,
    /// Suggested prompts.
    Suggestions,
    /// Client look and feel.
    UiCustomization,
    /// Self-correction (§8).
    VerifyResponse,
    /// Trace events streamed to the caller.
    Traces,
    /// A disclaimer under the chat.
    ChatDisclaimerNotice,
    /// A logout menu item.
    Logout,
    /// The insights runner analyses sessions.
    SessionInsights,
    /// Users may override their own data.
    UserDataOverrides,
    /// Session tags.
    Tags,
    /// Prompt-assistance blocks in the agent instruction.
    AgentInstructionAssistance,
    /// Instruction augmentation.
    InstructionAugmentation,
    /// Per-user memory.
    UserMemory,
    /// Sessions carry the creator's entity (tenant).
    Entity,
    /// Routing by intent.
    IntentRouter,
}

impl FeatureId {
    /// All sixteen, in the order of PIKA.md §4.
    pub const ALL: [FeatureId; 16] = [
        Self::FileUpload,
        Self::PromptInputFieldLabel,
        Self::Suggestions,
        Self::UiCustomization,
        Self::VerifyResponse,
        Self::Traces,
        Self::ChatDisclaimerNotice,
        Self::Logout,
        Self::SessionInsights,
        Self::UserDataOverrides,
        Self::Tags,
        Self::AgentInstructionAssistance,
        Self::InstructionAugmentation,
        Self::UserMemory,
        Self::Entity,
        Self::IntentRouter,
    ];
}

/// The label shown when `promptInputFieldLabel` sets none.
pub const DEFAULT_PROMPT_LABEL: &str = "Ready to chat";
/// How many suggestions are shown when `maxToShow` is not set.
pub const DEFAULT_SUGGESTIONS_TO_SHOW: u32 = 5;

fn default_max_to_show() -> u32 {
    DEFAULT_SUGGESTIONS_TO_SHOW
}

fn any_mime() -> Vec<String> {
    vec!["*".to_string()]
}

/// `fileUpload`: which MIME types may be uploaded, and how large.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileUploadFeature {
    /// Whether uploads are allowed.
    pub enabled: bool,
    /// Allowed MIME types; `*` allows any, `image/*` any image.
    #[serde(default = "any_mime")]
    pub mime_types_allowed: Vec<String>,
    /// Largest upload in bytes; `None` leaves it to the platform default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_size_bytes: Option<u64>,
}

impl FileUploadFeature {
    /// Whether `mime` is allowed (`*`, exact, or `type/*`), case-insensitively.
    pub fn allows_mime(&self, mime: &str) -> bool {
        let mime = mime.trim().to_ascii_lowercase();
        self.mime_types_allowed.iter().any(|allowed| {
            let allowed = allowed.trim().to_ascii_lowercase();
            allowed == "*"
                || allowed == mime
                || allowed
                    .strip_suffix("/*")
                    .is_some_and(|prefix| mime.split('/').next() == Some(prefix))
        })
    }
}

/// `promptInputFieldLabel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptInputFieldLabelFeature {
    /// Whether a custom label is shown.
    pub enabled: bool,
    /// The label; [`DEFAULT_PROMPT_LABEL`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// `suggestions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuggestionsFeature {
    /// Whether suggestions are shown.
    pub enabled: bool,
    /// The suggested prompts.
    #[serde(default)]
    pub suggestions: Vec<String>,
    /// How many to show; 5 by default.
    #[serde(default = "default_max_to_show")]
    pub max_to_show: u32,
    /// Whether to shuffle them.
    #[serde(default)]
    pub randomize: bool,
    /// Shuffle only after this many (the first ones stay in place).
    #[serde(default)]
    pub randomize_after: u32,
}

/// A feature whose configuration is free-form JSON passed to clients
/// (`uiCustomization`, `tags`, `instructionAugmentation`, `intentRouter`,
/// `userDataOverrides`, `sessionInsights`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleFeature {
    /// Whether the feature is on.
    pub enabled: bool,
    /// Feature-specific settings, returned to clients as they are.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub settings: Value,
}

/// `verifyResponse`: self-correction (§8), gated by rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyResponseFeature {
    /// Whether verification runs.
    pub enabled: bool,
    /// Who gets verified answers.
    pub rules: AccessRules,
    /// Re-ask once when the grade is at or above this (B, C or F).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_reprompt_threshold: Option<Grade>,
}

/// `traces`, with nested `detailedTraces` rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TracesFeature {
    /// Whether traces are streamed.
    pub enabled: bool,
    /// Who sees traces.
    pub rules: AccessRules,
    /// Who sees detailed traces (tool inputs and outputs); nobody when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detailed_traces: Option<AccessRules>,
}

/// `chatDisclaimerNotice`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatDisclaimerNoticeFeature {
    /// Whether the notice is shown.
    pub enabled: bool,
    /// The notice text.
    #[serde(default)]
    pub notice: String,
}

/// `logout`, gated by rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogoutFeature {
    /// Whether a logout item is shown.
    pub enabled: bool,
    /// Who sees it.
    pub rules: AccessRules,
    /// The menu item's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub menu_item_title: Option<String>,
}

/// `agentInstructionAssistance`: blocks substituted into the instruction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstructionAssistanceFeature {
    /// Whether the blocks are added.
    pub enabled: bool,
    /// The text blocks, in order.
    #[serde(default)]
    pub blocks: Vec<String>,
}

/// `userMemory`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserMemoryFeature {
    /// Whether memory is retrieved and recorded.
    pub enabled: bool,
}

/// `entity`: sessions carry the creator's tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityFeature {
    /// Whether entities are used.
    pub enabled: bool,
    /// Dotted path in the user's custom data; site-wide (an app's value is ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_path: Option<String>,
}

/// Feature configuration as the site, a chat app or an override states it.
/// `None` means "not said here".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // each field is the feature of the same name, documented on its type
pub struct FeatureSet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_upload: Option<FileUploadFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_input_field_label: Option<PromptInputFieldLabelFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestions: Option<SuggestionsFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_customization: Option<SimpleFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_response: Option<VerifyResponseFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traces: Option<TracesFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_disclaimer_notice: Option<ChatDisclaimerNoticeFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logout: Option<LogoutFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_insights: Option<SimpleFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data_overrides: Option<SimpleFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<SimpleFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_instruction_assistance: Option<InstructionAssistanceFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction_augmentation: Option<SimpleFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_memory: Option<UserMemoryFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<EntityFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent_router: Option<SimpleFeature>,
}

/// The features one caller may use in one chat app; `Some` means on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // each field is the feature of the same name, resolved
pub struct ResolvedFeatures {
    pub file_upload: Option<FileUploadFeature>,
    /// Always present: the configured label or [`DEFAULT_PROMPT_LABEL`].
    pub prompt_input_field_label: String,
    pub suggestions: Option<SuggestionsFeature>,
    pub ui_customization: Option<SimpleFeature>,
    pub verify_response: Option<VerifyResponseFeature>,
    /// Whether trace events reach this caller.
    pub traces: bool,
    /// Whether detailed traces (tool inputs and outputs) reach this caller.
    pub detailed_traces: bool,
    pub chat_disclaimer_notice: Option<ChatDisclaimerNoticeFeature>,
    pub logout: Option<LogoutFeature>,
    pub session_insights: bool,
    pub user_data_overrides: Option<SimpleFeature>,
    pub tags: Option<SimpleFeature>,
    pub agent_instruction_assistance: Option<InstructionAssistanceFeature>,
    pub instruction_augmentation: Option<SimpleFeature>,
    pub user_memory: bool,
    /// The entity attribute path when the entity feature is on for this app.
    pub entity_attribute_path: Option<String>,
    pub intent_router: Option<SimpleFeature>,
}

/// A feature's on/off switch, whatever its configuration.
trait Switch {
    fn on(&self) -> bool;
}

macro_rules! switch {
    ($($t:ty),*) => { $(impl Switch for $t { fn on(&self) -> bool { self.enabled } })* };
}
switch!(
    FileUploadFeature,
    PromptInputFieldLabelFeature,
    SuggestionsFeature,
    SimpleFeature,
    VerifyResponseFeature,
    TracesFeature,
    ChatDisclaimerNoticeFeature,
    LogoutFeature,
    InstructionAssistanceFeature,
    UserMemoryFeature,
    EntityFeature
);

/// Plain feature: the app's (or override's) config wins; the site's applies
/// when the app says nothing.
fn plain<T: Switch + Clone>(site: &Option<T>, app: &Option<T>) -> Option<T> {
    app.as_ref().or(site.as_ref()).filter(|f| f.on()).cloned()
}

/// Site-gated feature: on only where the site enables it, then the app's
/// config (or the site's when the app says nothing) decides.
fn site_gated<T: Switch + Clone>(site: &Option<T>, app: &Option<T>) -> Option<T> {
    if !site.as_ref().is_some_and(Switch::on) {
        return None;
    }
    plain(site, app)
}

/// Resolves every feature for `user` in `app` (+ `ovr`), given the `site`.
pub fn resolve_features(
    user: &User,
    app: &ChatApp,
    ovr: Option<&ChatAppOverride>,
    site: &SiteConfig,
) -> ResolvedFeatures {
    let s = &site.features;
    let a = effective_app_features(app, ovr);

    let rule_gated_passes = |rules: &AccessRules| rules.evaluate(user).is_ok();
    let verify_response =
        site_gated(&s.verify_response, &a.verify_response).filter(|f| rule_gated_passes(&f.rules));
    let traces_cfg = site_gated(&s.traces, &a.traces).filter(|f| rule_gated_passes(&f.rules));
    let detailed_traces = traces_cfg
        .as_ref()
        .and_then(|t| t.detailed_traces.as_ref())
        .is_some_and(rule_gated_passes);
    let logout = site_gated(&s.logout, &a.logout).filter(|f| rule_gated_passes(&f.rules));

    let label = site_gated(&s.prompt_input_field_label, &a.prompt_input_field_label)
        .and_then(|f| f.label)
        .filter(|l| !l.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_PROMPT_LABEL.to_string());

    // The app may only switch the entity feature off; the path is site-wide.
    let entity_attribute_path = s
        .entity
        .as_ref()
        .filter(|site_entity| site_entity.enabled)
        .filter(|_| {
            a.entity
                .as_ref()
                .is_none_or(|app_entity| app_entity.enabled)
        })
        .and_then(|site_entity| site_entity.attribute_path.clone());

    ResolvedFeatures {
        file_upload: plain(&s.file_upload, &a.file_upload),
        prompt_input_field_label: label,
        suggestions: plain(&s.suggestions, &a.suggestions),
        ui_customization: plain(&s.ui_customization, &a.ui_customization),
        verify_response,
        traces: traces_cfg.is_some(),
        detailed_traces,
        chat_disclaimer_notice: site_gated(&s.chat_disclaimer_notice, &a.chat_disclaimer_notice),
        logout,
        session_insights: site_gated(&s.session_insights, &a.session_insights).is_some(),
        user_data_overrides: site_gated(&s.user_data_overrides, &a.user_data_overrides),
        tags: plain(&s.tags, &a.tags),
        agent_instruction_assistance: plain(
            &s.agent_instruction_assistance,
            &a.agent_instruction_assistance,
        ),
        instruction_augmentation: plain(&s.instruction_augmentation, &a.instruction_augmentation),
        user_memory: plain(&s.user_memory, &a.user_memory).is_some(),
        entity_attribute_path,
        intent_router: site_gated(&s.intent_router, &a.intent_router),
    }
}

impl ResolvedFeatures {
    /// The entity a new session of `user` records: the value at the entity
    /// attribute path when the feature is on and the user has one, else
    /// `chat-app-global`.
    pub fn entity_of(&self, user: &User) -> crate::ids::EntityId {
        self.entity_attribute_path
            .as_deref()
            .and_then(|path| user.entity_at(path))
            .unwrap_or_else(crate::ids::EntityId::global)
    }
}

/// The app's features with the override's features laid over them: an
/// override's feature replaces the app's feature whole (no field merge).
pub fn effective_app_features(app: &ChatApp, ovr: Option<&ChatAppOverride>) -> FeatureSet {
    let mut out = app.features.clone();
    let Some(o) = ovr.and_then(|o| o.features.as_ref()) else {
        return out;
    };
    macro_rules! lay {
        ($($f:ident),*) => { $( if o.$f.is_some() { out.$f = o.$f.clone(); } )* };
    }
    lay!(
        file_upload,
        prompt_input_field_label,
        suggestions,
        ui_customization,
        verify_response,
        traces,
        chat_disclaimer_notice,
        logout,
        session_insights,
        user_data_overrides,
        tags,
        agent_instruction_assistance,
        instruction_augmentation,
        user_memory,
        entity,
        intent_router
    );
    out
}

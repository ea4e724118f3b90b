//! Admin definitions on the wire: agents, tools, chat apps, overrides,
//! tags and the site configuration. Each mirrors its domain type's JSON
//! shape and converts through it (`wire::convert`); the schemas state
//! the rules a value can be checked against on its own (patterns, lengths,
//! ranges, unique lists), and the domain checks the rest (docs/api.md).

use super::features::{AccessRulesBody, FeatureSetBody};
use super::TagComponentView;
use pika_domain::chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// An id (chat app, agent, tool): letters, digits, `_` and `-`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(pattern = "^[A-Za-z0-9_-]{1,128}$")]
pub struct Slug(pub String);

/// Who changed a definition, and when (set by the platform).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Stamps {
    /// Optimistic-concurrency version: send the version read; the answer
    /// holds the next one.
    #[serde(default)]
    #[schema(maximum = 9007199254740991_u64)]
    pub version: u64,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(read_only)]
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(read_only)]
    pub updated_at: Option<DateTime<Utc>>,
    /// Who last changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(read_only)]
    pub updated_by: Option<String>,
}

/// A Bedrock guardrail on the agent's model calls.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailBody {
    /// The guardrail's id.
    pub guardrail_identifier: String,
    /// Its version.
    pub guardrail_version: String,
}

/// A metadata filter of a knowledge base: documents whose `key` equals the
/// caller's custom data at `attributePath`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilterRuleBody {
    /// The documents' metadata key.
    #[schema(pattern = "\\S")]
    pub key: String,
    /// A dotted path into the caller's custom data (`accountId`).
    #[schema(pattern = "^(?=[\\s\\S]*\\S)[^.]+(\\.[^.]+)*$")]
    pub attribute_path: String,
}

/// A knowledge base an agent may search.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KnowledgeBaseRefBody {
    /// Its id.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,100}$")]
    pub knowledge_base_id: String,
    /// What it holds (the model reads it).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub description: String,
    /// Filters by the caller's data.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::wire::strict::list"
    )]
    pub filters: Vec<FilterRuleBody>,
    /// Passages per search, 1 to 25.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 25)]
    pub max_results: Option<u32>,
}

/// An agent: an instruction, a model, tools, knowledge bases and
/// collaborators (PIKA.md §5).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "agentId": "support-agent",
    "instruction": "You answer questions about orders, politely and briefly.",
    "modelId": "global.anthropic.claude-haiku-4-5-20251001-v1:0",
    "toolIds": ["order-status"],
    "version": 0
}))]
pub struct AgentDef {
    /// Its id.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,128}$")]
    pub agent_id: String,
    /// The base prompt.
    #[schema(pattern = "\\S")]
    pub instruction: String,
    /// The model or inference-profile id.
    #[schema(pattern = "\\S")]
    pub model_id: String,
    /// The model that grades answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_model_id: Option<String>,
    /// Tools it may call (each must exist).
    #[serde(default)]
    pub tool_ids: Vec<Slug>,
    /// Knowledge bases it may search.
    #[serde(default, deserialize_with = "crate::wire::strict::list")]
    pub knowledge_bases: Vec<KnowledgeBaseRefBody>,
    /// Agents it may hand a question to (not itself).
    #[serde(default)]
    pub collaborators: Vec<Slug>,
    /// Guardrail.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub guardrail: Option<GuardrailBody>,
    /// Version and audit stamps.
    #[serde(flatten)]
    pub stamps: Stamps,
}

/// How a tool runs.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionTypeBody {
    /// An AWS Lambda function (`lambdaArn`).
    Lambda,
    /// An HTTP endpoint (`http`).
    Http,
    /// Run by the platform itself.
    Inline,
    /// An MCP server (`mcp`).
    Mcp,
}

/// A parameter's JSON type.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParameterTypeBody {
    /// Text.
    String,
    /// A number.
    Number,
    /// A whole number.
    Integer,
    /// True or false.
    Boolean,
    /// A list.
    Array,
}

/// One parameter of a function.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParameterBody {
    /// Its JSON type.
    #[serde(rename = "type")]
    pub kind: ParameterTypeBody,
    /// What it is (the model reads it).
    #[serde(default)]
    #[schema(max_length = 499)]
    pub description: String,
    /// The model must give it.
    #[serde(default)]
    pub required: bool,
}

/// One function of a tool.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FunctionBody {
    /// Its name, as Bedrock accepts it.
    #[schema(pattern = "^([0-9a-zA-Z][_-]?){1,100}$")]
    pub name: String,
    /// What it does (the model reads it).
    #[schema(pattern = "\\S", max_length = 499)]
    pub description: String,
    /// At most five, each named like a function.
    #[serde(default, deserialize_with = "crate::wire::strict::values")]
    pub parameters: BTreeMap<String, ParameterBody>,
    /// The user confirms each call first.
    #[serde(default)]
    pub require_confirmation: bool,
}

/// An HTTP or MCP endpoint of a tool.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointBody {
    /// `https://host/path` (`http://` only where the deployment allows it).
    #[schema(pattern = "^https?://[^/?#@\\s]+([/?#]\\S*)?$")]
    pub url: String,
    /// `POST` (default) or `GET`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(POST|GET)$")]
    pub method: Option<String>,
    /// Headers sent with each call (values may name secrets, docs/api.md).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// A tool: functions the model may call, and how they run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "toolId": "order-status",
    "name": "order_status",
    "displayName": "Order status",
    "description": "Looks up the status of an order.",
    "executionType": "http",
    "http": { "url": "https://tools.invalid/orders", "method": "POST" },
    "functionSchema": [{
        "name": "get_order_status",
        "description": "The status of one order.",
        "parameters": { "orderId": { "type": "string", "description": "The order's number.", "required": true } }
    }],
    "version": 0
}))]
pub struct ToolDef {
    /// Its id.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,128}$")]
    pub tool_id: String,
    /// Its name, as Bedrock accepts it.
    #[schema(pattern = "^([0-9a-zA-Z][_-]?){1,100}$")]
    pub name: String,
    /// Shown to admins.
    pub display_name: String,
    /// What it does.
    #[schema(pattern = "\\S", max_length = 499)]
    pub description: String,
    /// How it runs.
    pub execution_type: ExecutionTypeBody,
    /// The function of a `lambda` tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^arn:aws:lambda:")]
    pub lambda_arn: Option<String>,
    /// The endpoint of an `http` tool.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub http: Option<EndpointBody>,
    /// The server of an `mcp` tool.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub mcp: Option<EndpointBody>,
    /// How long a call may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub execution_timeout_ms: Option<u64>,
    /// Its functions (an `mcp` tool saved without any gets its server's).
    #[serde(default, deserialize_with = "crate::wire::strict::list")]
    pub function_schema: Vec<FunctionBody>,
    /// Version and audit stamps.
    #[serde(flatten)]
    pub stamps: Stamps,
}

/// An intent of a chat app (`intentRouter`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntentBody {
    /// The agent that answers messages of this intent (it must exist).
    #[schema(pattern = "^[A-Za-z0-9_-]{1,128}$")]
    pub agent_id: String,
    /// What such messages are about.
    #[schema(pattern = "\\S", max_length = 500)]
    pub description: String,
    /// Example messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
}

/// Token quotas per window.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuotaBody {
    /// Tokens per user per window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_tokens_per_window: Option<u64>,
    /// Tokens per entity per window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_tokens_per_window: Option<u64>,
    /// The window, hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub window_hours: Option<u32>,
}

/// Where a chat app may be shown.
pub use super::ModeView as ModeBody;

/// A chat app: one agent, access rules and features (PIKA.md §3).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "chatAppId": "support",
    "title": "Customer support",
    "agentId": "support-agent",
    "enabled": true,
    "accessRules": { "enabled": true, "userTypes": ["external-user"] },
    "features": { "suggestions": { "enabled": true, "suggestions": ["Where is my order?"] } },
    "version": 0
}))]
pub struct ChatAppDef {
    /// Its id.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,128}$")]
    pub chat_app_id: String,
    /// Shown to users.
    #[schema(pattern = "\\S", max_length = 200)]
    pub title: String,
    /// Shown to users.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    /// The agent that answers (it must exist).
    #[schema(pattern = "^[A-Za-z0-9_-]{1,128}$")]
    pub agent_id: String,
    /// Agents by intent (`intentRouter`); each agent once.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::wire::strict::list"
    )]
    #[schema(max_items = 20)]
    pub intents: Vec<IntentBody>,
    /// A disabled app is usable by nobody.
    pub enabled: bool,
    /// Who may use it.
    #[serde(deserialize_with = "crate::wire::strict::object")]
    pub access_rules: AccessRulesBody,
    /// Feature settings (over the site's).
    #[serde(default, deserialize_with = "crate::wire::strict::object")]
    pub features: FeatureSetBody,
    /// Where it may be shown (standalone by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1)]
    pub modes_supported: Option<Vec<ModeBody>>,
    /// Quotas replacing the site's.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub quotas: Option<QuotaBody>,
    /// Days a session is kept, 1 to 3650; unset: until deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 3650)]
    pub session_retention_days: Option<u32>,
    /// Version and audit stamps.
    #[serde(flatten)]
    pub stamps: Stamps,
}

/// An override of a chat app: what it replaces, and exclusive lists that,
/// when not empty, decide access alone.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverrideDef {
    /// `false` disables the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Exactly these users, nobody else.
    #[serde(default)]
    pub exclusive_user_id_access_control: Vec<String>,
    /// Internal users of these entities, no other internal user.
    #[serde(default)]
    pub exclusive_internal_access_control: Vec<String>,
    /// External users of these entities, no other external user.
    #[serde(default)]
    pub exclusive_external_access_control: Vec<String>,
    /// Replaces the app's rules.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub access_rules: Option<AccessRulesBody>,
    /// Replaces the app's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Replaces the app's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Each feature here replaces the app's whole.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub features: Option<FeatureSetBody>,
}

/// `GET /admin/chatapps/{id}`: the chat app and its override.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatAppWithOverride {
    /// The chat app.
    pub chat_app: ChatAppDef,
    /// Its override, if any.
    #[serde(rename = "override")]
    pub override_: Option<OverrideDef>,
}

/// Where a tag applies.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum TagUsageBody {
    /// Every chat app with the `tags` feature on.
    #[default]
    Global,
    /// The chat apps whose feature settings list it.
    ChatApp,
}

/// A tag the model may write and the page renders.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TagDef {
    /// The name (`chart` for `<chart>…</chart>`).
    #[schema(
        pattern = "^(?!(trace|heartbeat|pika-metadata|script|style)$)[a-z][a-z0-9._-]{0,63}$"
    )]
    pub tag: String,
    /// What it shows.
    #[schema(pattern = "\\S")]
    pub description: String,
    /// How the model writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Whether the model may write it (true by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_be_generated_by_llm: Option<bool>,
    /// Where it applies.
    #[serde(default)]
    pub usage: TagUsageBody,
    /// Switched off.
    #[serde(default)]
    pub disabled: bool,
    /// What renders it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::strict::optional"
    )]
    pub component: Option<TagComponentView>,
}

/// `GET /admin/tags`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagList {
    /// The definitions.
    pub items: Vec<TagDef>,
}

/// A page of definitions.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DefPage<T: ToSchema> {
    /// The definitions.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

//! Request and response bodies that are not domain types (camelCase on the
//! wire, PIKA.md §11 "Wire shapes").

pub mod admin;
pub mod features;
pub mod messages;
pub mod reports;
pub mod sessions;
pub mod site;

use pika_domain::chat_app::ChatAppMode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `POST /sessions`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({ "chatAppId": "demo" }))]
pub struct CreateSession {
    /// The chat app.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,128}$")]
    pub chat_app_id: String,
}

/// `POST /sessions/{id}/messages` and `POST /chat/{chatAppId}/messages`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({ "message": "Where is my order 1234?", "clientMessageId": "c-2026-12-06-0001" }))]
pub struct SendBody {
    /// The user's message (not blank).
    #[schema(
        pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
    )]
    pub message: String,
    /// Makes the request idempotent for this user.
    #[serde(default)]
    #[schema(pattern = "^[^\\s\\x00-\\x1f\\x7f-\\x9f/#]{1,128}$")]
    pub client_message_id: Option<String>,
    /// Uploaded files to attach (`fileRef`s from `POST /sessions/{id}/files`).
    #[serde(default)]
    #[schema(max_items = 10)]
    pub file_ids: Vec<String>,
}

/// `POST /sessions/{id}/confirm`: the user's answer to a
/// `confirmation_required` event.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfirmBody {
    /// The call awaiting an answer (the event's `toolUseId`).
    #[schema(min_length = 1)]
    pub tool_use_id: String,
    /// `true` runs the tool; `false` tells the agent the user declined.
    pub approve: bool,
}

/// `PUT /chatapps/{id}/user-data`: the caller's override of their custom
/// data in one chat app.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserDataBody {
    /// Keys replacing those of the identity provider's custom data; `{}`
    /// clears the override.
    pub custom_data: serde_json::Map<String, serde_json::Value>,
}

/// `POST /sessions/{id}/title`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TitleBody {
    /// The title; generated from the conversation when absent.
    #[serde(default)]
    pub title: Option<String>,
}

/// `POST /sessions/{id}/feedback`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackBody {
    /// The answer it is about.
    #[serde(default)]
    #[schema(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
    )]
    pub message_id: Option<String>,
    /// `thumbs_up`, `thumbs_down`, `hallucination`, `incorrect`, `harmful`, `other`.
    #[schema(pattern = "^(thumbs_up|thumbs_down|hallucination|incorrect|harmful|other)$")]
    pub kind: String,
    /// Free text.
    #[serde(default)]
    pub comment: Option<String>,
}

/// `POST /sessions/{id}/files`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadBody {
    /// The file's name.
    pub name: String,
    /// Its MIME type.
    pub content_type: String,
    /// Its size in bytes (a whole number; `445.0` is read as 445, as JSON
    /// does not tell them apart).
    pub size: u64,
}

/// `PUT /admin/site`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SiteBody {
    /// The whole site configuration (features, quotas, turn limits,
    /// insights, title model); a section left out takes its defaults.
    #[serde(deserialize_with = "strict::object")]
    pub config: site::SiteConfigBody,
    /// The version read with `GET /admin/site` (0 when none is stored).
    #[schema(maximum = 9007199254740991_u64)]
    pub version: u64,
}

/// `PATCH /admin/feedback/{id}`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TriageBody {
    /// `open`, `in_review`, `resolved`, `closed`.
    #[serde(default)]
    #[schema(pattern = "^(open|in_review|resolved|closed)$")]
    pub status: Option<String>,
    /// `low`, `medium`, `high`, `critical`.
    #[serde(default)]
    #[schema(pattern = "^(low|medium|high|critical)$")]
    pub severity: Option<String>,
    /// A note for admins.
    #[serde(default)]
    pub internal_comment: Option<String>,
}

/// `POST /dev/token` (local server only).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DevTokenBody {
    /// The user id to sign in as.
    pub user_id: String,
    /// `internal-user` or `external-user`.
    #[serde(default)]
    pub user_type: Option<String>,
    /// Roles.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Custom data (e.g. `{"accountId": "a-17"}`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_data: Map<String, Value>,
}

/// A chat app as a caller sees it, with features resolved for them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatAppView {
    /// Its id.
    pub chat_app_id: String,
    /// Title (the override's when set).
    pub title: String,
    /// Description (the override's when set).
    pub description: String,
    /// Where it may be shown.
    pub modes_supported: Vec<ModeView>,
    /// Features resolved for the caller.
    pub features: features::ResolvedFeaturesView,
    /// The tags the page renders in this chat app (`tags` feature; empty
    /// when off): each component module is served at `/components/{module}`.
    pub tags: Vec<TagView>,
}

/// A tag as the page needs it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagView {
    /// The name the model writes (`chart` for `<chart>…</chart>`).
    pub tag: String,
    /// What it shows.
    pub description: String,
    /// What renders it; `None`: its content is shown as a block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<TagComponentView>,
}

/// The custom element that renders a tag.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagComponentView {
    /// The element's name (it holds a hyphen).
    pub element: String,
    /// The module defining it, served at `/components/{module}`.
    pub module: String,
}

/// Where a chat app may be shown.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModeView {
    /// A page of its own.
    Standalone,
    /// Embedded in another page.
    Embedded,
}

impl From<ChatAppMode> for ModeView {
    fn from(m: ChatAppMode) -> Self {
        match m {
            ChatAppMode::Standalone => Self::Standalone,
            ChatAppMode::Embedded => Self::Embedded,
        }
    }
}

/// `GET /chatapps`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChatAppList {
    /// The chat apps the caller may use.
    pub items: Vec<ChatAppView>,
}

/// The body of `PUT /admin/components/{name}`: a module's or style
/// sheet's source, UTF-8, not empty. Any text is a source (`{}` is a valid
/// module), so the schema names no JSON type: it says only that the body
/// is not empty.
pub struct ComponentSource;

impl utoipa::PartialSchema for ComponentSource {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
            .min_length(Some(1))
            .description(Some("The source, UTF-8, at most 256 KiB."))
            .into()
    }
}

impl utoipa::ToSchema for ComponentSource {}

/// The answer of `POST /dev/token`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DevToken {
    /// The signed JWT, for `Authorization: Bearer`.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// Reads a value of one type as another of the same JSON shape: a wire
/// type as its domain type, or the other way. Used where the two mirror
/// each other field for field (features, admin definitions), so the
/// domain keeps deciding what a value means. A shape the other side does
/// not read is a 400 naming why (for a request) or a 500 (for an answer:
/// a bug, logged by the problem layer).
pub(crate) fn convert<A: Serialize, B: serde::de::DeserializeOwned>(
    from: &A,
    request: bool,
) -> Result<B, crate::problem::ApiError> {
    serde_json::to_value(from)
        .and_then(serde_json::from_value)
        .map_err(|e| {
            if request {
                crate::problem::ApiError::invalid(format!("the body is not valid: {e}"))
            } else {
                crate::problem::ApiError::new(
                    http::StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the answer could not be written",
                )
            }
        })
}

/// A page of domain values whose wire type mirrors them, as a wire page.
pub(crate) fn page_of<D: Serialize, W: serde::de::DeserializeOwned>(
    page: pika_ports::page::Page<D>,
) -> Result<(Vec<W>, Option<String>), crate::problem::ApiError> {
    let items = page
        .items
        .iter()
        .map(|d| convert(d, false))
        .collect::<Result<_, _>>()?;
    Ok((items, page.next_cursor.map(|c| c.as_str().to_string())))
}

/// Nested objects read strictly. serde reads a struct from a JSON array
/// of its fields in order (`"quotas": [1, 2]`), which no schema of ours
/// allows: these read an object or nothing (`#[serde(deserialize_with)]`
/// on fields of struct types).
pub(crate) mod strict {
    use serde::de::{DeserializeOwned, Error};
    use serde::{Deserialize, Deserializer};
    use serde_json::{Map, Value};

    fn from_map<T: DeserializeOwned, E: Error>(map: Map<String, Value>) -> Result<T, E> {
        T::deserialize(Value::Object(map)).map_err(E::custom)
    }

    /// An object.
    pub fn object<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
        from_map(Map::deserialize(d)?)
    }

    /// An object, `null` or absent.
    pub fn optional<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        Option::<Map<String, Value>>::deserialize(d)?
            .map(from_map)
            .transpose()
    }

    /// A list of objects.
    pub fn list<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
        Vec::<Map<String, Value>>::deserialize(d)?
            .into_iter()
            .map(from_map)
            .collect()
    }

    /// A map of objects.
    pub fn values<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        d: D,
    ) -> Result<std::collections::BTreeMap<String, T>, D::Error> {
        std::collections::BTreeMap::<String, Map<String, Value>>::deserialize(d)?
            .into_iter()
            .map(|(k, v)| from_map(v).map(|v| (k, v)))
            .collect()
    }
}

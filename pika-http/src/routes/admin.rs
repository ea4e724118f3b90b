//! Admin routes (site admins): chat apps and overrides, agents, tools,
//! feedback triage, analytics, user erasure.

use super::{parse_id, PageQuery};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::problem::ApiError;
use crate::wire::{SiteBody, TriageBody};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use pika_domain::agent::Agent;
use pika_domain::chat_app::{ChatApp, ChatAppOverride};
use pika_domain::chrono::NaiveDate;
use pika_domain::ids::{AgentId, ChatAppId, EntityId, FeedbackId, ToolId, UserId};
use pika_domain::tool::Tool;
use pika_service::analytics::{AnalyticsQuery, Totals};
use pika_service::feedback::Triage;
use serde::Deserialize;
use serde_json::{json, Value};

fn same_id(path: &str, body: &str) -> Result<(), ApiError> {
    if path == body {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "the id in the body differs from the id in the path",
        ))
    }
}

/// The stored site configuration, with its version and audit stamps.
#[utoipa::path(get, path = "/admin/site", tag = "admin", responses((status = 200, body = serde_json::Value), (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
pub async fn get_site(
    State(s): State<AppState>,
    Caller(user): Caller,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.admin.get_site(&user).await?))
}

/// Replaces the site configuration (optimistic concurrency on `version`).
#[utoipa::path(put, path = "/admin/site", tag = "admin", request_body = SiteBody, responses((status = 200, body = serde_json::Value), (status = 400, body = crate::problem::Problem), (status = 403, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
pub async fn put_site(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiJson(body): ApiJson<SiteBody>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(
        s.admin.put_site(&user, body.config, body.version).await?,
    ))
}

/// All chat apps.
#[utoipa::path(get, path = "/admin/chatapps", tag = "admin", params(PageQuery), responses((status = 200, body = serde_json::Value), (status = 403, body = crate::problem::Problem)))]
pub async fn list_chat_apps(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.admin.list_chat_apps(&user, q.page()?).await?))
}

/// Creates a chat app.
#[utoipa::path(post, path = "/admin/chatapps", tag = "admin", request_body = serde_json::Value, responses((status = 201, body = serde_json::Value), (status = 400, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
pub async fn create_chat_app(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiJson(app): ApiJson<ChatApp>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.admin.create_chat_app(&user, app).await?),
    ))
}

/// One chat app with its override.
#[utoipa::path(get, path = "/admin/chatapps/{id}", tag = "admin", params(("id" = String, Path)), responses((status = 200, description = "{chatApp, override}", body = serde_json::Value), (status = 404, body = crate::problem::Problem)))]
pub async fn get_chat_app(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, ChatAppId::parse, "chat app id")?;
    let (app, ovr) = s.admin.get_chat_app(&user, &id).await?;
    Ok(Json(json!({ "chatApp": app, "override": ovr })))
}

/// Replaces a chat app (optimistic concurrency on `version`).
#[utoipa::path(put, path = "/admin/chatapps/{id}", tag = "admin", params(("id" = String, Path)), request_body = serde_json::Value, responses((status = 200, body = serde_json::Value), (status = 409, body = crate::problem::Problem)))]
pub async fn update_chat_app(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(app): ApiJson<ChatApp>,
) -> Result<impl IntoResponse, ApiError> {
    same_id(&id, app.chat_app_id.as_str())?;
    Ok(Json(s.admin.update_chat_app(&user, app).await?))
}

/// Creates or replaces a chat app's override.
#[utoipa::path(post, path = "/admin/chatapps/{id}/override", tag = "admin", params(("id" = String, Path)), request_body = serde_json::Value, responses((status = 200, body = serde_json::Value), (status = 404, body = crate::problem::Problem)))]
pub async fn put_override(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(ovr): ApiJson<ChatAppOverride>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, ChatAppId::parse, "chat app id")?;
    Ok(Json(s.admin.put_override(&user, &id, ovr).await?))
}

/// Removes a chat app's override.
#[utoipa::path(delete, path = "/admin/chatapps/{id}/override", tag = "admin", params(("id" = String, Path)), responses((status = 204, description = "Removed")))]
pub async fn delete_override(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, ChatAppId::parse, "chat app id")?;
    s.admin.delete_override(&user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// All agents.
#[utoipa::path(get, path = "/admin/agents", tag = "admin", params(PageQuery), responses((status = 200, body = serde_json::Value)))]
pub async fn list_agents(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.admin.list_agents(&user, q.page()?).await?))
}

/// Creates an agent.
#[utoipa::path(post, path = "/admin/agents", tag = "admin", request_body = serde_json::Value, responses((status = 201, body = serde_json::Value), (status = 400, body = crate::problem::Problem)))]
pub async fn create_agent(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiJson(agent): ApiJson<Agent>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.admin.create_agent(&user, agent).await?),
    ))
}

/// One agent.
#[utoipa::path(get, path = "/admin/agents/{id}", tag = "admin", params(("id" = String, Path)), responses((status = 200, body = serde_json::Value), (status = 404, body = crate::problem::Problem)))]
pub async fn get_agent(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, AgentId::parse, "agent id")?;
    Ok(Json(s.admin.get_agent(&user, &id).await?))
}

/// Replaces an agent (optimistic concurrency on `version`).
#[utoipa::path(put, path = "/admin/agents/{id}", tag = "admin", params(("id" = String, Path)), request_body = serde_json::Value, responses((status = 200, body = serde_json::Value), (status = 409, body = crate::problem::Problem)))]
pub async fn update_agent(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(agent): ApiJson<Agent>,
) -> Result<impl IntoResponse, ApiError> {
    same_id(&id, agent.agent_id.as_str())?;
    Ok(Json(s.admin.update_agent(&user, agent).await?))
}

/// All tools.
#[utoipa::path(get, path = "/admin/tools", tag = "admin", params(PageQuery), responses((status = 200, body = serde_json::Value)))]
pub async fn list_tools(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.admin.list_tools(&user, q.page()?).await?))
}

/// Creates a tool (`http` and `mcp` tools are refused until supported).
#[utoipa::path(post, path = "/admin/tools", tag = "admin", request_body = serde_json::Value, responses((status = 201, body = serde_json::Value), (status = 400, body = crate::problem::Problem)))]
pub async fn create_tool(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiJson(tool): ApiJson<Tool>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.admin.create_tool(&user, tool).await?),
    ))
}

/// One tool.
#[utoipa::path(get, path = "/admin/tools/{id}", tag = "admin", params(("id" = String, Path)), responses((status = 200, body = serde_json::Value), (status = 404, body = crate::problem::Problem)))]
pub async fn get_tool(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, ToolId::parse, "tool id")?;
    Ok(Json(s.admin.get_tool(&user, &id).await?))
}

/// Replaces a tool (optimistic concurrency on `version`).
#[utoipa::path(put, path = "/admin/tools/{id}", tag = "admin", params(("id" = String, Path)), request_body = serde_json::Value, responses((status = 200, body = serde_json::Value), (status = 409, body = crate::problem::Problem)))]
pub async fn update_tool(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(tool): ApiJson<Tool>,
) -> Result<impl IntoResponse, ApiError> {
    same_id(&id, tool.tool_id.as_str())?;
    Ok(Json(s.admin.update_tool(&user, tool).await?))
}

/// Triage: status, severity, internal note.
#[utoipa::path(patch, path = "/admin/feedback/{id}", tag = "admin", params(("id" = String, Path)), request_body = TriageBody, responses((status = 200, body = serde_json::Value), (status = 404, body = crate::problem::Problem)))]
pub async fn triage(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<TriageBody>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, FeedbackId::parse, "feedback id")?;
    let status = body
        .status
        .map(|v| {
            serde_json::from_value(json!(v)).map_err(|_| {
                ApiError::invalid("status must be open, in_review, resolved or closed")
            })
        })
        .transpose()?;
    let severity = body
        .severity
        .map(|v| {
            serde_json::from_value(json!(v))
                .map_err(|_| ApiError::invalid("severity must be low, medium, high or critical"))
        })
        .transpose()?;
    let change = Triage {
        status,
        severity,
        internal_comment: body.internal_comment,
    };
    Ok(Json(s.feedback.triage(&user, &id, change).await?))
}

/// `GET /admin/analytics` parameters.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AnalyticsParams {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD` (included).
    pub to: String,
    /// Only this chat app.
    pub chat_app_id: Option<String>,
    /// Only this entity.
    pub entity_id: Option<String>,
}

fn totals(t: &Totals) -> Value {
    json!({ "usage": t.usage, "turns": t.turns })
}

fn breakdown(rows: &[(String, Totals)], key: &str) -> Value {
    Value::Array(
        rows.iter()
            .map(|(k, t)| json!({ key: k, "usage": t.usage, "turns": t.turns }))
            .collect(),
    )
}

/// Totals, a daily series and cost by model, chat app and entity.
#[utoipa::path(get, path = "/admin/analytics", tag = "admin", params(AnalyticsParams), responses((status = 200, body = serde_json::Value), (status = 403, body = crate::problem::Problem)))]
pub async fn analytics(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiQuery(p): ApiQuery<AnalyticsParams>,
) -> Result<impl IntoResponse, ApiError> {
    let day = |raw: &str, what: &str| {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| ApiError::invalid(format!("{what} must be YYYY-MM-DD")))
    };
    let query = AnalyticsQuery {
        from: day(&p.from, "from")?,
        to: day(&p.to, "to")?,
        chat_app_id: p
            .chat_app_id
            .as_deref()
            .map(|a| parse_id(a, ChatAppId::parse, "chatAppId"))
            .transpose()?,
        entity_id: p
            .entity_id
            .as_deref()
            .map(|e| parse_id(e, EntityId::parse, "entityId"))
            .transpose()?,
    };
    let report = s.analytics.report(&user, &query).await?;
    let series: Vec<Value> = report
        .series
        .iter()
        .map(|(d, t)| json!({ "day": d, "usage": t.usage, "turns": t.turns }))
        .collect();
    Ok(Json(json!({
        "totals": totals(&report.totals),
        "series": series,
        "byModel": breakdown(&report.by_model, "modelId"),
        "byChatApp": breakdown(&report.by_chat_app, "chatAppId"),
        "byEntity": breakdown(&report.by_entity, "entityId"),
    })))
}

/// Erases everything of one user.
#[utoipa::path(delete, path = "/admin/users/{id}/data", tag = "admin", params(("id" = String, Path)), responses((status = 200, description = "{sessions, files} deleted", body = serde_json::Value), (status = 403, body = crate::problem::Problem)))]
pub async fn erase_user(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, UserId::parse, "user id")?;
    let report = s.cleanup.erase_user(&user, &id).await?;
    s.users.forget(&id);
    Ok(Json(
        json!({ "sessions": report.sessions, "files": report.files }),
    ))
}

/// `?force=true` deletes what is still referenced.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForceQuery {
    /// Delete even while chat apps (for an agent) or agents (for a tool) name it.
    #[serde(default)]
    pub force: bool,
}

/// Deletes a chat app and its override; its sessions stay readable.
#[utoipa::path(delete, path = "/admin/chatapps/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
pub async fn delete_chat_app(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, ChatAppId::parse, "chat app id")?;
    s.admin.delete_chat_app(&user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes an agent; 409 while chat apps run it, unless `force`.
#[utoipa::path(delete, path = "/admin/agents/{id}", tag = "admin", params(("id" = String, Path), ForceQuery),
    responses((status = 204, description = "Deleted"), (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
pub async fn delete_agent(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ForceQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, AgentId::parse, "agent id")?;
    s.admin.delete_agent(&user, &id, q.force).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a tool; 409 while agents offer it, unless `force`.
#[utoipa::path(delete, path = "/admin/tools/{id}", tag = "admin", params(("id" = String, Path), ForceQuery),
    responses((status = 204, description = "Deleted"), (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
pub async fn delete_tool(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ForceQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, ToolId::parse, "tool id")?;
    s.admin.delete_tool(&user, &id, q.force).await?;
    Ok(StatusCode::NO_CONTENT)
}

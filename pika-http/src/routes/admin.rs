//! Admin routes (site admins): chat apps and overrides, agents, tools,
//! feedback triage, analytics, user erasure.

use super::{parse_id, PageQuery};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::problem::ApiError;
use crate::wire::admin::{
    AgentDef, ChatAppDef, ChatAppWithOverride, DefPage, OverrideDef, ToolDef,
};
use crate::wire::reports::{AnalyticsView, DayView, GroupView, TotalsView};
use crate::wire::site::SiteRecordView;
use crate::wire::{convert, SiteBody, TriageBody};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use pika_domain::chrono::NaiveDate;
use pika_domain::ids::{AgentId, ChatAppId, EntityId, FeedbackId, ToolId, UserId};
use pika_ports::page::Page;
use pika_service::analytics::{AnalyticsQuery, Totals};
use pika_service::feedback::Triage;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

fn same_id(path: &str, body: &str) -> Result<(), ApiError> {
    if path == body {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "the id in the body differs from the id in the path",
        ))
    }
}

/// A body as its domain type (a 400 when the domain does not read it).
fn domain<W: Serialize, D: DeserializeOwned>(body: &W) -> Result<D, ApiError> {
    convert(body, true)
}

/// A domain value as its wire type.
fn wire<D: Serialize, W: DeserializeOwned>(value: &D) -> Result<Json<W>, ApiError> {
    convert(value, false).map(Json)
}

/// A page of domain values as a page of wire types.
fn page<D: Serialize, W: DeserializeOwned + utoipa::ToSchema>(
    p: Page<D>,
) -> Result<Json<DefPage<W>>, ApiError> {
    let (items, next_cursor) = crate::wire::page_of(p)?;
    Ok(Json(DefPage { items, next_cursor }))
}

/// The stored site configuration, with its version and audit stamps.
#[utoipa::path(get, path = "/admin/site", tag = "admin", responses((status = 200, body = SiteRecordView), (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
pub async fn get_site(
    State(s): State<AppState>,
    Caller(user): Caller,
) -> Result<impl IntoResponse, ApiError> {
    wire::<_, SiteRecordView>(&s.admin.get_site(&user).await?)
}

/// Replaces the site configuration (optimistic concurrency on `version`).
#[utoipa::path(put, path = "/admin/site", tag = "admin", request_body = SiteBody, responses((status = 200, body = SiteRecordView), (status = 400, body = crate::problem::Problem), (status = 403, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
pub async fn put_site(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiJson(body): ApiJson<SiteBody>,
) -> Result<impl IntoResponse, ApiError> {
    let config = domain(&body.config)?;
    wire::<_, SiteRecordView>(&s.admin.put_site(&user, config, body.version).await?)
}

/// All chat apps.
#[utoipa::path(get, path = "/admin/chatapps", tag = "admin", params(PageQuery), responses((status = 200, body = DefPage<ChatAppDef>), (status = 403, body = crate::problem::Problem)))]
pub async fn list_chat_apps(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    page::<_, ChatAppDef>(s.admin.list_chat_apps(&user, q.page()?).await?)
}

/// Creates a chat app.
#[utoipa::path(post, path = "/admin/chatapps", tag = "admin", request_body = ChatAppDef, responses((status = 201, body = ChatAppDef), (status = 400, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 404, description = "An agent it names does not exist", body = crate::problem::Problem)))]
pub async fn create_chat_app(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiJson(app): ApiJson<ChatAppDef>,
) -> Result<impl IntoResponse, ApiError> {
    let app = domain(&app)?;
    let created = s.admin.create_chat_app(&user, app).await?;
    Ok((StatusCode::CREATED, wire::<_, ChatAppDef>(&created)?))
}

/// One chat app with its override.
#[utoipa::path(get, path = "/admin/chatapps/{id}", tag = "admin", params(("id" = String, Path)), responses((status = 200, description = "The chat app and its override", body = ChatAppWithOverride), (status = 404, body = crate::problem::Problem)))]
pub async fn get_chat_app(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, ChatAppId::parse, "chat app id")?;
    let (app, ovr) = s.admin.get_chat_app(&user, &id).await?;
    Ok(Json(ChatAppWithOverride {
        chat_app: convert(&app, false)?,
        override_: ovr.as_ref().map(|o| convert(o, false)).transpose()?,
    }))
}

/// Replaces a chat app (optimistic concurrency on `version`).
#[utoipa::path(put, path = "/admin/chatapps/{id}", tag = "admin", params(("id" = String, Path)), request_body = ChatAppDef, responses((status = 200, body = ChatAppDef), (status = 409, body = crate::problem::Problem)))]
pub async fn update_chat_app(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(app): ApiJson<ChatAppDef>,
) -> Result<impl IntoResponse, ApiError> {
    same_id(&id, &app.chat_app_id)?;
    let app = domain(&app)?;
    wire::<_, ChatAppDef>(&s.admin.update_chat_app(&user, app).await?)
}

/// Creates or replaces a chat app's override.
#[utoipa::path(post, path = "/admin/chatapps/{id}/override", tag = "admin", params(("id" = String, Path)), request_body = OverrideDef, responses((status = 200, body = OverrideDef), (status = 404, body = crate::problem::Problem)))]
pub async fn put_override(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(ovr): ApiJson<OverrideDef>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, ChatAppId::parse, "chat app id")?;
    let ovr = domain(&ovr)?;
    wire::<_, OverrideDef>(&s.admin.put_override(&user, &id, ovr).await?)
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
#[utoipa::path(get, path = "/admin/agents", tag = "admin", params(PageQuery), responses((status = 200, body = DefPage<AgentDef>)))]
pub async fn list_agents(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    page::<_, AgentDef>(s.admin.list_agents(&user, q.page()?).await?)
}

/// Creates an agent.
#[utoipa::path(post, path = "/admin/agents", tag = "admin", request_body = AgentDef, responses((status = 201, body = AgentDef), (status = 400, body = crate::problem::Problem), (status = 404, description = "A tool it names does not exist", body = crate::problem::Problem), (status = 409, description = "The id is taken", body = crate::problem::Problem)))]
pub async fn create_agent(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiJson(agent): ApiJson<AgentDef>,
) -> Result<impl IntoResponse, ApiError> {
    let agent = domain(&agent)?;
    let created = s.admin.create_agent(&user, agent).await?;
    Ok((StatusCode::CREATED, wire::<_, AgentDef>(&created)?))
}

/// One agent.
#[utoipa::path(get, path = "/admin/agents/{id}", tag = "admin", params(("id" = String, Path)), responses((status = 200, body = AgentDef), (status = 404, body = crate::problem::Problem)))]
pub async fn get_agent(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, AgentId::parse, "agent id")?;
    wire::<_, AgentDef>(&s.admin.get_agent(&user, &id).await?)
}

/// Replaces an agent (optimistic concurrency on `version`).
#[utoipa::path(put, path = "/admin/agents/{id}", tag = "admin", params(("id" = String, Path)), request_body = AgentDef, responses((status = 200, body = AgentDef), (status = 409, body = crate::problem::Problem)))]
pub async fn update_agent(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(agent): ApiJson<AgentDef>,
) -> Result<impl IntoResponse, ApiError> {
    same_id(&id, &agent.agent_id)?;
    let agent = domain(&agent)?;
    wire::<_, AgentDef>(&s.admin.update_agent(&user, agent).await?)
}

/// All tools.
#[utoipa::path(get, path = "/admin/tools", tag = "admin", params(PageQuery), responses((status = 200, body = DefPage<ToolDef>)))]
pub async fn list_tools(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    page::<_, ToolDef>(s.admin.list_tools(&user, q.page()?).await?)
}

/// Creates a tool (`http` and `mcp` tools are refused until supported).
#[utoipa::path(post, path = "/admin/tools", tag = "admin", request_body = ToolDef, responses((status = 201, body = ToolDef), (status = 400, body = crate::problem::Problem), (status = 404, description = "A tool it names does not exist", body = crate::problem::Problem), (status = 409, description = "The id is taken", body = crate::problem::Problem)))]
pub async fn create_tool(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiJson(tool): ApiJson<ToolDef>,
) -> Result<impl IntoResponse, ApiError> {
    let tool = domain(&tool)?;
    let created = s.admin.create_tool(&user, tool).await?;
    Ok((StatusCode::CREATED, wire::<_, ToolDef>(&created)?))
}

/// One tool.
#[utoipa::path(get, path = "/admin/tools/{id}", tag = "admin", params(("id" = String, Path)), responses((status = 200, body = ToolDef), (status = 404, body = crate::problem::Problem)))]
pub async fn get_tool(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, ToolId::parse, "tool id")?;
    wire::<_, ToolDef>(&s.admin.get_tool(&user, &id).await?)
}

/// Replaces a tool (optimistic concurrency on `version`).
#[utoipa::path(put, path = "/admin/tools/{id}", tag = "admin", params(("id" = String, Path)), request_body = ToolDef, responses((status = 200, body = ToolDef), (status = 409, body = crate::problem::Problem)))]
pub async fn update_tool(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(tool): ApiJson<ToolDef>,
) -> Result<impl IntoResponse, ApiError> {
    same_id(&id, &tool.tool_id)?;
    let tool = domain(&tool)?;
    wire::<_, ToolDef>(&s.admin.update_tool(&user, tool).await?)
}

/// Triage: status, severity, internal note.
#[utoipa::path(patch, path = "/admin/feedback/{id}", tag = "admin", params(("id" = String, Path)), request_body = TriageBody, responses((status = 200, body = crate::wire::reports::FeedbackView), (status = 404, body = crate::problem::Problem)))]
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
    wire::<_, crate::wire::reports::FeedbackView>(&s.feedback.triage(&user, &id, change).await?)
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

fn totals(t: &Totals) -> TotalsView {
    TotalsView {
        usage: t.usage.into(),
        turns: t.turns,
    }
}

/// Rows of one breakdown, each naming its group with `key`.
fn breakdown(rows: &[(String, Totals)], key: fn(String) -> GroupView) -> Vec<GroupView> {
    rows.iter()
        .map(|(k, t)| GroupView {
            usage: t.usage.into(),
            turns: t.turns,
            ..key(k.clone())
        })
        .collect()
}

fn group() -> GroupView {
    GroupView {
        model_id: None,
        chat_app_id: None,
        entity_id: None,
        usage: pika_domain::cost::Usage::default().into(),
        turns: 0,
    }
}

/// Totals, a daily series and cost by model, chat app and entity.
#[utoipa::path(get, path = "/admin/analytics", tag = "admin", params(AnalyticsParams), responses((status = 200, body = crate::wire::reports::AnalyticsView), (status = 403, body = crate::problem::Problem)))]
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
    Ok(Json(AnalyticsView {
        totals: totals(&report.totals),
        series: report
            .series
            .iter()
            .map(|(d, t)| DayView {
                day: *d,
                usage: t.usage.into(),
                turns: t.turns,
            })
            .collect(),
        by_model: breakdown(&report.by_model, |k| GroupView {
            model_id: Some(k),
            ..group()
        }),
        by_chat_app: breakdown(&report.by_chat_app, |k| GroupView {
            chat_app_id: Some(k),
            ..group()
        }),
        by_entity: breakdown(&report.by_entity, |k| GroupView {
            entity_id: Some(k),
            ..group()
        }),
    }))
}

/// Erases everything of one user.
#[utoipa::path(delete, path = "/admin/users/{id}/data", tag = "admin", params(("id" = String, Path)), responses((status = 200, description = "What was deleted", body = crate::wire::reports::ErasureView), (status = 403, body = crate::problem::Problem)))]
pub async fn erase_user(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, UserId::parse, "user id")?;
    let report = s.cleanup.erase_user(&user, &id).await?;
    s.users.forget(&id);
    Ok(Json(crate::wire::reports::ErasureView {
        sessions: report.sessions,
        files: report.files,
    }))
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

//! Health, the OpenAPI document, shared sessions, search, memory and
//! insights.

use super::{parse_id, PageQuery};
use crate::extract::{ApiPath, ApiQuery, Caller};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{ChatAppId, EntityId, SessionId, ShareId, UserId};
use pika_ports::{FeedbackFilter, SearchQuery, SearchSort};
use serde::Deserialize;
use serde_json::json;

/// Liveness.
#[utoipa::path(get, path = "/health", tag = "platform", security(()), responses((status = 200, description = "Alive", body = crate::wire::reports::HealthView)))]
pub async fn health() -> impl IntoResponse {
    Json(crate::wire::reports::HealthView {
        status: "ok".to_string(),
    })
}

/// This API's OpenAPI 3 document.
#[utoipa::path(get, path = "/openapi.json", tag = "platform", security(()), responses((status = 200, description = "OpenAPI 3 document", body = serde_json::Value)))]
pub async fn openapi(State(s): State<AppState>) -> impl IntoResponse {
    let mut doc = crate::openapi::document(s.api.dev_tokens.is_some());
    crate::openapi::only_kinds(&mut doc, &s.ports.tool_invoker.kinds());
    Json(doc)
}

/// A shared session and its first page of messages.
#[utoipa::path(get, path = "/shared/{shareId}", tag = "sessions", params(("shareId" = String, Path), PageQuery),
    responses((status = 200, description = "The session and a page of its messages", body = crate::wire::sessions::SharedView), (status = 404, body = crate::problem::Problem)))]
pub async fn shared(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, ShareId::parse, "share id")?;
    let (session, messages) = s.sessions.read_shared(&user, &id, q.page()?).await?;
    Ok(Json(crate::wire::sessions::SharedView {
        session: session.into(),
        messages: messages.into(),
    }))
}

/// `GET /search` parameters.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find.
    pub q: Option<String>,
    /// Only this chat app.
    pub chat_app_id: Option<String>,
    /// Only this entity.
    pub entity_id: Option<String>,
    /// Only this user (site and content admins; others always search their own).
    pub user_id: Option<String>,
    /// Created at or after (RFC 3339).
    pub from: Option<String>,
    /// Created before (RFC 3339).
    pub to: Option<String>,
    /// Insight score at least this (0–100).
    pub min_score: Option<u8>,
    /// `relevance` (default), `newest`, `oldest`.
    pub sort: Option<String>,
    /// Where to continue.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<u32>,
}

fn time(raw: Option<&str>, what: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    raw.map(|r| {
        DateTime::parse_from_rfc3339(r)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| ApiError::invalid(format!("{what} must be an RFC 3339 time")))
    })
    .transpose()
}

/// Search over the sessions the caller may read.
#[utoipa::path(get, path = "/search", tag = "search", params(SearchParams),
    responses((status = 200, description = "A page of hits, best first", body = crate::wire::reports::SearchPage), (status = 400, body = crate::problem::Problem)))]
pub async fn search(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(why) = &s.api.search_unavailable {
        return Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "search_unavailable",
            why.clone(),
        ));
    }
    let sort = match p.sort.as_deref() {
        None | Some("relevance") => SearchSort::Relevance,
        Some("newest") => SearchSort::Newest,
        Some("oldest") => SearchSort::Oldest,
        Some(_) => {
            return Err(ApiError::invalid(
                "sort must be relevance, newest or oldest",
            ))
        }
    };
    if p.min_score.is_some_and(|m| m > 100) {
        return Err(ApiError::invalid("minScore must be 0 to 100"));
    }
    let query = SearchQuery {
        text: p.q.unwrap_or_default(),
        user_id: p
            .user_id
            .as_deref()
            .map(|u| parse_id(u, UserId::parse, "userId"))
            .transpose()?,
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
        from: time(p.from.as_deref(), "from")?,
        to: time(p.to.as_deref(), "to")?,
        min_score: p.min_score,
        sort,
    };
    let page = PageQuery {
        cursor: p.cursor,
        limit: p.limit,
    }
    .page()?;
    let (items, next_cursor) = crate::wire::page_of(s.search.search(&user, query, page).await?)?;
    Ok(Json(crate::wire::reports::SearchPage {
        items,
        next_cursor,
    }))
}

/// The caller's memory records.
#[utoipa::path(get, path = "/memory", tag = "memory", params(PageQuery),
    responses((status = 200, description = "A page of memory records", body = crate::wire::reports::MemoryPage)))]
pub async fn memory(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let page = s
        .ports
        .memory
        .list(&user.user_id, q.page()?)
        .await
        .map_err(pika_service::ServiceError::from)?;
    let (items, next_cursor) = crate::wire::page_of(page)?;
    Ok(Json(crate::wire::reports::MemoryPage {
        items,
        next_cursor,
    }))
}

/// `GET /insights` filters.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct InsightsQuery {
    /// `open`, `in_review`, `resolved`, `closed`.
    pub status: Option<String>,
    /// Only this chat app.
    pub chat_app_id: Option<String>,
    /// Where to continue.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<u32>,
}

/// Feedback and findings across sessions (site admins).
#[utoipa::path(get, path = "/insights", tag = "insights", params(InsightsQuery),
    responses((status = 200, description = "A page of feedback records", body = crate::wire::reports::FeedbackPage), (status = 403, body = crate::problem::Problem)))]
pub async fn insights(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiQuery(q): ApiQuery<InsightsQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let status = q
        .status
        .as_deref()
        .map(|st| {
            serde_json::from_value(json!(st)).map_err(|_| {
                ApiError::invalid("status must be open, in_review, resolved or closed")
            })
        })
        .transpose()?;
    let filter = FeedbackFilter {
        status,
        chat_app_id: q
            .chat_app_id
            .as_deref()
            .map(|a| parse_id(a, ChatAppId::parse, "chatAppId"))
            .transpose()?,
    };
    let page = PageQuery {
        cursor: q.cursor,
        limit: q.limit,
    }
    .page()?;
    let (items, next_cursor) = crate::wire::page_of(s.feedback.list(&user, &filter, page).await?)?;
    Ok(Json(crate::wire::reports::FeedbackPage {
        items,
        next_cursor,
    }))
}

/// A session's insight assessment and feedback (site admins, or the owner).
#[utoipa::path(get, path = "/insights/{sessionId}", tag = "insights", params(("sessionId" = String, Path)),
    responses((status = 200, description = "The assessment and the feedback", body = crate::wire::reports::SessionInsightView), (status = 404, body = crate::problem::Problem)))]
pub async fn insight(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id, SessionId::parse, "session id")?;
    let assessment = s.insights.insight_of(&user, &id).await?;
    let feedback = s.feedback.for_session(&user, &id).await?;
    Ok(Json(crate::wire::reports::SessionInsightView {
        assessment: assessment
            .map(|a| crate::wire::convert(&a, false))
            .transpose()?,
        feedback: feedback
            .iter()
            .map(|f| crate::wire::convert(f, false))
            .collect::<Result<_, _>>()?,
    }))
}

//! Session routes: list, create, read, delete, history, title, pin, share,
//! feedback, uploads.

use super::{parse_id, PageQuery};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::problem::ApiError;
use crate::wire::messages::MessagePage;
use crate::wire::sessions::{PresignedView, SessionPage, SessionView, UploadTicketView};
use crate::wire::{CreateSession, FeedbackBody, TitleBody, UploadBody};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use pika_domain::feedback::FeedbackKind;
use pika_domain::ids::{ChatAppId, FileId, MessageId, SessionId};
use pika_service::feedback::FeedbackInput;
use pika_service::uploads::UploadRequest;
use serde::Deserialize;
use serde_json::json;

/// `?chatAppId&cursor&limit`.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this chat app.
    pub chat_app_id: Option<String>,
    /// Where to continue.
    pub cursor: Option<String>,
    /// Page size, 1 to 100.
    pub limit: Option<u32>,
}

pub(crate) fn session_id(raw: &str) -> Result<SessionId, ApiError> {
    parse_id(raw, SessionId::parse, "session id")
}

/// The caller's sessions, newest first.
#[utoipa::path(get, path = "/sessions", operation_id = "listSessions", tag = "sessions", params(ListQuery),
    responses((status = 200, description = "A page of sessions", body = SessionPage), (status = 401, body = crate::problem::Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let app = q
        .chat_app_id
        .as_deref()
        .map(|a| parse_id(a, ChatAppId::parse, "chat app id"))
        .transpose()?;
    let page = PageQuery {
        cursor: q.cursor,
        limit: q.limit,
    }
    .page()?;
    Ok(Json(SessionPage::from(
        s.sessions.list(&user, app, page).await?,
    )))
}

/// Creates an empty session.
#[utoipa::path(post, path = "/sessions", tag = "sessions", request_body = CreateSession,
    responses((status = 201, description = "The session", body = SessionView), (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiJson(body): ApiJson<CreateSession>,
) -> Result<impl IntoResponse, ApiError> {
    let app = parse_id(&body.chat_app_id, ChatAppId::parse, "chat app id")?;
    Ok((
        StatusCode::CREATED,
        Json(SessionView::from(s.sessions.create(&user, &app).await?)),
    ))
}

/// One session.
#[utoipa::path(get, path = "/sessions/{id}", operation_id = "getSession", tag = "sessions", params(("id" = String, Path, description = "Session id")),
    responses((status = 200, body = SessionView), (status = 404, body = crate::problem::Problem)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(SessionView::from(
        s.sessions.get(&user, &session_id(&id)?).await?,
    )))
}

/// Deletes a session with its messages, documents and files.
#[utoipa::path(delete, path = "/sessions/{id}", tag = "sessions", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = crate::problem::Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    s.sessions.delete(&user, &session_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The messages of a session, oldest first.
#[utoipa::path(get, path = "/sessions/{id}/messages", tag = "sessions", params(("id" = String, Path), PageQuery),
    responses((status = 200, description = "A page of messages", body = MessagePage), (status = 404, body = crate::problem::Problem)))]
pub async fn messages(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(MessagePage::from(
        s.sessions
            .messages(&user, &session_id(&id)?, q.page()?)
            .await?,
    )))
}

/// Sets (or, without `title`, generates) the title.
#[utoipa::path(post, path = "/sessions/{id}/title", tag = "sessions", params(("id" = String, Path)), request_body = TitleBody,
    responses((status = 200, body = SessionView), (status = 404, body = crate::problem::Problem)))]
pub async fn title(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<TitleBody>,
) -> Result<impl IntoResponse, ApiError> {
    let id = session_id(&id)?;
    Ok(Json(SessionView::from(
        s.sessions.set_title(&user, &id, body.title).await?,
    )))
}

/// Pins a session.
#[utoipa::path(put, path = "/sessions/{id}/pin", tag = "sessions", params(("id" = String, Path)),
    responses((status = 200, body = SessionView), (status = 404, body = crate::problem::Problem)))]
pub async fn pin(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(SessionView::from(
        s.sessions
            .set_pinned(&user, &session_id(&id)?, true)
            .await?,
    )))
}

/// Unpins a session.
#[utoipa::path(delete, path = "/sessions/{id}/pin", tag = "sessions", params(("id" = String, Path)),
    responses((status = 200, body = SessionView), (status = 404, body = crate::problem::Problem)))]
pub async fn unpin(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(SessionView::from(
        s.sessions
            .set_pinned(&user, &session_id(&id)?, false)
            .await?,
    )))
}

/// Shares a session.
#[utoipa::path(post, path = "/sessions/{id}/share", tag = "sessions", params(("id" = String, Path)),
    responses((status = 200, description = "The session with its share", body = SessionView), (status = 404, body = crate::problem::Problem)))]
pub async fn share(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(SessionView::from(
        s.sessions.share(&user, &session_id(&id)?).await?,
    )))
}

/// Revokes a session's share.
#[utoipa::path(delete, path = "/sessions/{id}/share", tag = "sessions", params(("id" = String, Path)),
    responses((status = 200, body = SessionView), (status = 404, body = crate::problem::Problem)))]
pub async fn unshare(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(SessionView::from(
        s.sessions.revoke_share(&user, &session_id(&id)?).await?,
    )))
}

/// Thumbs and comments.
#[utoipa::path(post, path = "/sessions/{id}/feedback", tag = "sessions", params(("id" = String, Path)), request_body = FeedbackBody,
    responses((status = 201, body = crate::wire::reports::FeedbackView), (status = 404, body = crate::problem::Problem)))]
pub async fn feedback(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<FeedbackBody>,
) -> Result<impl IntoResponse, ApiError> {
    let kind: FeedbackKind = serde_json::from_value(json!(body.kind)).map_err(|_| {
        ApiError::invalid(
            "kind must be one of thumbs_up, thumbs_down, hallucination, incorrect, harmful, other",
        )
    })?;
    if kind == FeedbackKind::InsightFinding {
        return Err(ApiError::invalid(
            "insight findings are made by the platform",
        ));
    }
    let message_id = body
        .message_id
        .as_deref()
        .map(|m| parse_id(m, MessageId::parse, "message id"))
        .transpose()?;
    let input = FeedbackInput {
        message_id,
        kind,
        comment: body.comment,
    };
    Ok((
        StatusCode::CREATED,
        Json(
            crate::wire::convert::<_, crate::wire::reports::FeedbackView>(
                &s.feedback.submit(&user, &session_id(&id)?, input).await?,
                false,
            )?,
        ),
    ))
}

/// A presigned upload URL.
#[utoipa::path(post, path = "/sessions/{id}/files", tag = "sessions", params(("id" = String, Path)), request_body = UploadBody,
    responses((status = 201, description = "The upload to send", body = UploadTicketView), (status = 403, body = crate::problem::Problem)))]
pub async fn upload(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UploadBody>,
) -> Result<impl IntoResponse, ApiError> {
    let request = UploadRequest {
        name: body.name,
        content_type: body.content_type,
        size: body.size,
    };
    let ticket = s.uploads.presign(&user, &session_id(&id)?, request).await?;
    Ok((StatusCode::CREATED, Json(UploadTicketView::from(ticket))))
}

/// A short-lived download URL for a file attached to the session's messages.
#[utoipa::path(get, path = "/sessions/{id}/files/{fileId}", tag = "sessions",
    params(("id" = String, Path), ("fileId" = String, Path)),
    responses((status = 200, description = "The download to send", body = PresignedView), (status = 404, body = crate::problem::Problem)))]
pub async fn download(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath((id, file)): ApiPath<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let file = parse_id(&file, FileId::parse, "file id")?;
    Ok(Json(PresignedView::from(
        s.uploads.download(&user, &session_id(&id)?, &file).await?,
    )))
}

//! The streamed turn endpoints (PIKA.md §7, §9): send, resume, stop.
//! Errors found before the first byte are problem documents; after it they
//! are `error` events. A client that disconnects does not stop the turn.

use super::parse_id;
use super::sessions::session_id;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::problem::ApiError;
use crate::streaming::{self, Encoding};
use crate::wire::{ConfirmBody, SendBody};
use crate::{AppState, TurnTimeLimit};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use futures::stream::BoxStream;
use pika_domain::ids::{ChatAppId, ClientMessageId, MessageId, SessionId};
use pika_domain::stream::{parse_event_id, SequencedEvent};
use pika_service::{SendMessage, TurnTarget};
use serde::Deserialize;

/// The first message of a new session, streamed.
#[utoipa::path(post, path = "/chat/{chatAppId}/messages", tag = "chat",
    params(("chatAppId" = String, Path), ("Accept" = Option<String>, Header, description = "text/event-stream (default) or text/plain for Pika text")),
    request_body = SendBody,
    responses((status = 200, description = "The turn's events as SSE or Pika text; header x-chatbot-session-id", content_type = "text/event-stream"),
        (status = 400, body = crate::problem::Problem), (status = 403, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem), (status = 429, body = crate::problem::Problem)))]
pub async fn send_new(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(app): ApiPath<String>,
    limit: Option<Extension<TurnTimeLimit>>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SendBody>,
) -> Result<Response, ApiError> {
    let app = parse_id(&app, ChatAppId::parse, "chat app id")?;
    let target = TurnTarget::NewSession(app);
    send(s, user, target, limit.map(|l| l.0), &headers, body).await
}

/// A message in an existing session, streamed.
#[utoipa::path(post, path = "/sessions/{id}/messages", tag = "chat",
    params(("id" = String, Path), ("Accept" = Option<String>, Header)),
    request_body = SendBody,
    responses((status = 200, description = "The turn's events as SSE or Pika text", content_type = "text/event-stream"),
        (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem), (status = 429, body = crate::problem::Problem)))]
pub async fn send_in_session(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    limit: Option<Extension<TurnTimeLimit>>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SendBody>,
) -> Result<Response, ApiError> {
    let id = session_id(&id)?;
    send(
        s,
        user,
        TurnTarget::Session(id),
        limit.map(|l| l.0),
        &headers,
        body,
    )
    .await
}

async fn send(
    s: AppState,
    user: pika_domain::user::User,
    target: TurnTarget,
    limit: Option<TurnTimeLimit>,
    headers: &HeaderMap,
    body: SendBody,
) -> Result<Response, ApiError> {
    if let Some(url) = &s.api.turns_endpoint {
        return Err(ApiError::new(
            axum::http::StatusCode::MISDIRECTED_REQUEST,
            "use_stream_endpoint",
            format!("turns are streamed from {url}"),
        ));
    }
    if let Some(why) = &s.api.turns_unavailable {
        return Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "model_unavailable",
            why.clone(),
        ));
    }
    let client_message_id = body
        .client_message_id
        .as_deref()
        .map(|c| parse_id(c, ClientMessageId::parse, "clientMessageId"))
        .transpose()?;
    if body.file_ids.len() > 10 {
        return Err(ApiError::invalid("at most 10 files per message"));
    }
    let message = SendMessage {
        target,
        text: body.message,
        client_message_id,
        file_refs: body.file_ids,
        time_limit: limit.map(|l| l.0),
    };
    let turn = s.chat.send(&user, message).await?;
    let encoding = Encoding::from_accept(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    Ok(stream_response(
        turn.events,
        encoding,
        turn.assistant_message_id,
        Some(turn.session_id),
        s.api.heartbeat,
    ))
}

/// The streaming response: content type, no caching, the session id header.
pub(crate) fn stream_response(
    events: BoxStream<'static, SequencedEvent>,
    encoding: Encoding,
    assistant: MessageId,
    session: Option<SessionId>,
    heartbeat: std::time::Duration,
) -> Response {
    let body = Body::from_stream(streaming::body(events, encoding, assistant, heartbeat));
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(encoding.content_type()),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    if let Some(session) = session {
        if let Ok(v) = HeaderValue::from_str(&session.to_string()) {
            h.insert("x-chatbot-session-id", v);
        }
    }
    response
}

/// `?after=seq`.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResumeQuery {
    /// The sequence number of the last event seen.
    pub after: Option<u64>,
}

/// Resumes an answer's stream after the last event seen (`Last-Event-ID`
/// or `?after=`), following the turn live while it runs.
#[utoipa::path(get, path = "/sessions/{id}/messages/{messageId}/events", tag = "chat",
    params(("id" = String, Path), ("messageId" = String, Path), ResumeQuery, ("Last-Event-ID" = Option<String>, Header, description = "{assistantMessageId}:{seq}")),
    responses((status = 200, description = "SSE events after the one named", content_type = "text/event-stream"), (status = 404, body = crate::problem::Problem)))]
pub async fn resume(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath((id, message)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ResumeQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let session = session_id(&id)?;
    let message = parse_id(&message, MessageId::parse, "message id")?;
    // An empty header is no header (the EventSource spec's own reading).
    let after = match headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
    {
        Some(raw) => {
            let (id, seq) = parse_event_id(raw)
                .ok_or_else(|| ApiError::invalid("Last-Event-ID must be {messageId}:{seq}"))?;
            if id != message {
                // No event of that id is in this message's stream.
                return Err(ApiError::not_found(
                    "Last-Event-ID names an event of another message",
                ));
            }
            Some(seq)
        }
        None => q.after,
    };
    let events = s.chat.events(&user, &session, &message, after).await?;
    Ok(stream_response(
        events,
        Encoding::Sse,
        message,
        None,
        s.api.heartbeat,
    ))
}

/// Stops the running turn of a session; its partial answer is stored.
#[utoipa::path(post, path = "/sessions/{id}/stop", tag = "chat", params(("id" = String, Path)),
    responses((status = 200, description = "false when no turn was running", body = crate::wire::reports::StopView), (status = 404, body = crate::problem::Problem)))]
pub async fn stop(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let stopped = s.chat.stop(&user, &session_id(&id)?).await?;
    Ok(Json(crate::wire::reports::StopView { stopped }))
}

/// Answers the running turn's request to confirm a tool call (a
/// `confirmation_required` event): the tool runs when approved; else the
/// agent hears that the user declined. The first answer to a call stands.
#[utoipa::path(post, path = "/sessions/{id}/confirm", tag = "chat", params(("id" = String, Path)),
    request_body = ConfirmBody,
    responses((status = 200, description = "The running turn got the answer", body = crate::wire::reports::ConfirmView),
        (status = 400, body = crate::problem::Problem), (status = 403, body = crate::problem::Problem),
        (status = 404, description = "No such session, or no turn runs in it (`no_running_turn`)", body = crate::problem::Problem)))]
pub async fn confirm(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ConfirmBody>,
) -> Result<impl IntoResponse, ApiError> {
    let session = session_id(&id)?;
    let accepted = s
        .chat
        .confirm(&user, &session, &body.tool_use_id, body.approve)
        .await?;
    if !accepted {
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "no_running_turn",
            "no turn runs in this session: nothing awaits an answer",
        ));
    }
    Ok(Json(crate::wire::reports::ConfirmView { accepted: true }))
}

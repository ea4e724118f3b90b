//! The stream function serves the turns only: sending a message, resuming
//! its events, stopping it (and `/health`). Every other route belongs to
//! the REST API, whose function has the permissions it needs; here it is
//! refused with `421 use_rest_api` rather than failing on a missing grant.

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use pika_http::problem::ApiError;

/// Whether `method` `path` is a route of the stream function.
pub fn is_stream_route(method: &Method, path: &str) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (&Method::GET, ["health"]) => true,
        (&Method::POST, ["chat", _, "messages"]) => true,
        (&Method::POST, ["sessions", _, "messages"]) => true,
        (&Method::POST, ["sessions", _, "stop"]) => true,
        (&Method::GET, ["sessions", _, "messages", _, "events"]) => true,
        // CORS preflights of those routes.
        (&Method::OPTIONS, _) => true,
        _ => false,
    }
}

/// Refuses what [`is_stream_route`] does not allow.
pub async fn turns_only(request: Request, next: Next) -> Response {
    if is_stream_route(request.method(), request.uri().path()) {
        next.run(request).await
    } else {
        ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            "use_rest_api",
            "this endpoint streams turns only; use the REST API for this route",
        )
        .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_turn_routes_are_served() {
        let id = "0190f2c4-8f1e-7a3b-9c4d-2e5f6a7b8c9d";
        assert!(is_stream_route(&Method::POST, "/chat/support/messages"));
        assert!(is_stream_route(
            &Method::POST,
            &format!("/sessions/{id}/messages")
        ));
        assert!(is_stream_route(
            &Method::POST,
            &format!("/sessions/{id}/stop")
        ));
        assert!(is_stream_route(
            &Method::GET,
            &format!("/sessions/{id}/messages/{id}/events")
        ));
        assert!(is_stream_route(&Method::GET, "/health"));
        assert!(!is_stream_route(&Method::GET, "/sessions"));
        assert!(!is_stream_route(
            &Method::GET,
            &format!("/sessions/{id}/messages")
        ));
        assert!(!is_stream_route(&Method::POST, "/admin/chatapps"));
        assert!(!is_stream_route(
            &Method::DELETE,
            &format!("/sessions/{id}")
        ));
        assert!(!is_stream_route(
            &Method::POST,
            "/chat/support/messages/extra"
        ));
    }
}

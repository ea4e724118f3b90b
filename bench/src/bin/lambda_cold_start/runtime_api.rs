//! A local stand-in of the Lambda Runtime API: hands out the events it is
//! given on `GET .../invocation/next` and reports what the function posts
//! back, each with the instant it happened.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Instant, SystemTime};
use tokio::sync::{mpsc, Mutex};

/// A response (or error) a function posted back.
pub struct Posted {
    pub request_id: String,
    pub ok: bool,
    pub body: Bytes,
    pub at: Instant,
}

/// The stand-in's state: events to hand out, and what the function did.
#[derive(Clone)]
pub struct RuntimeApi {
    pub events: Arc<Mutex<mpsc::Receiver<(String, Value)>>>,
    pub nexts: mpsc::UnboundedSender<Instant>,
    pub posted: mpsc::UnboundedSender<Posted>,
}

async fn next(State(api): State<RuntimeApi>) -> Response {
    let _ = api.nexts.send(Instant::now());
    let event = api.events.lock().await.recv().await;
    let Some((id, event)) = event else {
        return StatusCode::GONE.into_response();
    };
    let deadline = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() + 29_000)
        .unwrap_or(0);
    let mut headers = HeaderMap::new();
    let pairs = [
        ("lambda-runtime-aws-request-id", id),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:bench".to_string(),
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000;Sampled=0".to_string(),
        ),
        ("content-type", "application/json".to_string()),
    ];
    for (name, value) in pairs {
        if let Ok(value) = value.parse() {
            headers.insert(name, value);
        }
    }
    (headers, event.to_string()).into_response()
}

fn post_back(api: &RuntimeApi, request_id: String, ok: bool, body: Bytes) -> StatusCode {
    let _ = api.posted.send(Posted {
        request_id,
        ok,
        body,
        at: Instant::now(),
    });
    StatusCode::ACCEPTED
}

async fn response(
    State(api): State<RuntimeApi>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    post_back(&api, id, true, body)
}

async fn error(State(api): State<RuntimeApi>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    post_back(&api, id, false, body)
}

async fn init_error(State(api): State<RuntimeApi>, body: Bytes) -> StatusCode {
    post_back(&api, "init".to_string(), false, body)
}

impl RuntimeApi {
    /// The routes of the Runtime API this stand-in answers.
    pub fn router(self) -> Router {
        Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(self)
    }
}

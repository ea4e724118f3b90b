//! A stand-in for an OpenAI-compatible model server that answers at once:
//! `POST /v1/chat/completions` streams a fixed short answer (SSE
//! chat-completion chunks, usage, `[DONE]`) when `stream` is true, and a
//! fixed title as one JSON completion otherwise. No work, no delay: what a
//! benchmark measures against it is the platform's own time.
//!
//! `model_standin PORT` serves on 127.0.0.1:PORT until killed.

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::serve::ListenerExt;
use axum::Router;
use serde_json::{json, Value};
use std::error::Error;

/// The streamed answer, in the pieces it is sent in.
const ANSWER: [&str; 5] = ["Pika ", "stand-in ", "answer, ", "streamed ", "at once."];
/// The title of a non-streamed request.
const TITLE: &str = "Stand-in title";

fn chunk(delta: &Value, finish: Option<&str>) -> String {
    format!(
        "data: {}\n\n",
        json!({ "id": "standin", "object": "chat.completion.chunk", "model": "standin",
                "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }] })
    )
}

/// The whole SSE body of a streamed answer.
fn streamed_body() -> String {
    let mut body = chunk(&json!({ "role": "assistant", "content": "" }), None);
    for piece in ANSWER {
        body.push_str(&chunk(&json!({ "content": piece }), None));
    }
    body.push_str(&chunk(&json!({}), Some("stop")));
    body.push_str(&format!(
        "data: {}\n\ndata: [DONE]\n\n",
        json!({ "id": "standin", "object": "chat.completion.chunk", "model": "standin",
                "choices": [], "usage": { "prompt_tokens": 11, "completion_tokens": 5 } })
    ));
    body
}

fn respond(content_type: &'static str, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::OK;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    response
}

async fn completions(body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if request["stream"] == json!(true) {
        return respond("text/event-stream", streamed_body());
    }
    let answer = json!({
        "id": "standin-title", "object": "chat.completion", "model": "standin",
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": TITLE },
                      "finish_reason": "stop" }],
        "usage": { "prompt_tokens": 7, "completion_tokens": 3 },
    });
    respond("application/json", answer.to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let port: u16 = std::env::args()
        .nth(1)
        .ok_or("usage: model_standin PORT")?
        .parse()?;
    let app = Router::new().route("/v1/chat/completions", post(completions));
    // As pika-local serves: no Nagle delay on small writes.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await?
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    axum::serve(listener, app).await?;
    Ok(())
}

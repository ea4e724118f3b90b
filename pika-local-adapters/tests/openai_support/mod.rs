//! A fake OpenAI-compatible server for the adapter tests: it records each
//! request and answers with scripted bodies, streamed in small chunks so
//! that events and lines arrive split.

// Each test file uses a different part of it.
#![allow(dead_code)]

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use futures::stream::{self, BoxStream, StreamExt};
use pika_local_adapters::openai::{OpenAiCompatible, OpenAiConfig};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// One scripted answer.
pub enum Reply {
    /// `status` with `body` cut into pieces of `piece` bytes, sent with a
    /// short pause between pieces.
    Chunked {
        status: u16,
        content_type: &'static str,
        body: String,
        piece: usize,
    },
    /// 200 with `first`, then only a comment every `ping` until the client
    /// goes away; `dropped` fires when the server drops the body (the
    /// connection closed).
    Hang {
        first: String,
        ping: Duration,
        dropped: oneshot::Sender<()>,
    },
    /// 200 with `first`, then the connection breaks.
    Break { first: String },
}

impl Reply {
    /// An SSE answer made of `events` (each a `data:` payload), in pieces of 7 bytes.
    pub fn sse(events: &[&str]) -> Self {
        let body: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
        Self::Chunked {
            status: 200,
            content_type: "text/event-stream",
            body,
            piece: 7,
        }
    }

    /// A raw SSE body, in pieces of `piece` bytes.
    pub fn raw_sse(body: &str, piece: usize) -> Self {
        Self::Chunked {
            status: 200,
            content_type: "text/event-stream",
            body: body.to_string(),
            piece,
        }
    }

    /// A JSON answer with `status`.
    pub fn json(status: u16, body: Value) -> Self {
        Self::Chunked {
            status,
            content_type: "application/json",
            body: body.to_string(),
            piece: usize::MAX,
        }
    }
}

/// What the server received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

#[derive(Clone, Default)]
struct Shared {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

/// A running fake server.
pub struct FakeServer {
    pub base_url: String,
    shared: Shared,
}

impl FakeServer {
    /// Starts a server on 127.0.0.1 that answers `replies` in order.
    pub async fn start(replies: Vec<Reply>) -> Self {
        let shared = Shared::default();
        shared.replies.lock().unwrap().extend(replies);
        let app = Router::new()
            .route("/v1/chat/completions", post(answer))
            .route("/v1/models", get(answer))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            base_url: format!("http://{address}/v1"),
            shared,
        }
    }

    /// The requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// The adapter pointed at this server.
    pub fn adapter(&self) -> OpenAiCompatible {
        self.adapter_with(|c| c)
    }

    /// The adapter pointed at this server, with `tweak` applied to its config.
    pub fn adapter_with(
        &self,
        tweak: impl FnOnce(OpenAiConfig) -> OpenAiConfig,
    ) -> OpenAiCompatible {
        let config = OpenAiConfig {
            request_timeout: Duration::from_secs(5),
            ..OpenAiConfig::new(format!("{}/", self.base_url))
        };
        OpenAiCompatible::new(tweak(config)).unwrap()
    }
}

async fn answer(
    State(shared): State<Shared>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.received.lock().unwrap().push(Received {
        path: uri.path().to_string(),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body,
    });
    let reply = shared.replies.lock().unwrap().pop_front();
    let Some(reply) = reply else {
        return response(500, "text/plain", Body::from("no scripted reply left"));
    };
    match reply {
        Reply::Chunked {
            status,
            content_type,
            body,
            piece,
        } => {
            let pieces: Vec<Vec<u8>> = body
                .as_bytes()
                .chunks(piece.max(1))
                .map(<[u8]>::to_vec)
                .collect();
            let chunks = stream::iter(pieces).then(|p| async move {
                tokio::time::sleep(Duration::from_millis(1)).await;
                Ok::<_, std::io::Error>(Bytes::from(p))
            });
            response(status, content_type, Body::from_stream(chunks))
        }
        Reply::Hang {
            first,
            ping,
            dropped,
        } => {
            let guard = DropSignal(Some(dropped));
            // Writing the pings makes the server notice a closed connection.
            let pings = stream::unfold((), move |()| async move {
                tokio::time::sleep(ping).await;
                Some((": ping\n\n".to_string(), ()))
            });
            let body: BoxStream<'static, Result<Bytes, std::io::Error>> =
                stream::once(async { first })
                    .chain(pings)
                    .map(move |s| {
                        let _keep = &guard;
                        Ok(Bytes::from(s))
                    })
                    .boxed();
            response(200, "text/event-stream", Body::from_stream(body))
        }
        Reply::Break { first } => {
            // The break comes a moment later, after the head and `first` went out.
            let body = stream::once(async { Ok(Bytes::from(first)) }).chain(stream::once(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err(std::io::Error::other("connection broken"))
            }));
            response(200, "text/event-stream", Body::from_stream(body))
        }
    }
}

fn response(status: u16, content_type: &str, body: Body) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", content_type)
        .body(body)
        .unwrap()
}

/// Sends on drop.
struct DropSignal(Option<oneshot::Sender<()>>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

/// A port on 127.0.0.1 where nothing listens.
pub async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/v1")
}

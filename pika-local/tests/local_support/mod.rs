//! Shared by the local-server integration tests: the real local platform
//! on a loopback port, a fake OpenAI-compatible model server (tests only),
//! and a small HTTP client toolkit.

// Each test file uses a different part of it.
#![allow(dead_code)]

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use axum::Router;
use futures::stream::{self, BoxStream, StreamExt};
use pika_http::streaming::sse;
use pika_local::config::LocalConfig;
use pika_local::server;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Tokens the fake model reports for every streamed call.
pub const STREAM_PROMPT_TOKENS: u64 = 11;
/// Generated tokens the fake model reports for every streamed call.
pub const STREAM_COMPLETION_TOKENS: u64 = 5;
/// Tokens the fake model reports for every title completion.
pub const TITLE_PROMPT_TOKENS: u64 = 7;
/// Generated tokens the fake model reports for every title completion.
pub const TITLE_COMPLETION_TOKENS: u64 = 3;
/// The title the fake model writes.
pub const TITLE: &str = "Friendly local test chat";
/// A question containing this makes the fake model stall after one delta.
pub const STALL: &str = "[stall]";
/// The first (and only) delta of a stalled answer.
pub const STALL_DELTA: &str = "Partial answer before the stall";
/// A question containing this makes the fake model call `current_time`.
pub const ASK_TIME: &str = "What time is it in Tokyo?";

/// A question starting with this makes the fake model search the
/// knowledge bases (when offered) for the rest of its first line.
pub const ASK_KB: &str = "[kb]";

/// The answer the fake model streams for a plain question (its first line).
pub fn answer_for(question: &str) -> String {
    format!("You asked: {question} Pika answers with quokka facts.")
}

// ---------------------------------------------------------------------------
// The fake OpenAI-compatible model server.

struct ModelShared {
    received: Mutex<Vec<Value>>,
    chunk_delay: Duration,
    /// Stalled answers whose body is still being held open.
    stalled_open: AtomicUsize,
}

/// A fake OpenAI-compatible server on 127.0.0.1: it records every request
/// body and answers from the request itself (so concurrent turns each get
/// their own answer):
///
/// - `stream: false` (titles): a completion with [`TITLE`];
/// - the last message a `tool` result: a sentence with the time it holds;
/// - a question containing [`ASK_TIME`] with tools offered: a `current_time`
///   tool call for Asia/Tokyo;
/// - a question containing [`STALL`]: [`STALL_DELTA`], then only comments
///   until the client goes away;
/// - anything else: [`answer_for`] the question's first line, word by word.
pub struct FakeModel {
    /// `http://127.0.0.1:{port}/v1`.
    pub base_url: String,
    shared: Arc<ModelShared>,
    task: JoinHandle<()>,
}

impl FakeModel {
    /// Starts the server; `chunk_delay` is the pause before each streamed chunk.
    pub async fn start(chunk_delay: Duration) -> Self {
        let shared = Arc::new(ModelShared {
            received: Mutex::new(Vec::new()),
            chunk_delay,
            stalled_open: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/v1/chat/completions", routing::post(completions))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_url: format!("http://{address}/v1"),
            shared,
            task,
        }
    }

    /// Every request body received so far.
    pub fn received(&self) -> Vec<Value> {
        self.shared.received.lock().unwrap().clone()
    }

    /// The streamed (agent) requests received so far.
    pub fn streamed_requests(&self) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|b| b["stream"] == json!(true))
            .collect()
    }

    /// How many stalled answers are still held open.
    pub fn stalled_open(&self) -> usize {
        self.shared.stalled_open.load(Ordering::SeqCst)
    }
}

impl Drop for FakeModel {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The text of an OpenAI message's `content` (a string or text parts).
fn content_text(message: &Value) -> String {
    match &message["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

fn chunk(delta: Value) -> String {
    format!(
        "data: {}\n\n",
        json!({ "object": "chat.completion.chunk", "choices": [{ "index": 0, "delta": delta }] })
    )
}

fn finish(reason: &str) -> String {
    format!(
        "data: {}\n\n",
        json!({ "object": "chat.completion.chunk",
                "choices": [{ "index": 0, "delta": {}, "finish_reason": reason }] })
    )
}

fn usage_and_done() -> String {
    format!(
        "data: {}\n\ndata: [DONE]\n\n",
        json!({ "object": "chat.completion.chunk", "choices": [],
                "usage": { "prompt_tokens": STREAM_PROMPT_TOKENS,
                           "completion_tokens": STREAM_COMPLETION_TOKENS } })
    )
}

/// Decrements the open-stall count when the held body is dropped.
struct StallGuard(Arc<ModelShared>);

impl Drop for StallGuard {
    fn drop(&mut self) {
        self.0.stalled_open.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn completions(State(shared): State<Arc<ModelShared>>, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.received.lock().unwrap().push(body.clone());

    if body["stream"] != json!(true) {
        let answer = json!({
            "object": "chat.completion",
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": TITLE },
                          "finish_reason": "stop" }],
            "usage": { "prompt_tokens": TITLE_PROMPT_TOKENS,
                       "completion_tokens": TITLE_COMPLETION_TOKENS },
        });
        return respond("application/json", Body::from(answer.to_string()));
    }

    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let last = messages.last().cloned().unwrap_or(Value::Null);
    let question = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .map(content_text)
        .unwrap_or_default();
    let first_line = question.lines().next().unwrap_or("").trim().to_string();
    let offers_time_tool = body["tools"].as_array().is_some_and(|tools| {
        tools
            .iter()
            .any(|t| t["function"]["name"] == "current_time")
    });

    let offers_kb = body["tools"].as_array().is_some_and(|tools| {
        tools
            .iter()
            .any(|t| t["function"]["name"] == "search_knowledge_base")
    });
    let tool_output: Value = if last["role"] == "tool" {
        serde_json::from_str(&content_text(&last)).unwrap_or(Value::Null)
    } else {
        Value::Null
    };

    let pieces: Vec<String> = if tool_output.get("passages").is_some() {
        let sentence = match tool_output["passages"].get(0) {
            Some(p) => format!(
                "According to {}: {}",
                p["source"].as_str().unwrap_or("?"),
                p["text"].as_str().unwrap_or("")
            ),
            None => "The knowledge bases hold nothing on this.".to_string(),
        };
        words(&sentence)
            .into_iter()
            .map(|w| chunk(json!({ "content": w })))
            .chain([finish("stop"), usage_and_done()])
            .collect()
    } else if first_line.starts_with(ASK_KB) && offers_kb && last["role"] != "tool" {
        let query = first_line.trim_start_matches(ASK_KB).trim();
        vec![
            chunk(json!({ "tool_calls": [{
                "index": 0, "id": "call_kb_1", "type": "function",
                "function": { "name": "search_knowledge_base",
                              "arguments": json!({ "query": query }).to_string() } }] })),
            finish("tool_calls"),
            usage_and_done(),
        ]
    } else if last["role"] == "tool" {
        let output = tool_output;
        let sentence = format!(
            "It is {} in {} right now.",
            output["time"].as_str().unwrap_or("an unknown time"),
            output["timeZone"].as_str().unwrap_or("an unknown place"),
        );
        words(&sentence)
            .into_iter()
            .map(|w| chunk(json!({ "content": w })))
            .chain([finish("stop"), usage_and_done()])
            .collect()
    } else if first_line.contains(ASK_TIME) && offers_time_tool {
        vec![
            chunk(json!({ "role": "assistant", "content": "" })),
            chunk(json!({ "tool_calls": [{
                "index": 0, "id": "call_tokyo_1", "type": "function",
                "function": { "name": "current_time", "arguments": "" } }] })),
            chunk(json!({ "tool_calls": [{
                "index": 0, "function": { "arguments": "{\"timeZone\": \"Asia/Tokyo\"}" } }] })),
            finish("tool_calls"),
            usage_and_done(),
        ]
    } else if first_line.contains(STALL) {
        shared.stalled_open.fetch_add(1, Ordering::SeqCst);
        let guard = StallGuard(shared.clone());
        let first = chunk(json!({ "content": STALL_DELTA }));
        // Comments keep the connection busy, so the server notices when the
        // client goes away; nothing more of the answer ever comes.
        let pings = stream::unfold((), |()| async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Some((": still thinking\n\n".to_string(), ()))
        });
        let body: BoxStream<'static, Result<Bytes, std::io::Error>> = stream::once(async { first })
            .chain(pings)
            .map(move |s| {
                let _held = &guard;
                Ok(Bytes::from(s))
            })
            .boxed();
        return respond("text/event-stream", Body::from_stream(body));
    } else {
        words(&answer_for(&first_line))
            .into_iter()
            .map(|w| chunk(json!({ "content": w })))
            .chain([finish("stop"), usage_and_done()])
            .collect()
    };

    let delay = shared.chunk_delay;
    let body = stream::iter(pieces).then(move |p| async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Ok::<_, std::io::Error>(Bytes::from(p))
    });
    respond("text/event-stream", Body::from_stream(body))
}

/// `text` cut after each space, so the pieces join back to it exactly.
fn words(text: &str) -> Vec<String> {
    text.split_inclusive(' ').map(str::to_string).collect()
}

fn respond(content_type: &str, body: Body) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", content_type)
        .body(body)
        .unwrap()
}

// ---------------------------------------------------------------------------
// The real local platform on a loopback port.

/// A configuration with its data in `dir` and, when given, the model at `model_url`.
pub fn config(dir: &Path, model_url: Option<&str>) -> LocalConfig {
    let mut config = LocalConfig {
        data_dir: Some(dir.to_path_buf()),
        ..LocalConfig::default()
    };
    config.model.base_url = model_url.map(str::to_string);
    config.model.model = "fake-model".to_string();
    config.model.timeout_seconds = 20;
    // The tests sign in through POST /dev/token, admins included.
    config.auth.dev_tokens = true;
    config.auth.dev_token_roles = vec![
        "pika:site-admin".to_string(),
        "pika:content-admin".to_string(),
    ];
    config
}

/// A running local server.
pub struct LocalServer {
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    /// The data directory.
    pub dir: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), String>>>,
}

impl LocalServer {
    /// Binds 127.0.0.1:0, points the public URL at it, builds the platform
    /// and serves it with `serve_on` until [`LocalServer::stop`].
    pub async fn start(mut config: LocalConfig) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let base = format!("http://{address}");
        config.server.bind = address.to_string();
        config.server.public_url = Some(base.clone());
        let platform = server::build(&config).await.unwrap();
        assert_eq!(platform.public_url, base);
        let (tx, rx) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = rx.await;
        };
        let task = tokio::spawn(server::serve_on(listener, platform, shutdown));
        Self {
            base,
            dir: config.data_dir(),
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// `{base}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Triggers the shutdown future without waiting.
    pub fn trigger_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Triggers shutdown and waits (bounded) for `serve_on` to return.
    pub async fn stop(mut self) {
        self.trigger_shutdown();
        let task = self.task.take().unwrap();
        let result = tokio::time::timeout(Duration::from_secs(20), task)
            .await
            .expect("serve_on did not return within 20 s of the shutdown")
            .expect("the server task panicked");
        result.expect("serve_on failed");
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

// ---------------------------------------------------------------------------
// The client side.

/// A client that never uses a proxy (everything is on loopback).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A development token for `user`, from `POST /dev/token`.
pub async fn sign_in(http: &reqwest::Client, server: &LocalServer, user: &str) -> String {
    let response = http
        .post(server.url("/dev/token"))
        .json(&json!({ "userId": user, "userType": "internal-user" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "POST /dev/token");
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_string()
}

/// A development token with roles and an account (the entity).
pub async fn token(
    http: &reqwest::Client,
    server: &LocalServer,
    user: &str,
    account: &str,
    roles: &[&str],
) -> String {
    let reply = exchange(http.post(server.url("/dev/token")).json(&json!({
        "userId": user,
        "userType": "internal-user",
        "roles": roles,
        "customData": { "accountId": account },
    })))
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["token"].as_str().unwrap().to_string()
}

/// One SSE event read back: its name and data.
#[derive(Debug, Clone)]
pub struct Event {
    /// `session`, `delta`, `done`, …
    pub name: String,
    /// The JSON payload.
    pub data: Value,
}

/// The events of an SSE body (heartbeats left out).
pub fn events(body: &str) -> Vec<Event> {
    sse::parse(body)
        .into_iter()
        .filter(|f| !f.comment)
        .map(|f| Event {
            name: f.event.unwrap_or_default(),
            data: serde_json::from_str(&f.data).unwrap_or(Value::Null),
        })
        .collect()
}

/// The text of the `delta` events.
pub fn streamed_text(events: &[Event]) -> String {
    events
        .iter()
        .filter(|e| e.name == "delta")
        .filter_map(|e| e.data["text"].as_str())
        .collect()
}

/// A finished HTTP exchange.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// `x-chatbot-session-id`, when sent.
    pub session_header: Option<String>,
    /// `content-type`.
    pub content_type: String,
    /// The whole body.
    pub body: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The body as SSE events.
    pub fn events(&self) -> Vec<Event> {
        events(&self.body)
    }
}

/// Sends `request` and reads the whole answer.
pub async fn exchange(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let session_header = header("x-chatbot-session-id");
    let content_type = header("content-type").unwrap_or_default();
    let body = response.text().await.unwrap();
    Reply {
        status,
        session_header,
        content_type,
        body,
    }
}

/// `GET {path}` as `token`.
pub async fn get(http: &reqwest::Client, server: &LocalServer, token: &str, path: &str) -> Reply {
    exchange(http.get(server.url(path)).bearer_auth(token)).await
}

/// `POST {path}` with a JSON `body` as `token`.
pub async fn post(
    http: &reqwest::Client,
    server: &LocalServer,
    token: &str,
    path: &str,
    body: &Value,
) -> Reply {
    exchange(http.post(server.url(path)).bearer_auth(token).json(body)).await
}

/// The first message of a new session in the demo app.
pub async fn chat_new(
    http: &reqwest::Client,
    server: &LocalServer,
    token: &str,
    body: &Value,
) -> Reply {
    post(http, server, token, "/chat/demo/messages", body).await
}

//! A fake AgentCore Memory data plane for the memory adapter tests: the
//! REST paths the SDK calls, a record of every request, and — unlike the
//! real service, which extracts records asynchronously — a synchronous
//! extraction so that "record, then retrieve" can be checked:
//!
//! - each user message becomes a record in `/users/{actorId}/facts`;
//! - one mentioning "prefer" or "like" also becomes a record in
//!   `/users/{actorId}/preferences`;
//! - retrieval ranks a namespace's records by words shared with the query.
//!
//! Listing pages hold at most 3 records, so clients must follow `nextToken`.

#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

/// The largest page the fake's listings return.
const PAGE: usize = 3;

/// One request as the fake saw it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub body: Value,
}

#[derive(Clone, Debug)]
struct Record {
    id: String,
    namespace: String,
    text: String,
    created: f64,
}

#[derive(Clone, Debug)]
struct Event {
    id: String,
    actor: String,
    session: String,
    at: f64,
}

#[derive(Default)]
struct Inner {
    requests: Vec<Request>,
    records: Vec<Record>,
    events: Vec<Event>,
    next_id: u64,
    failure: Option<(u16, String)>,
}

/// The fake service; cheap to clone.
#[derive(Clone, Default)]
pub struct FakeAgentCore {
    inner: Arc<Mutex<Inner>>,
}

fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn summary(r: &Record) -> Value {
    json!({
        "memoryRecordId": r.id,
        "content": { "text": r.text },
        "memoryStrategyId": if r.namespace.ends_with("/preferences") { "preferences-1" } else { "semantic-1" },
        "namespaces": [r.namespace],
        "createdAt": r.created,
    })
}

/// A page of `items` from the offset in `body.nextToken`.
fn paged(items: Vec<Value>, body: &Value, key: &str) -> Value {
    let from: usize = body["nextToken"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let size = body["maxResults"]
        .as_u64()
        .map_or(PAGE, |m| (m as usize).min(PAGE));
    let page: Vec<Value> = items.iter().skip(from).take(size).cloned().collect();
    let mut out = json!({ key: page });
    if from + size < items.len() {
        out["nextToken"] = json!((from + size).to_string());
    }
    out
}

impl FakeAgentCore {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.inner().requests.clone()
    }

    /// The requests to paths ending with `suffix`.
    pub fn requests_to(&self, suffix: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.ends_with(suffix))
            .collect()
    }

    /// From now on every request fails with `status` and error `code`.
    pub fn fail_with(&self, status: u16, code: &str) {
        self.inner().failure = Some((status, code.to_string()));
    }

    /// How many events the fake holds.
    pub fn event_count(&self) -> usize {
        self.inner().events.len()
    }

    /// Serves the fake on a free loopback port; returns its URL.
    pub async fn serve(&self) -> String {
        let app = Router::new()
            .route("/memories/{memory}/events", post(create_event))
            .route("/memories/{memory}/retrieve", post(retrieve))
            .route("/memories/{memory}/memoryRecords", post(list_records))
            .route(
                "/memories/{memory}/memoryRecords/batchDelete",
                post(batch_delete),
            )
            .route(
                "/memories/{memory}/actor/{actor}/sessions",
                post(list_sessions),
            )
            .route(
                "/memories/{memory}/actor/{actor}/sessions/{session}",
                post(list_events),
            )
            .route(
                "/memories/{memory}/actor/{actor}/sessions/{session}/events/{event}",
                delete(delete_event),
            )
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                record_request,
            ))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }
}

/// Records the request, and answers the scripted failure when there is one.
async fn record_request(
    State(fake): State<FakeAgentCore>,
    method: Method,
    uri: Uri,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let failure = {
        let mut inner = fake.inner();
        inner.requests.push(Request {
            method: method.to_string(),
            path: uri.path().to_string(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        });
        inner.failure.clone()
    };
    if let Some((status, code)) = failure {
        let mut response = (
            StatusCode::from_u16(status).unwrap(),
            Json(json!({ "message": format!("scripted {code}") })),
        )
            .into_response();
        response
            .headers_mut()
            .insert("x-amzn-errortype", code.parse().unwrap());
        return response;
    }
    let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
    next.run(request).await
}

fn json_body(bytes: &Bytes) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

async fn create_event(
    State(fake): State<FakeAgentCore>,
    Path(memory): Path<String>,
    body: Bytes,
) -> Json<Value> {
    let body = json_body(&body);
    let actor = body["actorId"].as_str().unwrap_or_default().to_string();
    let session = body["sessionId"].as_str().unwrap_or_default().to_string();
    let at = body["eventTimestamp"].as_f64().unwrap_or_default();
    let mut inner = fake.inner();
    inner.next_id += 1;
    let event_id = format!("evt-{}", inner.next_id);
    inner.events.push(Event {
        id: event_id.clone(),
        actor: actor.clone(),
        session: session.clone(),
        at,
    });
    let user_texts: Vec<String> = body["payload"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["conversational"]["role"] == "USER")
        .filter_map(|p| {
            p["conversational"]["content"]["text"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    for text in user_texts {
        let mut namespaces = vec![format!("/users/{actor}/facts")];
        let lower = text.to_lowercase();
        if lower.contains("prefer") || lower.contains("like") {
            namespaces.push(format!("/users/{actor}/preferences"));
        }
        for namespace in namespaces {
            inner.next_id += 1;
            let id = format!("mem-{:06}", inner.next_id);
            inner.records.push(Record {
                id,
                namespace,
                text: text.clone(),
                created: at,
            });
        }
    }
    Json(json!({ "event": {
        "memoryId": memory, "actorId": actor, "sessionId": session,
        "eventId": event_id, "eventTimestamp": at, "payload": []
    }}))
}

async fn retrieve(State(fake): State<FakeAgentCore>, body: Bytes) -> Json<Value> {
    let body = json_body(&body);
    let namespace = body["namespace"].as_str().unwrap_or_default();
    let query = words(
        body["searchCriteria"]["searchQuery"]
            .as_str()
            .unwrap_or_default(),
    );
    let top_k = body["searchCriteria"]["topK"].as_u64().unwrap_or(10) as usize;
    let inner = fake.inner();
    let mut scored: Vec<(usize, &Record)> = inner
        .records
        .iter()
        .filter(|r| r.namespace == namespace)
        .map(|r| (words(&r.text).intersection(&query).count(), r))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.created.total_cmp(&a.1.created)));
    let found: Vec<Value> = scored
        .into_iter()
        .take(top_k)
        .map(|(score, r)| {
            let mut s = summary(r);
            s["score"] = json!(score as f64);
            s
        })
        .collect();
    Json(json!({ "memoryRecordSummaries": found }))
}

async fn list_records(State(fake): State<FakeAgentCore>, body: Bytes) -> Json<Value> {
    let body = json_body(&body);
    let namespace = body["namespace"].as_str().unwrap_or_default();
    let items: Vec<Value> = fake
        .inner()
        .records
        .iter()
        .filter(|r| r.namespace == namespace)
        .map(summary)
        .collect();
    Json(paged(items, &body, "memoryRecordSummaries"))
}

async fn batch_delete(State(fake): State<FakeAgentCore>, body: Bytes) -> Json<Value> {
    let body = json_body(&body);
    let ids: Vec<String> = body["records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["memoryRecordId"].as_str().map(str::to_string))
        .collect();
    fake.inner().records.retain(|r| !ids.contains(&r.id));
    let done: Vec<Value> = ids
        .iter()
        .map(|id| json!({ "memoryRecordId": id, "status": "SUCCEEDED" }))
        .collect();
    Json(json!({ "successfulRecords": done, "failedRecords": [] }))
}

async fn list_sessions(
    State(fake): State<FakeAgentCore>,
    Path((_memory, actor)): Path<(String, String)>,
    body: Bytes,
) -> Json<Value> {
    let body = json_body(&body);
    let inner = fake.inner();
    let mut sessions: Vec<(String, f64)> = Vec::new();
    for e in inner.events.iter().filter(|e| e.actor == actor) {
        if !sessions.iter().any(|(s, _)| s == &e.session) {
            sessions.push((e.session.clone(), e.at));
        }
    }
    let items = sessions
        .into_iter()
        .map(|(s, at)| json!({ "sessionId": s, "actorId": actor, "createdAt": at }))
        .collect();
    Json(paged(items, &body, "sessionSummaries"))
}

async fn list_events(
    State(fake): State<FakeAgentCore>,
    Path((memory, actor, session)): Path<(String, String, String)>,
    body: Bytes,
) -> Json<Value> {
    let body = json_body(&body);
    let items = fake
        .inner()
        .events
        .iter()
        .filter(|e| e.actor == actor && e.session == session)
        .map(|e| {
            json!({ "memoryId": memory, "actorId": actor, "sessionId": session,
                    "eventId": e.id, "eventTimestamp": e.at, "payload": [] })
        })
        .collect();
    Json(paged(items, &body, "events"))
}

async fn delete_event(
    State(fake): State<FakeAgentCore>,
    Path((_memory, _actor, _session, event)): Path<(String, String, String, String)>,
) -> Response {
    let mut inner = fake.inner();
    let before = inner.events.len();
    inner.events.retain(|e| e.id != event);
    if inner.events.len() == before {
        let mut response = (
            StatusCode::NOT_FOUND,
            Json(json!({ "message": "no such event" })),
        )
            .into_response();
        response.headers_mut().insert(
            "x-amzn-errortype",
            "ResourceNotFoundException".parse().unwrap(),
        );
        return response;
    }
    Json(json!({ "eventId": event })).into_response()
}

//! A fake HTTP server standing in for OpenSearch (and the OpenSearch
//! control plane): it records every request and answers with scripted
//! replies in the order they were queued.

// Each test file uses a different part of it.
#![allow(dead_code)]

use aws_sdk_opensearch::config::{Credentials, SharedCredentialsProvider};
use aws_types::region::Region;
use aws_types::sdk_config::{SharedTimeSource, TimeSource};
use aws_types::SdkConfig;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use pika_aws_adapters::opensearch::{IndexName, OpenSearchConfig, OpenSearchIndex};
use pika_domain::chrono::Duration as Hours;
use pika_domain::ids::{MessageId, SessionId};
use pika_ports::SearchDocument;
use pika_testkit::fixtures::{chat_app_id, entity_id, t0, user_id};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use url::Url;

/// The index every test uses.
pub const INDEX: &str = "pika-test";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} {} sent a body that is not JSON ({e}): {:?}",
                self.method,
                self.path,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
}

/// One scripted answer.
#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Recorded>>,
    replies: Mutex<VecDeque<Reply>>,
}

/// The fake server; stops when the test's runtime ends.
pub struct Fake {
    pub url: Url,
    shared: Arc<Shared>,
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.requests.lock().unwrap().push(Recorded {
        method,
        path: uri.path().to_string(),
        query: uri.query().unwrap_or_default().to_string(),
        headers,
        body,
    });
    let reply = shared.replies.lock().unwrap().pop_front();
    // Unscripted requests succeed with an acknowledgement, as index
    // creation and document writes do.
    let reply = reply.unwrap_or(Reply {
        status: 200,
        headers: Vec::new(),
        body: json!({"acknowledged": true, "result": "created"}).to_string(),
        delay: Duration::ZERO,
    });
    tokio::time::sleep(reply.delay).await;
    let mut response = (
        StatusCode::from_u16(reply.status).unwrap(),
        [("content-type", "application/json")],
        reply.body,
    )
        .into_response();
    for (name, value) in reply.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

impl Fake {
    /// A server on a free local port.
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url: Url::parse(&format!("http://{addr}")).unwrap(),
            shared,
        }
    }

    /// Queues an answer of `status` with `body`.
    pub fn reply(&self, status: u16, body: Value) {
        self.reply_raw(status, &body.to_string(), Vec::new(), Duration::ZERO);
    }

    /// Queues an answer in full.
    pub fn reply_raw(
        &self,
        status: u16,
        body: &str,
        headers: Vec<(&'static str, String)>,
        delay: Duration,
    ) {
        self.shared.replies.lock().unwrap().push_back(Reply {
            status,
            headers,
            body: body.to_string(),
            delay,
        });
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The last request.
    pub fn last(&self) -> Recorded {
        self.requests().pop().expect("a request was made")
    }
}

/// A clock stuck at the fixtures' time, so signatures carry a known date.
#[derive(Debug)]
struct Fixed;

impl TimeSource for Fixed {
    fn now(&self) -> SystemTime {
        SystemTime::from(t0())
    }
}

/// An SDK configuration with dummy static credentials in `eu-west-1`, a
/// clock fixed at `t0`, no retries, and `endpoint` for the control plane.
pub fn sdk_config(endpoint: Option<&Url>) -> SdkConfig {
    let credentials = Credentials::new("AKIDPIKATEST", "secret-of-the-test", None, None, "test");
    let mut b = SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .time_source(SharedTimeSource::new(Fixed))
        .retry_config(aws_types::sdk_config::RetryConfig::disabled());
    if let Some(url) = endpoint {
        b = b.endpoint_url(url.as_str().trim_end_matches('/'));
    }
    b.build()
}

/// An SDK configuration without credentials or region.
pub fn bare_sdk_config() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build()
}

/// The adapter on `fake` without signing.
pub fn local_index(fake: &Fake) -> OpenSearchIndex {
    let config = OpenSearchConfig::local(fake.url.clone(), IndexName::parse(INDEX).unwrap());
    OpenSearchIndex::new(&config, &bare_sdk_config()).unwrap()
}

/// A document of `user`, `hours` after `t0`.
pub fn doc(user: &str, n: u8, text: &str) -> SearchDocument {
    SearchDocument {
        session_id: SessionId::from_v7_parts(1_000, &[n; 10]),
        message_id: MessageId::from_v7_parts(2_000 + u64::from(n), &[n; 10]),
        user_id: user_id(user),
        chat_app_id: chat_app_id("app-a"),
        entity_id: entity_id("acme"),
        title: Some("Password help".to_string()),
        text: text.to_string(),
        created_at: t0() + Hours::hours(i64::from(n)),
        insight_score: None,
    }
}

/// A hit as OpenSearch answers it.
pub fn hit(doc: &SearchDocument, score: f64, sort: Value, highlight: Option<&str>) -> Value {
    let mut hit = json!({
        "_index": INDEX,
        "_id": doc.message_id.to_string(),
        "_score": score,
        "_source": serde_json::to_value(doc).unwrap(),
        "sort": sort
    });
    if let Some(text) = highlight {
        hit["highlight"] = json!({ "text": [text] });
    }
    hit
}

/// A `_search` answer in OpenSearch's documented format.
pub fn search_answer(hits: Vec<Value>) -> Value {
    json!({
        "took": 3,
        "timed_out": false,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {
            "total": {"value": hits.len(), "relation": "eq"},
            "max_score": 1.0,
            "hits": hits
        }
    })
}

/// OpenSearch's error body.
pub fn error_body(status: u16, error_type: &str, reason: &str) -> Value {
    json!({
        "error": {
            "root_cause": [{"type": error_type, "reason": reason}],
            "type": error_type,
            "reason": reason
        },
        "status": status
    })
}

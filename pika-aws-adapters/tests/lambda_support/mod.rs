//! A fake Lambda service for the tool invoker tests: the two REST paths the
//! SDK calls (`Invoke`, `ListTags`), scripted answers per function, and a
//! record of every request.

#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// One scripted answer of `Invoke`.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Answer {
    /// A Bedrock-shaped success carrying `text`.
    pub fn text(text: &str) -> Self {
        Self::payload(json!({
            "messageVersion": "1.0",
            "response": {
                "actionGroup": "weather",
                "function": "forecast",
                "functionResponse": { "responseBody": { "TEXT": { "body": text } } }
            }
        }))
    }

    /// A Bedrock-shaped answer with `responseState: state`.
    pub fn state(state: &str, text: &str) -> Self {
        Self::payload(json!({
            "messageVersion": "1.0",
            "response": {
                "actionGroup": "weather",
                "function": "forecast",
                "functionResponse": {
                    "responseState": state,
                    "responseBody": { "TEXT": { "body": text } }
                }
            }
        }))
    }

    /// 200 with `payload` as the function's result.
    pub fn payload(payload: Value) -> Self {
        Self {
            status: 200,
            headers: vec![("x-amz-executed-version", "$LATEST".to_string())],
            body: payload.to_string(),
        }
    }

    /// The function threw: Lambda answers 200 with `X-Amz-Function-Error`.
    pub fn thrown(message: &str) -> Self {
        Self {
            status: 200,
            headers: vec![("x-amz-function-error", "Unhandled".to_string())],
            body: json!({ "errorMessage": message, "errorType": "Error", "trace": [] }).to_string(),
        }
    }

    /// A Lambda service error.
    pub fn service_error(status: u16, code: &str) -> Self {
        Self {
            status,
            headers: vec![("x-amzn-errortype", code.to_string())],
            body: json!({ "Type": "User", "message": format!("scripted {code}") }).to_string(),
        }
    }
}

/// One `Invoke` request as the server saw it.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// The function name or ARN from the path.
    pub function: String,
    /// The `X-Amz-Invocation-Type` header.
    pub invocation_type: Option<String>,
    /// The event sent.
    pub event: Value,
}

#[derive(Default)]
struct Inner {
    answers: HashMap<String, Answer>,
    tags: HashMap<String, Result<Value, Answer>>,
    invocations: Vec<Invocation>,
    tag_reads: Vec<String>,
}

/// The fake service; cheap to clone.
#[derive(Clone, Default)]
pub struct FakeLambda {
    inner: Arc<Mutex<Inner>>,
}

impl FakeLambda {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Invoke` of `function` answers `answer`.
    pub fn answer(&self, function: &str, answer: Answer) {
        self.inner().answers.insert(function.to_string(), answer);
    }

    /// `ListTags` of `arn` answers these tags.
    pub fn tags(&self, arn: &str, tags: Value) {
        self.inner().tags.insert(arn.to_string(), Ok(tags));
    }

    /// `ListTags` of `arn` fails with `answer`.
    pub fn tags_fail(&self, arn: &str, answer: Answer) {
        self.inner().tags.insert(arn.to_string(), Err(answer));
    }

    /// Every `Invoke` so far.
    pub fn invocations(&self) -> Vec<Invocation> {
        self.inner().invocations.clone()
    }

    /// The resource of every `ListTags` so far.
    pub fn tag_reads(&self) -> Vec<String> {
        self.inner().tag_reads.clone()
    }

    /// Serves the fake on a free loopback port; returns its URL.
    pub async fn serve(&self) -> String {
        let app = Router::new()
            .route("/2015-03-31/functions/{name}/invocations", post(invoke))
            .route("/2017-03-31/tags/{arn}", get(list_tags))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }
}

fn respond(answer: Answer) -> Response {
    let mut response = (StatusCode::from_u16(answer.status).unwrap(), answer.body).into_response();
    for (name, value) in answer.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    response
}

async fn invoke(
    State(fake): State<FakeLambda>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let event = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let invocation_type = headers
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut inner = fake.inner();
    inner.invocations.push(Invocation {
        function: name.clone(),
        invocation_type,
        event,
    });
    let answer = inner
        .answers
        .get(&name)
        .cloned()
        .unwrap_or_else(|| Answer::service_error(404, "ResourceNotFoundException"));
    respond(answer)
}

async fn list_tags(State(fake): State<FakeLambda>, Path(arn): Path<String>) -> Response {
    let mut inner = fake.inner();
    inner.tag_reads.push(arn.clone());
    match inner.tags.get(&arn).cloned() {
        Some(Ok(tags)) => respond(Answer::payload(json!({ "Tags": tags }))),
        Some(Err(answer)) => respond(answer),
        None => respond(Answer::service_error(404, "ResourceNotFoundException")),
    }
}

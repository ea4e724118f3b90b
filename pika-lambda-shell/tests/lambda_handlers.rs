//! The Lambda handlers invoked in-process with real event shapes: an API
//! Gateway REST proxy event with Cognito authorizer claims (`pika-api`), a
//! Function URL event streamed (`pika-stream`), an EventBridge scheduled
//! event (`pika-jobs`) — over the same router as the local server, on fakes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

// The HTTP tests' helpers (the same router on fakes, test tokens).
#[path = "../../pika-http/tests/support/mod.rs"]
mod support;

use futures::StreamExt;
use lambda_http::request::LambdaRequest;
use lambda_runtime::{Context, LambdaEvent, Service};
use pika_http::auth::{AuthConfig, AuthMode, Authenticator, DevClaims};
use pika_http::AppState;
use pika_lambda_shell::env::{FunctionKind, LambdaEnv};
use pika_lambda_shell::{api_app, api_config, jobs, stream_app};
use pika_ports::{Clock, SessionPatch, SessionStore};
use pika_service::{JobRunner, ServiceSettings};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::{fixtures, FakePorts};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tower::ServiceExt;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/lambda_events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn env_of(function: FunctionKind, vars: &[(&str, &str)]) -> LambdaEnv {
    let mut all: HashMap<&str, &str> = [
        ("PIKA_FUNCTION", function.as_str()),
        ("PIKA_TABLE_PREFIX", "pika"),
        ("PIKA_FILES_BUCKET", "files"),
        ("PIKA_INSIGHTS_BUCKET", "insights"),
        ("PIKA_AGENT_RUNTIME", "converse"),
    ]
    .into();
    all.extend(vars.iter().copied());
    LambdaEnv::read(function, |k| all.get(k).map(|v| v.to_string())).unwrap()
}

struct Lambda {
    fakes: FakePorts,
    api: AppState,
    stream: AppState,
    auth: Arc<Authenticator>,
}

async fn lambda() -> Lambda {
    let fakes = FakePorts::with_site(fixtures::site());
    fakes
        .seed_app(
            &fixtures::chat_app(support::APP, support::AGENT),
            &fixtures::agent(support::AGENT, &[]),
            &[],
        )
        .await
        .unwrap();
    let settings = ServiceSettings::default();
    let api_env = env_of(
        FunctionKind::Api,
        &[
            ("PIKA_AUTH_MODE", "authorizer"),
            ("PIKA_STREAM_URL", "https://stream.example.test/"),
        ],
    );
    let stream_env = env_of(
        FunctionKind::Stream,
        &[
            ("PIKA_AUTH_MODE", "jwt"),
            ("PIKA_JWKS_URL", "https://idp.example.test/jwks.json"),
            ("PIKA_JWT_ISSUER", "pika-test"),
            ("PIKA_JWT_AUDIENCE", "pika"),
        ],
    );
    let authorizer = Authenticator::new(AuthConfig::new(AuthMode::AuthorizerContext))
        .await
        .unwrap();
    // The stream verifies tokens itself (here HS256 with the test key, as
    // a secret from Secrets Manager would give).
    let auth = Arc::new(Authenticator::new(support::auth_config()).await.unwrap());
    Lambda {
        api: AppState::new(
            fakes.ports(),
            settings.clone(),
            Arc::new(authorizer),
            api_config(&api_env),
        ),
        stream: AppState::new(
            fakes.ports(),
            settings,
            auth.clone(),
            api_config(&stream_env),
        ),
        fakes,
        auth,
    }
}

impl Lambda {
    fn token(&self, user: &str, account: &str) -> String {
        let claims = DevClaims {
            user_id: user.to_string(),
            user_type: Some("external-user".to_string()),
            custom_data: json!({ "accountId": account }).as_object().unwrap().clone(),
            ..DevClaims::default()
        };
        self.auth
            .issue_dev_token(claims, Duration::from_secs(600), SystemTime::now())
            .unwrap()
    }
}

fn event(payload: Value, deadline_in: Duration) -> LambdaEvent<LambdaRequest> {
    let mut context = Context::default();
    context.request_id = "req-1".to_string();
    context.deadline = (SystemTime::now() + deadline_in)
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    LambdaEvent::new(serde_json::from_value(payload).unwrap(), context)
}

/// Calls `pika-api` with an API Gateway REST event; returns the Lambda
/// response as API Gateway receives it (JSON).
async fn call_api(l: &Lambda, payload: Value) -> Value {
    let mut adapter = lambda_http::Adapter::from(api_app(l.api.clone()));
    let response = adapter
        .ready()
        .await
        .unwrap()
        .call(event(payload, Duration::from_secs(29)))
        .await
        .unwrap();
    serde_json::to_value(response).unwrap()
}

/// Calls `pika-stream` with a Function URL event; returns the status, the
/// content type and the streamed body.
async fn call_stream(l: &Lambda, payload: Value, deadline_in: Duration) -> (u16, String, String) {
    let mut adapter =
        lambda_http::StreamAdapter::from(stream_app(l.stream.clone(), Duration::from_secs(10)));
    let response = adapter
        .ready()
        .await
        .unwrap()
        .call(event(payload, deadline_in))
        .await
        .unwrap();
    let status = response.metadata_prelude.status_code.as_u16();
    let content_type = response
        .metadata_prelude
        .headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let mut body = Vec::new();
    let mut stream = response.stream;
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(chunk) = stream.next().await {
            body.extend_from_slice(&chunk.unwrap());
        }
    })
    .await
    .expect("the stream ends");
    (status, content_type, String::from_utf8(body).unwrap())
}

fn function_url(token: &str, path: &str, body: Value) -> Value {
    let mut e = fixture("function_url_post.json");
    e["headers"]["authorization"] = json!(format!("Bearer {token}"));
    e["rawPath"] = json!(path);
    e["requestContext"]["http"]["path"] = json!(path);
    e["body"] = json!(body.to_string());
    e
}

/// The `event:` names and `data:` JSON of an SSE body.
fn sse_events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|frame| {
            let name = frame.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = frame.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((name.to_string(), serde_json::from_str(data).ok()?))
        })
        .collect()
}

#[tokio::test]
async fn a_turn_streams_from_the_function_url_and_the_api_lists_it() {
    let l = lambda().await;
    l.fakes
        .runtime
        .push(Script::answer("Paris is the capital of France."));
    let token = l.token("alice", "acme");

    let (status, content_type, body) = call_stream(
        &l,
        function_url(
            &token,
            "/chat/support/messages",
            json!({"message": "Capital of France?"}),
        ),
        Duration::from_secs(900),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
    let events = sse_events(&body);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"session"), "{body}");
    assert_eq!(names.last(), Some(&"done"), "{body}");
    let text: String = events
        .iter()
        .filter(|(n, _)| n == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Paris is the capital of France.");

    // The API, behind the Cognito authorizer, lists alice's new session.
    let reply = call_api(&l, fixture("apigw_rest_proxy.json")).await;
    assert_eq!(reply["statusCode"], 200, "{reply}");
    let page: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["userId"], "alice");
    assert_eq!(items[0]["entityId"], "acme");
}

#[tokio::test]
async fn the_api_refuses_calls_without_authorizer_claims_and_sends_turns_to_the_stream() {
    let l = lambda().await;
    let mut anonymous = fixture("apigw_rest_proxy.json");
    anonymous["requestContext"]["authorizer"] = json!({});
    let reply = call_api(&l, anonymous).await;
    assert_eq!(reply["statusCode"], 401, "{reply}");
    let problem: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
    assert_eq!(problem["code"], "unauthenticated");

    let mut turn = fixture("apigw_rest_proxy.json");
    turn["httpMethod"] = json!("POST");
    turn["path"] = json!("/chat/support/messages");
    turn["headers"]["Content-Type"] = json!("application/json");
    turn["multiValueHeaders"]["Content-Type"] = json!(["application/json"]);
    turn["body"] = json!("{\"message\":\"Hi\"}");
    let reply = call_api(&l, turn).await;
    assert_eq!(reply["statusCode"], 421, "{reply}");
    let problem: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
    assert_eq!(problem["code"], "use_stream_endpoint");
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("https://stream.example.test/"));
    assert_eq!(l.fakes.runtime.calls(), 0, "no model call through the API");
}

#[tokio::test]
async fn the_stream_refuses_a_bad_token_with_a_problem_document() {
    let l = lambda().await;
    let (status, content_type, body) = call_stream(
        &l,
        function_url(
            "not-a-jwt",
            "/chat/support/messages",
            json!({"message": "Hi"}),
        ),
        Duration::from_secs(900),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(content_type, "application/problem+json");
    assert!(l.fakes.sessions.is_empty());
}

#[tokio::test]
async fn the_stream_serves_turns_only() {
    let l = lambda().await;
    let token = l.token("alice", "acme");
    let mut listing = function_url(&token, "/sessions", json!({}));
    listing["requestContext"]["http"]["method"] = json!("GET");
    listing["body"] = Value::Null;
    let (status, content_type, body) = call_stream(&l, listing, Duration::from_secs(900)).await;
    assert_eq!(status, 421, "{body}");
    assert_eq!(content_type, "application/problem+json");
    assert!(body.contains("use_rest_api"), "{body}");
}

#[tokio::test]
async fn a_turn_near_the_deadline_ends_stored_with_an_error() {
    let l = lambda().await;
    l.fakes
        .runtime
        .push(Script::new().delta("Let me think").hang());
    let token = l.token("alice", "acme");

    // 11 s left, 10 s margin: the turn gets one second.
    let started = std::time::Instant::now();
    let (status, _, body) = call_stream(
        &l,
        function_url(
            &token,
            "/chat/support/messages",
            json!({"message": "Long question"}),
        ),
        Duration::from_secs(11),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "ended before the deadline"
    );
    let events = sse_events(&body);
    let (last, data) = events.last().unwrap();
    assert_eq!(last, "error", "{body}");
    assert_eq!(data["code"], "turn_timeout");

    let session = events
        .iter()
        .find(|(n, _)| n == "session")
        .map(|(_, d)| d["sessionId"].as_str().unwrap().to_string())
        .unwrap();
    let stored = l
        .fakes
        .messages
        .of_session(&pika_domain::ids::SessionId::parse(&session).unwrap());
    assert_eq!(stored.len(), 2, "question and cut answer are stored");
    assert_eq!(stored[1].error.as_ref().unwrap().code, "turn_timeout");
    assert_eq!(stored[1].content, "Let me think");
}

#[tokio::test]
async fn a_scheduled_event_runs_its_job_once() {
    let l = lambda().await;
    let alice = fixtures::customer("alice");
    l.fakes.runtime.push(Script::answer("Hello."));
    let mut turn = l
        .stream
        .chat
        .send(
            &alice,
            pika_service::SendMessage::new(
                pika_service::TurnTarget::NewSession(fixtures::chat_app_id(support::APP)),
                "Hi",
            ),
        )
        .await
        .unwrap();
    while turn.events.next().await.is_some() {}
    let expired = l.fakes.clock.now() - pika_domain::chrono::Duration::minutes(1);
    l.fakes
        .sessions
        .update(
            &turn.session_id,
            &SessionPatch {
                expires_at: Some(Some(expired)),
                ..SessionPatch::default()
            },
        )
        .await
        .unwrap();

    let runner = JobRunner::new(l.fakes.ports());
    let scheduled = fixture("eventbridge_scheduled.json");
    let mut context = Context::default();
    context.request_id = "run-1".to_string();
    let summary = jobs::handle(
        &runner,
        LambdaEvent::new(scheduled.clone(), context.clone()),
    )
    .await
    .unwrap();
    assert_eq!(
        summary,
        json!({"job": "cleanup", "deleted": 1, "lockedOut": false})
    );
    assert!(l.fakes.sessions.find(&turn.session_id).is_none());

    let again = jobs::handle(&runner, LambdaEvent::new(scheduled, context))
        .await
        .unwrap();
    assert_eq!(again["deleted"], 0, "idempotent: nothing left to delete");

    let unknown = jobs::handle(
        &runner,
        LambdaEvent::new(json!({"job": "reboot"}), Context::default()),
    )
    .await
    .unwrap_err();
    let diagnostic: lambda_runtime::Diagnostic = unknown.into();
    assert_eq!(diagnostic.error_type, "Pika.Permanent");
}

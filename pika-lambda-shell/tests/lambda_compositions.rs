//! The Lambda functions composed exactly as their `main` composes them —
//! `cold_start` reading the process environment, the AWS SDK's standard
//! configuration, the DynamoDB, S3 and Secrets Manager adapters — on moto,
//! several containers over one store:
//!
//! - `pika-api` seeds the site configuration from `PIKA_SITE_CONFIG` on its
//!   cold start, and a stored setting (entities by `accountId`) isolates
//!   shares across entities;
//! - `pika-stream`, a separate container that seeds nothing, reads the same
//!   stored site: its entity quota refuses a turn before any model call,
//!   and its self-correction grades another account's answer with the
//!   verifier and corrects it (Bedrock is a fake endpoint speaking
//!   Converse's event stream, reached through the SDK's standard
//!   `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`);
//! - a second `pika-api` cold start keeps the stored (changed) site;
//! - `pika-jobs` starts on the same store and its insights run follows the
//!   stored site (skips while `sessionInsights` is off, assesses once an
//!   admin turns it on).
//!
//! One test: the environment is the process's own, shared by everything in
//! this binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../pika-aws-adapters/tests/moto_support/mod.rs"]
mod moto_support;
// A fake Bedrock runtime endpoint (real event-stream frames).
#[path = "../../pika-aws-adapters/tests/bedrock_support/mod.rs"]
mod bedrock_support;
// The HTTP tests' helpers (test tokens signed with the test key).
#[path = "../../pika-http/tests/support/mod.rs"]
mod support;

use bedrock_support::{converse_frames, converse_json, FakeBedrock, Received, Reply};
use lambda_http::request::LambdaRequest;
use lambda_runtime::{Context, LambdaEvent, Service};
use pika_aws_adapters::dynamodb::{create_tables, Dynamo};
use pika_domain::cost::Usage;
use pika_domain::verification::VERIFIER_INSTRUCTION;
use pika_http::auth::{Authenticator, DevClaims};
use pika_lambda_shell::env::FunctionKind;
use pika_lambda_shell::{api_app, app_state, cold_start, stream_app};
use pika_ports::UsageRecord;
use pika_service::{Job, JobOutcome, JobRunner};
use pika_testkit::fixtures;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tower::ServiceExt;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/lambda_events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn event(payload: Value) -> LambdaEvent<LambdaRequest> {
    let mut context = Context::default();
    context.request_id = "req-1".to_string();
    context.deadline = (SystemTime::now() + Duration::from_secs(60))
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    LambdaEvent::new(serde_json::from_value(payload).unwrap(), context)
}

/// An API Gateway REST event as `user` of `account` (Cognito authorizer
/// claims), with `roles` as Cognito groups.
fn rest(
    method: &str,
    path: &str,
    user: &str,
    account: &str,
    roles: &[&str],
    body: Option<Value>,
) -> Value {
    let mut e = fixture("apigw_rest_proxy.json");
    e["httpMethod"] = json!(method);
    e["path"] = json!(path);
    e["requestContext"]["httpMethod"] = json!(method);
    e["requestContext"]["path"] = json!(format!("/v1{path}"));
    e["pathParameters"]["proxy"] = json!(path.trim_start_matches('/'));
    let claims = &mut e["requestContext"]["authorizer"]["claims"];
    claims["sub"] = json!(user);
    claims["userType"] = json!("internal-user");
    claims["customData"] = json!(json!({ "accountId": account }).to_string());
    claims["cognito:groups"] = json!(roles.join(","));
    if let Some(body) = body {
        e["body"] = json!(body.to_string());
        e["headers"]["Content-Type"] = json!("application/json");
        e["multiValueHeaders"]["Content-Type"] = json!(["application/json"]);
    }
    e
}

/// Calls an api container; the status and the JSON body.
async fn call_api(state: &pika_http::AppState, payload: Value) -> (u16, Value) {
    let mut adapter = lambda_http::Adapter::from(api_app(state.clone()));
    let response = adapter
        .ready()
        .await
        .unwrap()
        .call(event(payload))
        .await
        .unwrap();
    let response = serde_json::to_value(response).unwrap();
    let status = response["statusCode"].as_u64().unwrap() as u16;
    let body = response["body"].as_str().unwrap_or("null");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn set(vars: &[(&str, &str)]) {
    for (k, v) in vars {
        std::env::set_var(k, v);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_composed_as_its_main_does_reads_the_stored_site() {
    let endpoint = moto_support::endpoint();
    let sdk = moto_support::sdk_config().await;
    let prefix = moto_support::unique_name("compose");
    let dynamo = Dynamo::from_sdk_config(&sdk, prefix.clone());
    create_tables(dynamo.client(), &prefix).await.unwrap();
    let secret = aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(moto_support::unique_name("jwt"))
        .secret_string(String::from_utf8(support::SECRET.to_vec()).unwrap())
        .send()
        .await
        .unwrap();
    let secret_arn = secret.arn().unwrap().to_string();

    set(&[
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_ENDPOINT_URL", &endpoint),
        ("PIKA_TABLE_PREFIX", &prefix),
        ("PIKA_FILES_BUCKET", "pika-files"),
        ("PIKA_INSIGHTS_BUCKET", "pika-insights"),
        ("PIKA_AGENT_RUNTIME", "converse"),
    ]);

    // pika-api: authorizer claims, and the site seed.
    set(&[
        ("PIKA_FUNCTION", "api"),
        ("PIKA_AUTH_MODE", "authorizer"),
        ("PIKA_CLAIM_ROLES", "cognito:groups"),
        (
            "PIKA_SITE_CONFIG",
            r#"{"features":{"entity":{"enabled":true,"attributePath":"accountId"},"verifyResponse":{"enabled":true,"rules":{"enabled":true,"userTypes":["internal-user","external-user"]},"autoRepromptThreshold":"F"}},"quotas":{"entityTokensPerWindow":1000}}"#,
        ),
    ]);
    let api = cold_start(FunctionKind::Api).await.unwrap();
    api.ports
        .agents
        .create(&fixtures::agent("agent", &[]))
        .await
        .unwrap();
    api.ports
        .chat_apps
        .create(&fixtures::chat_app("support", "agent"))
        .await
        .unwrap();
    let api_state = app_state(&api).await.unwrap();

    // The seeded setting: a session carries its creator's account, and its
    // share is readable in that account only.
    let (status, session) = call_api(
        &api_state,
        rest(
            "POST",
            "/sessions",
            "alice",
            "acme",
            &[],
            Some(json!({ "chatAppId": "support" })),
        ),
    )
    .await;
    assert_eq!(status, 201, "{session}");
    assert_eq!(session["entityId"], "acme");
    let id = session["sessionId"].as_str().unwrap().to_string();
    let (status, shared) = call_api(
        &api_state,
        rest(
            "POST",
            &format!("/sessions/{id}/share"),
            "alice",
            "acme",
            &[],
            None,
        ),
    )
    .await;
    assert_eq!(status, 200, "{shared}");
    let share = shared["share"]["shareId"].as_str().unwrap().to_string();
    let (status, _) = call_api(
        &api_state,
        rest("GET", &format!("/shared/{share}"), "bob", "acme", &[], None),
    )
    .await;
    assert_eq!(status, 200, "same account");
    let (status, body) = call_api(
        &api_state,
        rest(
            "GET",
            &format!("/shared/{share}"),
            "carol",
            "globex",
            &[],
            None,
        ),
    )
    .await;
    assert_eq!(status, 404, "another account: {body}");

    // The account has spent its quota.
    api.ports
        .usage
        .record(&UsageRecord {
            also: Vec::new(),
            counts_turn: true,
            at: pika_domain::chrono::Utc::now(),
            user_id: fixtures::user_id("alice"),
            entity_id: fixtures::entity_id("acme"),
            chat_app_id: fixtures::chat_app_id("support"),
            model_id: "m".to_string(),
            usage: Usage {
                input_tokens: 900,
                output_tokens: 200,
                ..Usage::default()
            },
        })
        .await
        .unwrap();

    // pika-stream: another container, JWTs signed with the key from
    // Secrets Manager. It seeds nothing; the stored site's entity quota
    // refuses the turn before any model call (there is no Bedrock here).
    std::env::remove_var("PIKA_SITE_CONFIG");
    let bedrock = FakeBedrock::start_routed(bedrock_reply).await;
    set(&[
        ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", &bedrock.url),
        ("PIKA_FUNCTION", "stream"),
        ("PIKA_AUTH_MODE", "jwt"),
        ("PIKA_JWT_SECRET_ARN", &secret_arn),
        ("PIKA_JWT_ISSUER", "pika-test"),
        ("PIKA_JWT_AUDIENCE", "pika"),
    ]);
    let stream = cold_start(FunctionKind::Stream).await.unwrap();
    let stream_state = app_state(&stream).await.unwrap();
    let signer = Authenticator::new(support::auth_config()).await.unwrap();
    let (status, _) = stream_turn(&stream_state, &signer, "dave", "acme").await;
    assert_eq!(
        status, 429,
        "the entity quota stored by the api container applies in the stream container"
    );
    assert!(
        bedrock.received().is_empty(),
        "refused before any model call"
    );

    // Another account's turn: graded F by the verifier, corrected once.
    let (status, body) = stream_turn(&stream_state, &signer, "frank", "globex").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("### Corrections") && body.contains("Paris is in France."),
        "the streamed answer carries its correction: {body}"
    );
    let graded = bedrock.received().iter().filter(|r| is_verifier(r)).count();
    assert_eq!(graded, 2, "the answer and its correction were graded");
    let (status, sessions) = call_api(
        &api_state,
        rest("GET", "/sessions", "frank", "globex", &[], None),
    )
    .await;
    assert_eq!(status, 200, "{sessions}");
    let session = sessions["items"][0]["sessionId"].as_str().unwrap();
    let (status, messages) = call_api(
        &api_state,
        rest(
            "GET",
            &format!("/sessions/{session}/messages"),
            "frank",
            "globex",
            &[],
            None,
        ),
    )
    .await;
    assert_eq!(status, 200, "{messages}");
    let answer = &messages["items"][1];
    assert!(
        answer["content"]
            .as_str()
            .unwrap()
            .ends_with("Paris is in France."),
        "{answer}"
    );
    assert_eq!(answer["verifications"]["main"]["grade"], "F", "{answer}");
    assert_eq!(
        answer["verifications"]["correction"]["grade"], "A",
        "{answer}"
    );

    // An admin changes the site through the api; a new api container
    // (another cold start, with a different seed) keeps the stored one.
    let (status, site) = call_api(
        &api_state,
        rest(
            "GET",
            "/admin/site",
            "root",
            "ops",
            &["pika:site-admin"],
            None,
        ),
    )
    .await;
    assert_eq!(status, 200, "{site}");
    assert_eq!(site["version"], 1);
    let mut changed = site["config"].clone();
    changed["quotas"]["entityTokensPerWindow"] = json!(5000);
    let (status, stored) = call_api(
        &api_state,
        rest(
            "PUT",
            "/admin/site",
            "root",
            "ops",
            &["pika:site-admin"],
            Some(json!({ "config": changed, "version": 1 })),
        ),
    )
    .await;
    assert_eq!(status, 200, "{stored}");
    set(&[
        ("PIKA_FUNCTION", "api"),
        ("PIKA_AUTH_MODE", "authorizer"),
        (
            "PIKA_SITE_CONFIG",
            r#"{"quotas":{"entityTokensPerWindow":1}}"#,
        ),
    ]);
    let again = cold_start(FunctionKind::Api).await.unwrap();
    let record = again.ports.site.get().await.unwrap().unwrap();
    assert_eq!(record.version, 2);
    assert_eq!(record.config.quotas.entity_tokens_per_window, Some(5000));

    // pika-jobs: composed on the same store. Its insights run follows the
    // stored site: with sessionInsights off a waiting session is skipped;
    // once an admin turns it on (idle for no time), the next run assesses
    // it — here that fails, there is no Bedrock — instead of skipping it.
    set(&[("PIKA_FUNCTION", "jobs")]);
    let jobs = cold_start(FunctionKind::Jobs).await.unwrap();
    let runner = JobRunner::new(jobs.ports.clone());
    let insights = Job::Insights {
        batch_size: Some(10),
        idle_minutes: Some(0),
    };
    waiting_session(&jobs.ports).await;
    let JobOutcome::Insights(off) = runner.run(&insights, "run-1").await.unwrap() else {
        panic!("not an insights report")
    };
    assert_eq!(
        (off.analyzed, off.failed, off.skipped),
        (0, 0, 1),
        "{off:?}"
    );

    let (_, site) = call_api(
        &api_state,
        rest(
            "GET",
            "/admin/site",
            "root",
            "ops",
            &["pika:site-admin"],
            None,
        ),
    )
    .await;
    let mut on = site["config"].clone();
    on["features"]["sessionInsights"] = json!({ "enabled": true });
    let (status, body) = call_api(
        &api_state,
        rest(
            "PUT",
            "/admin/site",
            "root",
            "ops",
            &["pika:site-admin"],
            Some(json!({ "config": on, "version": site["version"] })),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    waiting_session(&jobs.ports).await;
    let JobOutcome::Insights(report) = runner.run(&insights, "run-2").await.unwrap() else {
        panic!("not an insights report")
    };
    assert_eq!((report.analyzed, report.skipped), (0, 0), "{report:?}");
    assert_eq!(
        report.failed, 1,
        "assessed (and failed without Bedrock): {report:?}"
    );

    let outcome = runner
        .run(&Job::Cleanup { limit: Some(10) }, "run-3")
        .await
        .unwrap();
    assert_eq!(
        outcome,
        JobOutcome::Cleanup {
            deleted: 0,
            locked_out: false
        }
    );
}

/// A streamed turn of `user` in `account` through `pika-stream`'s Function
/// URL handler: the status and the body.
async fn stream_turn(
    state: &pika_http::AppState,
    signer: &Authenticator,
    user: &str,
    account: &str,
) -> (u16, String) {
    let token = signer
        .issue_dev_token(
            DevClaims {
                user_id: user.to_string(),
                user_type: Some("internal-user".to_string()),
                custom_data: json!({ "accountId": account }).as_object().unwrap().clone(),
                ..DevClaims::default()
            },
            Duration::from_secs(600),
            SystemTime::now(),
        )
        .unwrap();
    let mut turn = fixture("function_url_post.json");
    turn["headers"]["authorization"] = json!(format!("Bearer {token}"));
    turn["rawPath"] = json!("/chat/support/messages");
    turn["requestContext"]["http"]["path"] = json!("/chat/support/messages");
    turn["body"] = json!(json!({ "message": "Where is Paris?" }).to_string());
    let mut adapter =
        lambda_http::StreamAdapter::from(stream_app(state.clone(), Duration::from_secs(10)));
    let response = adapter
        .ready()
        .await
        .unwrap()
        .call(event(turn))
        .await
        .unwrap();
    let status = response.metadata_prelude.status_code.as_u16();
    let mut body = Vec::new();
    let mut stream = response.stream;
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
            body.extend_from_slice(&chunk.unwrap());
        }
    })
    .await
    .expect("the stream ends");
    (status, String::from_utf8(body).unwrap())
}

/// Whether Bedrock received the verifier's request.
fn is_verifier(r: &Received) -> bool {
    r.body["system"][0]["text"]
        .as_str()
        .is_some_and(|s| s == VERIFIER_INSTRUCTION)
}

/// The fake Bedrock: the agent answers wrongly, then (asked again with the
/// verifier's explanation) rightly; the verifier grades the wrong answer
/// F and the right one A; anything else (the title) gets a title.
fn bedrock_reply(r: &Received) -> Reply {
    let said = r.body.to_string();
    if r.path.ends_with("/converse-stream") {
        let asked_again = r.body["messages"].as_array().map_or(0, Vec::len) > 1;
        let answer = if asked_again {
            "Paris is in France."
        } else {
            "Paris is in Germany."
        };
        Reply::Stream(converse_frames::answer(answer, 20, 6))
    } else if is_verifier(r) {
        let grade = if said.contains("Germany") { "F" } else { "A" };
        Reply::Json(converse_json(
            &json!({ "classification": grade, "explanation": "Paris is in France." }).to_string(),
            30,
            8,
        ))
    } else {
        Reply::Json(converse_json("Where Paris is", 10, 4))
    }
}

/// A session of the chat app with a message, waiting for insights.
async fn waiting_session(ports: &pika_ports::Ports) {
    use pika_ports::IdGeneratorExt;
    let an_hour_ago = pika_domain::chrono::Utc::now() - pika_domain::chrono::Duration::hours(1);
    let mut session = pika_domain::session::Session::new(
        ports.ids.session_id(),
        fixtures::user_id("erin"),
        fixtures::chat_app_id("support"),
        fixtures::agent_id("agent"),
        fixtures::entity_id("acme"),
        an_hour_ago,
    );
    let message = pika_domain::message::Message::user(
        session.session_id,
        ports.ids.message_id(),
        "Where is my order?".into(),
        an_hour_ago,
    );
    session.last_message_id = Some(message.message_id);
    session.insight_status = pika_domain::session::InsightStatus::Pending;
    ports.sessions.create(&session).await.unwrap();
    ports.messages.put(&message).await.unwrap();
}

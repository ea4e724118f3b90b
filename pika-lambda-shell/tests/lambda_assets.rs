//! Tags' component modules on Lambda, composed as `pika-api`'s main composes
//! it, on moto's S3 (path-style addressing, `PIKA_S3_FORCE_PATH_STYLE`): a
//! site admin's upload lands in the assets bucket — not the uploads bucket —
//! and the public route serves it as a module only. Needs moto
//! (`PIKA_TEST_MOTO_ENDPOINT`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../pika-aws-adapters/tests/moto_support/mod.rs"]
mod moto_support;

use lambda_http::request::LambdaRequest;
use lambda_runtime::{Context, LambdaEvent};
use pika_aws_adapters::dynamodb::{create_tables, Dynamo};
use pika_lambda_shell::env::FunctionKind;
use pika_lambda_shell::{api_app, app_state, cold_start};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tower::{Service, ServiceExt};

const MODULE: &str = "export class PikaChart extends HTMLElement {}\ncustomElements.define('pika-chart', PikaChart);\n";

/// A REST event as the authorizer hands it on: `user` with `roles`.
fn rest(
    method: &str,
    path: &str,
    roles: &[&str],
    body: Option<&str>,
) -> LambdaEvent<LambdaRequest> {
    let fixture = format!(
        "{}/tests/lambda_events/apigw_rest_proxy.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut e: Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    e["httpMethod"] = json!(method);
    e["path"] = json!(path);
    e["requestContext"]["httpMethod"] = json!(method);
    e["requestContext"]["path"] = json!(format!("/v1{path}"));
    e["pathParameters"]["proxy"] = json!(path.trim_start_matches('/'));
    let claims = &mut e["requestContext"]["authorizer"]["claims"];
    claims["sub"] = json!("root");
    claims["userType"] = json!("internal-user");
    claims["cognito:groups"] = json!(roles.join(","));
    if let Some(body) = body {
        e["body"] = json!(body);
        e["headers"]["Content-Type"] = json!("text/javascript");
        e["multiValueHeaders"]["Content-Type"] = json!(["text/javascript"]);
    }
    let mut context = Context::default();
    context.request_id = "req-assets".to_string();
    context.deadline = (SystemTime::now() + Duration::from_secs(60))
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    LambdaEvent::new(serde_json::from_value(e).unwrap(), context)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn component_modules_live_in_the_assets_bucket_and_are_served_as_modules() {
    let endpoint = moto_support::endpoint();
    let sdk = moto_support::sdk_config().await;
    let prefix = moto_support::unique_name("assets");
    let dynamo = Dynamo::from_sdk_config(&sdk, prefix.clone());
    create_tables(dynamo.client(), &prefix).await.unwrap();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let [files, insights, assets] =
        ["files", "insights", "assets"].map(|b| format!("{prefix}-{b}"));
    for bucket in [&files, &insights, &assets] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
    }
    for (k, v) in [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("PIKA_S3_FORCE_PATH_STYLE", "true"),
        ("PIKA_TABLE_PREFIX", prefix.as_str()),
        ("PIKA_FILES_BUCKET", files.as_str()),
        ("PIKA_INSIGHTS_BUCKET", insights.as_str()),
        ("PIKA_ASSETS_BUCKET", assets.as_str()),
        ("PIKA_AGENT_RUNTIME", "converse"),
        ("PIKA_FUNCTION", "api"),
        ("PIKA_AUTH_MODE", "authorizer"),
        ("PIKA_CLAIM_ROLES", "cognito:groups"),
    ] {
        std::env::set_var(k, v);
    }
    let api = cold_start(FunctionKind::Api).await.unwrap();
    let state = app_state(&api).await.unwrap();
    let call = |event| {
        let mut adapter = lambda_http::Adapter::from(api_app(state.clone()));
        async move {
            let response = adapter.ready().await.unwrap().call(event).await.unwrap();
            serde_json::to_value(response).unwrap()
        }
    };

    // Only a site admin uploads.
    let refused = call(rest(
        "PUT",
        "/admin/components/pika-chart.js",
        &[],
        Some(MODULE),
    ))
    .await;
    assert_eq!(refused["statusCode"], 403, "{refused}");
    let put = call(rest(
        "PUT",
        "/admin/components/pika-chart.js",
        &["pika:site-admin"],
        Some(MODULE),
    ))
    .await;
    assert_eq!(put["statusCode"], 204, "{put}");

    // It is in the assets bucket, under components/, and nowhere else.
    let object = s3
        .get_object()
        .bucket(&assets)
        .key("components/pika-chart.js")
        .send()
        .await
        .unwrap();
    let stored = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(stored.as_ref(), MODULE.as_bytes());
    let in_uploads = s3.list_objects_v2().bucket(&files).send().await.unwrap();
    assert_eq!(in_uploads.key_count(), Some(0));

    // Anyone's browser loads it, as a module that cannot run on its own.
    let served = call(rest("GET", "/components/pika-chart.js", &[], None)).await;
    assert_eq!(served["statusCode"], 200, "{served}");
    assert_eq!(served["body"], MODULE);
    let headers = &served["multiValueHeaders"];
    let header = |name: &str| headers[name][0].as_str().unwrap_or_default().to_string();
    assert!(
        header("content-type").starts_with("text/javascript"),
        "{headers}"
    );
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(
        header("content-security-policy").contains("default-src 'none'"),
        "{headers}"
    );
    let missing = call(rest("GET", "/components/nope.js", &[], None)).await;
    assert_eq!(missing["statusCode"], 404, "{missing}");
}

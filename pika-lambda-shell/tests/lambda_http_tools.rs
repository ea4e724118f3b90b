//! `http` and `mcp` tools on Lambda, composed as `pika-stream`'s main
//! composes them: the SSRF guard's opened ranges from the environment, the
//! tools' header secrets from Secrets Manager (moto), and one dispatcher
//! beside the Lambda tools — so a turn's `http` tool reaches its endpoint
//! with its secret, and the api function's admin routes accept the kinds the
//! stream function runs. Needs moto (`PIKA_TEST_MOTO_ENDPOINT`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../pika-aws-adapters/tests/moto_support/mod.rs"]
mod moto_support;

use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use pika_aws_adapters::dynamodb::{create_tables, Dynamo};
use pika_domain::tool::http::{HttpEndpoint, HttpMethod};
use pika_domain::tool::ExecutionType;
use pika_lambda_shell::cold_start;
use pika_lambda_shell::env::FunctionKind;
use pika_ports::{ErrorKind, ToolInvocation};
use pika_testkit::fixtures;
use serde_json::{json, Map, Value};

/// An order service on loopback that wants its key.
async fn orders() -> String {
    let app = Router::new().route(
        "/orders",
        post(|headers: HeaderMap, Json(body): Json<Value>| async move {
            let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
            Json(json!({
                "function": body["function"],
                "order": body["input"]["order"],
                "status": "shipped",
                "key_ok": key == Some("k-123"),
            }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{address}/orders")
}

fn call(url: &str) -> ToolInvocation {
    let mut tool = fixtures::inline_tool("orders", "lookup");
    tool.execution_type = ExecutionType::Http;
    tool.http = Some(HttpEndpoint {
        url: url.to_string(),
        method: HttpMethod::Post,
        headers: [("x-api-key".to_string(), "secret:ORDERS_KEY".to_string())]
            .into_iter()
            .collect(),
    });
    ToolInvocation {
        tool,
        function: fixtures::tool_name("lookup"),
        input: json!({ "order": 42 }),
        session_attributes: Map::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_function_runs_http_tools_with_secrets_from_secrets_manager() {
    let endpoint = moto_support::endpoint();
    let sdk = moto_support::sdk_config().await;
    let prefix = moto_support::unique_name("httptools");
    let dynamo = Dynamo::from_sdk_config(&sdk, prefix.clone());
    create_tables(dynamo.client(), &prefix).await.unwrap();
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let tool_secret = secrets
        .create_secret()
        .name(moto_support::unique_name("tool-secrets"))
        .secret_string(json!({ "ORDERS_KEY": "k-123" }).to_string())
        .send()
        .await
        .unwrap();
    let jwt_secret = secrets
        .create_secret()
        .name(moto_support::unique_name("jwt"))
        .secret_string("0123456789abcdef0123456789abcdef")
        .send()
        .await
        .unwrap();
    for (k, v) in [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("PIKA_TABLE_PREFIX", prefix.as_str()),
        ("PIKA_FILES_BUCKET", "pika-files"),
        ("PIKA_INSIGHTS_BUCKET", "pika-insights"),
        ("PIKA_AGENT_RUNTIME", "converse"),
        ("PIKA_FUNCTION", "stream"),
        ("PIKA_AUTH_MODE", "jwt"),
        ("PIKA_JWT_SECRET_ARN", jwt_secret.arn().unwrap()),
        ("PIKA_JWT_ISSUER", "pika-test"),
        ("PIKA_JWT_AUDIENCE", "pika"),
        ("PIKA_TOOL_SECRETS_ARN", tool_secret.arn().unwrap()),
    ] {
        std::env::set_var(k, v);
    }
    let url = orders().await;

    // Loopback is closed by default: the guard refuses the endpoint.
    let closed = cold_start(FunctionKind::Stream).await.unwrap();
    let kinds = closed.ports.tool_invoker.kinds();
    for kind in [
        ExecutionType::Lambda,
        ExecutionType::Http,
        ExecutionType::Mcp,
    ] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
    let refused = closed
        .ports
        .tool_invoker
        .invoke(call(&url))
        .await
        .unwrap_err();
    assert_ne!(refused.kind, ErrorKind::Transient, "{refused}");
    assert!(refused.message.contains("127.0.0.1"), "{refused}");

    // The operator opens loopback (their own network): the call goes through
    // with the key from Secrets Manager.
    std::env::set_var("PIKA_HTTP_TOOLS_ALLOW_PRIVATE", "127.0.0.0/8");
    let opened = cold_start(FunctionKind::Stream).await.unwrap();
    let answer = opened.ports.tool_invoker.invoke(call(&url)).await.unwrap();
    assert_eq!(
        answer,
        json!({ "function": "lookup", "order": 42, "status": "shipped", "key_ok": true })
    );

    // A secret that is not a JSON object of names stops the cold start.
    let bad = secrets
        .create_secret()
        .name(moto_support::unique_name("bad-tool-secrets"))
        .secret_string("not json")
        .send()
        .await
        .unwrap();
    std::env::set_var("PIKA_TOOL_SECRETS_ARN", bad.arn().unwrap());
    let err = cold_start(FunctionKind::Stream)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("JSON object"), "{err}");
}

//! A scripted DynamoDB endpoint for the errors moto cannot produce
//! (throttling, transaction contention): every request gets the same
//! answer, and the requests are counted so a test can see retries.

// Each test binary uses a different part of it.
#![allow(dead_code)]

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Router;
use pika_aws_adapters::dynamodb::Dynamo;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A DynamoDB endpoint that answers every request alike.
pub struct Canned {
    /// Stores on it (tables `canned-…`).
    pub dynamo: Dynamo,
    requests: Arc<AtomicUsize>,
}

impl Canned {
    /// How many requests reached the endpoint.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// An endpoint answering every request with `status` and the DynamoDB error
/// `code` (e.g. `ThrottlingException`) carrying `message`. The SDK does not
/// retry, so each store call shows how it classifies the first answer and
/// what retries the store makes of its own.
pub async fn failing(status: StatusCode, code: &str, message: &str) -> Canned {
    let body = serde_json::json!({
        "__type": format!("com.amazonaws.dynamodb.v20120810#{code}"),
        "message": message,
    })
    .to_string();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let app = Router::new().fallback(move || {
        let body = body.clone();
        counter.fetch_add(1, Ordering::SeqCst);
        async move {
            (
                status,
                [("content-type", "application/x-amz-json-1.0")],
                body,
            )
                .into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .test_credentials()
        .endpoint_url(format!("http://{addr}"))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    Canned {
        dynamo: Dynamo::from_sdk_config(&config, "canned"),
        requests,
    }
}

//! How the S3 store classifies failures: throttling and unreachable
//! endpoints are `Transient`, a missing bucket or refused access `Permanent`.
#![cfg(feature = "s3")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod moto_support;
mod s3_support;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Router;
use pika_aws_adapters::s3::S3FileStore;
use pika_ports::{ErrorKind, FileStore};
use s3_support::config;

/// An SDK configuration for `endpoint` that never retries, so each call
/// shows the first answer's classification.
async fn sdk_for(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .test_credentials()
        .endpoint_url(endpoint)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await
}

/// A server answering every request with `status` and an S3 error `code`.
async fn failing_s3(status: StatusCode, code: &'static str) -> String {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <Error><Code>{code}</Code><Message>scripted</Message><RequestId>r1</RequestId></Error>"
    );
    let app = Router::new().fallback(move || {
        let body = body.clone();
        async move { (status, [("content-type", "application/xml")], body).into_response() }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn store_at(endpoint: &str) -> S3FileStore {
    S3FileStore::new(&sdk_for(endpoint).await, config("pika-bucket", None))
}

#[tokio::test]
async fn throttling_is_transient() {
    let store = store_at(&failing_s3(StatusCode::SERVICE_UNAVAILABLE, "SlowDown").await).await;
    let err = store
        .put("uploads/a/b", b"x".to_vec(), "text/plain")
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");
    let err = store.get("uploads/a/b").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");
    let err = store.delete_prefix("uploads/").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");
}

#[tokio::test]
async fn refused_access_is_permanent_not_absent() {
    let store = store_at(&failing_s3(StatusCode::FORBIDDEN, "AccessDenied").await).await;
    let err = store.get("uploads/a/b").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent, "{err}");
    let err = store.head("uploads/a/b").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent, "{err}");
}

#[tokio::test]
async fn an_unreachable_endpoint_is_transient() {
    // Nothing listens on a port we bound and released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = store_at(&format!("http://127.0.0.1:{port}")).await;
    let err = store.get("uploads/a/b").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");
}

#[tokio::test]
async fn a_missing_bucket_is_permanent() {
    let sdk = moto_support::sdk_config().await;
    let missing = moto_support::unique_name("pika-never-created");
    let store = S3FileStore::new(&sdk, config(&missing, None));
    let err = store
        .put("uploads/a/b", b"x".to_vec(), "text/plain")
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent, "{err}");
    let err = store.get("uploads/a/b").await.unwrap_err();
    assert_eq!(
        err.kind,
        ErrorKind::Permanent,
        "a missing bucket is no missing object: {err}"
    );
}

//! A DynamoDB endpoint that accepts connections and never answers: the
//! store gives up by itself (the store clients' attempt and operation
//! timeouts) with a `Transient` error, instead of holding a turn forever.
#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use pika_aws_adapters::aws::STORE_OPERATION_TIMEOUT;
use pika_aws_adapters::dynamodb::users::DynamoUserStore;
use pika_aws_adapters::dynamodb::Dynamo;
use pika_ports::{ErrorKind, UserStore};
use pika_testkit::fixtures::user_id;
use std::time::Duration;

#[tokio::test]
async fn a_stalled_endpoint_fails_as_transient_within_the_operation_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .test_credentials()
        .endpoint_url(format!("http://{address}"))
        .load()
        .await;
    let store = DynamoUserStore::new(Dynamo::from_sdk_config(&sdk, "stalled"));

    let result = tokio::time::timeout(
        STORE_OPERATION_TIMEOUT + Duration::from_secs(30),
        store.get(&user_id("alice")),
    )
    .await
    .expect("the store gave up by itself");
    let err = result.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");
    silent.abort();
}

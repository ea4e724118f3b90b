//! DynamoDB on moto, one request at a time per client.
//!
//! moto applies a request in several unlocked steps on its server threads
//! (read the item, evaluate the `ADD`, write it back), so two concurrent
//! `ADD`s on one item lose counts there — on DynamoDB each request is
//! atomic. Tests whose callers run concurrently (the usage ledger's
//! concurrent turns, the version race of the configuration stores) use
//! [`fresh`], whose client sends its requests one after another: the store
//! still serves concurrent callers with interleaved calls, and moto sees
//! each request whole, as DynamoDB would. That DynamoDB's own contention
//! (a cancelled transaction) is retried is shown with `dynamo_canned`.

// Each test binary uses a different part of it.
#![allow(dead_code)]

use crate::moto_support;
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use pika_aws_adapters::dynamodb::{create_tables, Dynamo};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// An HTTP client that lets one request of its SDK client through at a time.
#[derive(Debug)]
struct OneAtATime {
    inner: SharedHttpClient,
    turn: Arc<Semaphore>,
}

#[derive(Debug)]
struct OneAtATimeConnector {
    inner: SharedHttpConnector,
    turn: Arc<Semaphore>,
}

impl HttpClient for OneAtATime {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(OneAtATimeConnector {
            inner: self.inner.http_connector(settings, components),
            turn: self.turn.clone(),
        })
    }
}

impl HttpConnector for OneAtATimeConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (inner, turn) = (self.inner.clone(), self.turn.clone());
        HttpConnectorFuture::new(async move {
            let _turn = turn
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            inner.call(request).await
        })
    }
}

/// A DynamoDB client on moto sending one request at a time, through the
/// SDK's own HTTP client.
pub async fn client() -> Client {
    let inner = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .build_https();
    let serial = moto_support::sdk_config()
        .await
        .to_builder()
        .http_client(OneAtATime {
            inner,
            turn: Arc::new(Semaphore::new(1)),
        })
        .build();
    Client::new(&serial)
}

/// A [`Dynamo`] on a fresh, unique table prefix with every table created,
/// whose requests reach moto one at a time.
pub async fn fresh() -> Dynamo {
    let client = client().await;
    let prefix = moto_support::unique_name("pika");
    create_tables(&client, &prefix)
        .await
        .unwrap_or_else(|e| panic!("creating the tables under {prefix}: {e}"));
    Dynamo::new(client, prefix)
}

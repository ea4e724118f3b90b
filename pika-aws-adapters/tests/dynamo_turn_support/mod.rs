//! A chat platform on moto's DynamoDB for the turn tests: the DynamoDB
//! stores and journal over the fakes (scripted model, tools), one chat app,
//! and every DynamoDB request counted.

#![allow(dead_code)]

use super::moto_support;
use aws_sdk_dynamodb::config::Intercept;
use aws_sdk_dynamodb::Client;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use futures::StreamExt;
use pika_aws_adapters::dynamodb::{create_tables, Dynamo, DynamoStores};
use pika_domain::site::SiteRecord;
use pika_domain::stream::TurnEvent;
use pika_ports::Ports;
use pika_service::{ChatService, ConfigCache, SendMessage, ServiceSettings};
use pika_testkit::{fixtures, FakePorts};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Records the name of every DynamoDB operation the client executes.
#[derive(Debug, Clone, Default)]
pub struct Requests(Arc<Mutex<Vec<String>>>);

impl Requests {
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Intercept for Requests {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    /// Every request sent (retries included), named by its `x-amz-target`
    /// header (`DynamoDB_20120810.GetItem`).
    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or_default();
        let operation = target.rsplit('.').next().unwrap_or_default();
        self.0.lock().unwrap().push(operation.to_string());
        Ok(())
    }
}

pub const READS: &[&str] = &["GetItem", "BatchGetItem", "Query", "Scan"];
pub const WRITES: &[&str] = &[
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
];

pub fn count(ops: &[String], kinds: &[&str]) -> usize {
    ops.iter().filter(|o| kinds.contains(&o.as_str())).count()
}

pub struct Platform {
    pub fakes: FakePorts,
    pub dynamo: Dynamo,
    pub ports: Ports,
    pub chat: ChatService,
    pub requests: Requests,
}

pub async fn platform() -> Platform {
    let requests = Requests::default();
    let sdk = moto_support::sdk_config().await;
    let conf = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .interceptor(requests.clone())
        .build();
    let client = Client::from_conf(conf);
    let prefix = moto_support::unique_name("warm");
    create_tables(&client, &prefix).await.unwrap();
    let dynamo = Dynamo::new(client, prefix);

    let fakes = FakePorts::new();
    let stores = DynamoStores::new(&dynamo);
    let ports = stores.into_ports(fakes.ports());
    ports
        .agents
        .create(&fixtures::agent("agent", &[]))
        .await
        .unwrap();
    ports
        .chat_apps
        .create(&fixtures::chat_app("support", "agent"))
        .await
        .unwrap();
    ports
        .site
        .create(&SiteRecord::seed(fixtures::site(), fixtures::t0()))
        .await
        .unwrap();
    let settings = ServiceSettings::default();
    let config = Arc::new(ConfigCache::new(ports.clone(), settings.config_ttl));
    let chat = ChatService::new(ports.clone(), settings, config);
    requests.take();
    Platform {
        fakes,
        dynamo,
        ports,
        chat,
        requests,
    }
}

pub async fn run(p: &Platform, message: SendMessage) -> (pika_service::TurnStream, Vec<TurnEvent>) {
    let user = fixtures::customer("alice");
    let mut stream = p.chat.send(&user, message).await.expect("turn accepted");
    let mut events = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(e) = stream.events.next().await {
            events.push(e.event);
        }
    })
    .await
    .expect("the turn ends");
    (stream, events)
}

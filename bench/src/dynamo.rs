//! The DynamoDB rows' platform: moto (`BENCH_MOTO_ENDPOINT`, else one
//! started here), fresh tables, the DynamoDB stores over the fakes, one
//! agent and chat app (`bench`) and a site.

use crate::process::{moto, Moto};
use pika_aws_adapters::aws::SdkConfig;
use pika_aws_adapters::dynamodb::{create_tables, Dynamo, DynamoStores};
use pika_domain::site::{SiteConfig, SiteRecord};
use pika_ports::Ports;
use pika_testkit::{fixtures, FakePorts};
use std::error::Error;

type BoxError = Box<dyn Error>;

/// The SDK configuration of a moto endpoint (static test credentials,
/// `us-east-1`), and the moto server when this process started one.
///
/// # Errors
/// When no moto answers.
pub async fn moto_sdk_config() -> Result<(SdkConfig, Moto), BoxError> {
    let (endpoint, guard) = moto().await.map_err(|e| e as BoxError)?;
    for (k, v) in [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
    ] {
        std::env::set_var(k, v);
    }
    Ok((pika_aws_adapters::aws::load_sdk_config().await, guard))
}

/// Fresh tables on `client` (a prefix of this process and `name`), the
/// DynamoDB stores over `fakes`' other ports, seeded with the `bench` chat
/// app, its agent and `site`.
///
/// # Errors
/// When a table or a seed cannot be written.
pub async fn dynamo_ports(
    client: aws_sdk_dynamodb::Client,
    name: &str,
    fakes: &FakePorts,
    site: SiteConfig,
) -> Result<Ports, BoxError> {
    let prefix = format!("bench{}{name}", std::process::id());
    create_tables(&client, &prefix).await?;
    let dynamo = Dynamo::new(client, prefix);
    let ports = DynamoStores::new(&dynamo).into_ports(fakes.ports());
    ports.agents.create(&fixtures::agent("agent", &[])).await?;
    ports
        .chat_apps
        .create(&fixtures::chat_app("bench", "agent"))
        .await?;
    ports
        .site
        .create(&SiteRecord::seed(site, fixtures::t0()))
        .await?;
    Ok(ports)
}

//! # pika-aws-adapters
//!
//! The AWS adapters of Pika's ports, each behind its own cargo feature so a
//! binary compiles only the SDKs it uses. Every adapter is configured from
//! an [`aws::SdkConfig`] loaded from the environment, so pointing it at real
//! AWS or at a local emulator takes environment variables alone.
//!
//! | feature | module | port |
//! |---|---|---|
//! | `dynamodb` | `dynamodb` | session, message, chat app, agent, tool, user, feedback stores; usage ledger; job lock |
//! | `s3` | `s3` | file store (presigned URLs, insight documents) |
//! | `bedrock` | `bedrock` | agent runtime (inline agent and Converse), completion model |
//! | `opensearch` | `opensearch` | search index |
//! | `lambda-tools` | `lambda_tools` | tool invoker |
//! | `memory` | `memory` | user memory (AgentCore Memory) |
//! | `emf` / `metrics` | [`emf`] | metrics as CloudWatch embedded metric format JSON lines (no AWS SDK) |
//!
//! A store on DynamoDB, configured from the environment as a Lambda
//! function is (region, credentials, `AWS_ENDPOINT_URL` for an emulator):
//!
//! ```no_run
//! # #[cfg(feature = "dynamodb")]
//! # async fn run() -> Result<(), pika_ports::PortError> {
//! use pika_aws_adapters::aws::load_sdk_config;
//! use pika_aws_adapters::dynamodb::sessions::DynamoSessionStore;
//! use pika_aws_adapters::dynamodb::Dynamo;
//! use pika_domain::ids::SessionId;
//! use pika_ports::SessionStore;
//!
//! let config = load_sdk_config().await;
//! // The tables `pika-prod-sessions`, `pika-prod-messages`, …
//! let sessions = DynamoSessionStore::new(Dynamo::from_sdk_config(&config, "pika-prod"));
//! let id = SessionId::parse("0190b5a0-0000-7000-8000-000000000000")
//!     .map_err(|e| pika_ports::PortError::invalid(e.to_string()))?;
//! let found = sessions.get(&id).await?;
//! # let _ = found;
//! # Ok(())
//! # }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "bedrock")]
pub mod bedrock;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "emf")]
pub mod emf;
#[cfg(feature = "lambda-tools")]
pub mod lambda_tools;
#[cfg(feature = "memory")]
pub mod memory;
#[cfg(feature = "opensearch")]
pub mod opensearch;
#[cfg(feature = "s3")]
pub mod s3;

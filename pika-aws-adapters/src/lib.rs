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

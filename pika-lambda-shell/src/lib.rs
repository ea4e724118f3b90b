//! # pika-lambda-shell
//!
//! The thin outer layer of Pika: the HTTP API as an axum `Router` built from
//! the services ([`http::router`]), served alike by the local server and the
//! Lambda functions; the streaming encoders ([`streaming`]: SSE and Pika
//! text); authentication ([`auth`]).
//!
//! | feature | what |
//! |---|---|
//! | `http` (default) | the router, streaming, authentication |
//! | `local` (default) | the `pika-local` server on the embedded adapters |
//! | `lambda` | the Lambda binaries `pika-api`, `pika-stream`, `pika-jobs` on the AWS adapters |
//! | `tool` | `tool::run`, the helper for tool functions (alone: no axum, no AWS SDK, no SQLite) |

#[cfg(feature = "http")]
pub mod auth;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "lambda")]
pub mod lambda;
#[cfg(feature = "local")]
pub mod local;
#[cfg(feature = "http")]
pub mod streaming;
#[cfg(feature = "tool")]
pub mod tool;

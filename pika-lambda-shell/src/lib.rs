//! # pika-lambda-shell
//!
//! The thin outer layer of Pika: the HTTP API as an axum `Router` built from
//! the services ([`http::router`]), served by the local server and, later, by
//! the Lambda entry points alike; the streaming encoders ([`streaming`]: SSE
//! and Pika text); authentication ([`auth`]); and, behind the `local`
//! feature, the `pika-local` server ([`local`]).

pub mod auth;
pub mod http;
#[cfg(feature = "local")]
pub mod local;
pub mod streaming;

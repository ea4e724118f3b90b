//! # pika-lambda-tool
//!
//! The helper for tool functions: a Lambda function that
//! serves a Bedrock agent action group — and Pika's own Lambda tool invoker,
//! which sends the same event — from one typed handler.
//!
//! ```no_run
//! use pika_lambda_tool::{self as tool, ToolCall, ToolError};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Args { order_id: String }
//!
//! async fn handler(call: ToolCall) -> Result<serde_json::Value, ToolError> {
//!     let args: Args = call.args()?;
//!     Ok(serde_json::json!({ "orderId": args.order_id, "status": "shipped" }))
//! }
//!
//! # async fn main_() -> Result<(), tool::Error> {
//! tool::run(handler).await
//! # }
//! ```
//!
//! This crate compiles neither axum, nor an AWS SDK, nor SQLite: only
//! `lambda_runtime`, serde and Pika's ports (for the action-group event
//! types, which Pika's own Lambda tool invoker sends too).

mod call;
mod respond;

pub use call::{ToolCall, ToolError};
pub use lambda_runtime::Error;
pub use pika_ports::action_group::{ActionGroupEvent, ActionGroupResponse};
pub use respond::handle;

use lambda_runtime::{service_fn, LambdaEvent};
use serde::Serialize;
use std::future::Future;

/// Runs `handler` as the Lambda function's handler until the runtime stops
/// it, with JSON logs. The handler's `Err` becomes a `FAILURE` (or
/// `REPROMPT`) response Bedrock understands, never a Lambda error, so the
/// agent can tell the user what went wrong.
///
/// # Errors
/// When the Lambda runtime cannot start (not running in Lambda).
pub async fn run<F, Fut, O>(handler: F) -> Result<(), Error>
where
    F: Fn(ToolCall) -> Fut + Send + Sync,
    Fut: Future<Output = Result<O, ToolError>> + Send,
    O: Serialize,
{
    // A second initialisation (tests) is harmless: the first one stays.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_target(false)
        .without_time()
        .try_init();
    let handler = &handler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ActionGroupEvent>| async move {
            Ok::<_, Error>(handle(handler, event.payload).await)
        },
    ))
    .await
}

//! `pika-stream`: streamed turns behind a Lambda Function URL in
//! `RESPONSE_STREAM` mode (SSE or Pika text, with heartbeats), each turn
//! ending, stored, before the invocation's deadline.

use pika_lambda_shell::{self as lambda, env::FunctionKind};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let container = lambda::cold_start(FunctionKind::Stream).await?;
    let margin = container.env.deadline_margin;
    let state = lambda::app_state(&container).await?;
    lambda_http::run_with_streaming_response(lambda::stream_app(state, margin)).await
}

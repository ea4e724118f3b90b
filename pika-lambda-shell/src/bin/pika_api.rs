//! `pika-api`: the REST API behind API Gateway (every route but the
//! streamed turns, which `pika-stream` serves).

use pika_lambda_shell::{self as lambda, env::FunctionKind};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let container = lambda::cold_start(FunctionKind::Api).await?;
    let state = lambda::app_state(&container).await?;
    lambda_http::run(lambda::api_app(state)).await
}

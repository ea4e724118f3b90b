//! `pika-jobs`: the scheduled jobs (insights, cleanup, usage report), one
//! EventBridge rule each.

use lambda_runtime::{service_fn, LambdaEvent};
use pika_lambda_shell::{self as lambda, env::FunctionKind, jobs};
use pika_service::JobRunner;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let container = lambda::cold_start(FunctionKind::Jobs).await?;
    let runner = JobRunner::new(container.ports).with_prices(container.settings.prices.clone());
    let runner = &runner;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        jobs::handle(runner, event).await
    }))
    .await
}

//! Structured logs: one JSON object per line on stdout, which CloudWatch
//! Logs stores as it is and Logs Insights can query by field. EMF metric
//! lines go to the same stream (they are JSON too).

/// Starts JSON logging filtered by `RUST_LOG` (default `info`). Calling it
/// twice keeps the first subscriber.
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Lambda adds its own timestamps; the request id comes from the span
    // lambda_runtime opens for each invocation.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_target(false)
        .without_time()
        .try_init();
}

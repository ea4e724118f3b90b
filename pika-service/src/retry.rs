//! Retrying transient port failures: the one place the service decides
//! retries (a few attempts, short backoff).

use pika_ports::PortError;
use std::future::Future;
use std::time::Duration;

const ATTEMPTS: u32 = 3;

/// Runs `op` until it succeeds, fails with a non-transient error, or has
/// been tried three times (waiting 50 ms, then 100 ms, between tries).
pub(crate) async fn retry_transient<T, F, Fut>(mut op: F) -> Result<T, PortError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, PortError>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Err(e) if e.kind.is_retryable() && attempt < ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

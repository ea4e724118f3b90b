//! Transactions DynamoDB cancels because concurrent turns touched the same
//! items (the day's usage counters above all): recognising them and pausing
//! before sending again. Shared by the usage ledger and the turn journal.

use aws_sdk_dynamodb::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::time::Duration;

/// Whether DynamoDB cancelled a transaction because others touched the same
/// items (or it was throttled): nothing was written, so sending it again is
/// safe and counts once.
pub(super) fn cancelled_by_contention<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    err.as_service_error().is_some_and(|e| {
        e.code() == Some("TransactionCanceledException")
            && e.message()
                .is_some_and(|m| m.contains("TransactionConflict") || m.contains("ThrottlingError"))
    })
}

/// How many times a transaction cancelled by contention is sent in all.
pub(super) const ATTEMPTS: u32 = 8;

/// A pause of 20–40 ms doubling per attempt, spread so colliding turns do
/// not collide again in lockstep.
pub(super) fn backoff(attempt: u32) -> Duration {
    let base = 20u64 << attempt.min(6);
    let spread = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0),
    ) % base;
    Duration::from_millis(base + spread)
}

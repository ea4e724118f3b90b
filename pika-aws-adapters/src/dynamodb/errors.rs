//! DynamoDB errors as port errors: failed conditions are `Conflict`, the
//! rest as every AWS adapter classifies them (`crate::aws::classify`).

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use pika_ports::{PortError, PortResult};
use std::error::Error;

/// Whether `err` is a failed condition (of a single write, or of one item of
/// a transaction).
pub fn is_condition_failure<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    let Some(service) = err.as_service_error() else {
        return false;
    };
    match service.code() {
        Some("ConditionalCheckFailedException") => true,
        Some("TransactionCanceledException") => service
            .message()
            .is_some_and(|m| m.contains("ConditionalCheckFailed")),
        _ => false,
    }
}

/// Classifies a DynamoDB error for `what`.
pub fn ddb_error<E>(what: &str, err: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    if is_condition_failure(&err) {
        return PortError::conflict(format!("{what}: condition failed"));
    }
    let cancelled_by_conflict = err.as_service_error().is_some_and(|s| {
        s.code() == Some("TransactionCanceledException")
            && s.message()
                .is_some_and(|m| m.contains("TransactionConflict") || m.contains("ThrottlingError"))
    });
    if cancelled_by_conflict {
        return PortError::transient(format!("{what}: transaction cancelled, retry"));
    }
    // A missing table is misconfiguration, not a missing item: callers
    // must never read it as "no such session".
    let missing_table = err
        .as_service_error()
        .is_some_and(|s| s.code() == Some("ResourceNotFoundException"));
    if missing_table {
        return PortError::permanent(crate::aws::classify(what, err).message);
    }
    crate::aws::classify(what, err)
}

/// Turns a failed condition into `on_condition`, other errors as [`ddb_error`].
pub fn or_condition<T, E>(
    what: &str,
    result: Result<T, SdkError<E, HttpResponse>>,
    on_condition: impl FnOnce() -> PortError,
) -> PortResult<T>
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    result.map_err(|e| {
        if is_condition_failure(&e) {
            on_condition()
        } else {
            ddb_error(what, e)
        }
    })
}

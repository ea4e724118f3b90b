//! What every AWS adapter shares: loading the SDK configuration from the
//! environment, and classifying SDK errors into the port's error kinds.
//!
//! Pointing an adapter at real AWS or at a local emulator takes environment
//! variables alone: the SDK reads `AWS_REGION`, the credential chain
//! (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profiles, the Lambda role),
//! `AWS_ENDPOINT_URL` and the per-service `AWS_ENDPOINT_URL_DYNAMODB`,
//! `AWS_ENDPOINT_URL_S3`, … overrides.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use pika_ports::{ErrorKind, PortError};
use std::error::Error;

pub use aws_config::SdkConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use std::time::Duration;

/// How long any client may take to connect: an endpoint that does not
/// accept a connection in this time is treated as down (and retried).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// One attempt of a store request (DynamoDB, S3): far above their normal
/// latency (single-digit milliseconds), well below a turn's patience.
pub const STORE_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// A store request with all its retries.
pub const STORE_OPERATION_TIMEOUT: Duration = Duration::from_secs(15);

/// Loads the SDK configuration the standard way (environment, profile,
/// container or instance role), with the latest behaviour version and a
/// connect timeout for every client. Model and tool clients get no
/// operation timeout here: a model's answer streams for minutes and a
/// tool's call is bounded by the turn itself (its `executionTimeoutMs`).
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .build(),
        )
        .load()
        .await
}

/// The timeouts of the store clients (DynamoDB, S3): a connect timeout, an
/// attempt timeout and one for the whole operation with its retries, so a
/// stalled request fails (as `Transient`) instead of holding a turn.
pub fn store_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(STORE_ATTEMPT_TIMEOUT)
        .operation_timeout(STORE_OPERATION_TIMEOUT)
        .build()
}

/// Error codes AWS services use for "slow down" or "try again".
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TransactionConflictException",
    "TransactionInProgressException",
    "InternalServerError",
    "InternalServerException",
    "InternalFailure",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServiceQuotaExceededException",
    "ModelNotReadyException",
    "ModelTimeoutException",
    "SlowDown",
    "RequestTimeout",
    "RequestTimeoutException",
    "DependencyFailedException",
    "BadGatewayException",
    "EC2ThrottledException",
];

/// Error codes that mean the input was refused.
const INVALID_CODES: &[&str] = &[
    "ValidationException",
    "InvalidRequestContentException",
    "InvalidParameterValueException",
    "InvalidArgument",
    "EntityTooLarge",
    "RequestTooLargeException",
];

/// Error codes that mean "no such thing".
const NOT_FOUND_CODES: &[&str] = &["ResourceNotFoundException", "NoSuchKey", "NotFound"];

/// The port error kind of an AWS error code (`None` when unknown).
pub fn kind_of_code(code: &str) -> Option<ErrorKind> {
    if TRANSIENT_CODES.contains(&code) {
        Some(ErrorKind::Transient)
    } else if INVALID_CODES.contains(&code) {
        Some(ErrorKind::Invalid)
    } else if NOT_FOUND_CODES.contains(&code) {
        Some(ErrorKind::NotFound)
    } else {
        None
    }
}

/// Classifies an SDK error: connection failures, timeouts and throttling are
/// `Transient`; a refused input is `Invalid`; a missing resource is
/// `NotFound`; everything else (access denied, misconfiguration) is
/// `Permanent`. `what` names the call for logs.
pub fn classify<E>(what: &str, err: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    let kind = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ErrorKind::Transient
        }
        SdkError::ServiceError(service) => {
            let e = service.err();
            let status = service.raw().status().as_u16();
            e.code().and_then(kind_of_code).unwrap_or(if status >= 500 {
                ErrorKind::Transient
            } else {
                ErrorKind::Permanent
            })
        }
        _ => ErrorKind::Permanent,
    };
    let detail = match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            format!(
                "{}: {}",
                e.code().unwrap_or("unknown"),
                e.message().unwrap_or("no message")
            )
        }
        other => format!(
            "{}",
            aws_smithy_types::error::display::DisplayErrorContext(other)
        ),
    };
    PortError::new(kind, format!("{what}: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(
            kind_of_code("ThrottlingException"),
            Some(ErrorKind::Transient)
        );
        assert_eq!(
            kind_of_code("ProvisionedThroughputExceededException"),
            Some(ErrorKind::Transient)
        );
        assert_eq!(
            kind_of_code("ValidationException"),
            Some(ErrorKind::Invalid)
        );
        assert_eq!(
            kind_of_code("ResourceNotFoundException"),
            Some(ErrorKind::NotFound)
        );
        assert_eq!(kind_of_code("AccessDeniedException"), None);
    }
}

//! Errors of the Lambda handlers as `lambda_runtime::Diagnostic`s whose
//! type says whether invoking again can help: EventBridge and operators
//! retry `Pika.Retryable`, never `Pika.Permanent`.

use lambda_runtime::Diagnostic;
use pika_service::ServiceError;
use std::fmt;

/// The error type of a failure a retry may fix (throttling, timeouts).
pub const RETRYABLE: &str = "Pika.Retryable";
/// The error type of a failure that will repeat (bad input, misconfiguration).
pub const PERMANENT: &str = "Pika.Permanent";

/// A handler's failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    /// Whether invoking again can help.
    pub retryable: bool,
    /// What happened (no secrets, no user data).
    pub message: String,
}

impl HandlerError {
    /// A failure that will repeat.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            retryable: false,
            message: message.into(),
        }
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HandlerError {}

impl From<ServiceError> for HandlerError {
    fn from(e: ServiceError) -> Self {
        Self {
            retryable: e.is_retryable(),
            message: format!("{}: {e}", e.code()),
        }
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(e: HandlerError) -> Self {
        Diagnostic {
            error_type: if e.retryable { RETRYABLE } else { PERMANENT }.to_string(),
            error_message: e.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_service_errors_get_the_retryable_type() {
        let busy: Diagnostic =
            HandlerError::from(ServiceError::ModelUnavailable("throttled".into())).into();
        let bad: Diagnostic = HandlerError::from(ServiceError::Invalid("no".into())).into();
        assert_eq!(busy.error_type, RETRYABLE);
        assert_eq!(bad.error_type, PERMANENT);
        assert!(bad.error_message.contains("invalid"));
    }
}

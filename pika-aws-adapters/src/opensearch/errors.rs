//! Classifying OpenSearch failures into the port's error kinds.

use pika_ports::{ErrorKind, PortError};
use serde_json::Value;
use std::error::Error as _;

/// The port error kind of an HTTP status from OpenSearch.
///
/// - 429 (too many requests: a full write or search queue), 409 (a version
///   conflict during a by-query update: the next try sees the new
///   version) and 5xx (502/503/504 while a node restarts or the domain
///   scales) may succeed later: `Transient`.
/// - 400 (a query or document the index refuses) and 413 (too large):
///   `Invalid`.
/// - 404: `NotFound` (callers treat a missing index as "nothing there").
/// - Anything else, 401/403 above all (the role lacks `es:ESHttp*`, or the
///   domain's access policy refuses it): `Permanent`.
pub fn kind_of_status(status: u16) -> ErrorKind {
    match status {
        409 | 429 | 500..=599 => ErrorKind::Transient,
        400 | 413 => ErrorKind::Invalid,
        404 => ErrorKind::NotFound,
        _ => ErrorKind::Permanent,
    }
}

/// A request that did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// OpenSearch answered with an error status.
    Refused {
        /// The HTTP status.
        status: u16,
        /// OpenSearch's `error.type`, e.g. `index_not_found_exception`.
        error_type: String,
        /// OpenSearch's `error.reason`, or the body when it is not JSON.
        reason: String,
    },
    /// No usable answer: the request was not sent, or its answer was lost.
    Port(PortError),
}

impl Failure {
    /// The failure of a request answered with `status` and `body`.
    pub fn refused(status: u16, body: &str) -> Self {
        let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let error = &parsed["error"];
        let text = |v: &Value| v.as_str().map(str::to_string);
        // Errors are `{"error": {"type", "reason"}}`; a proxy in front of
        // the domain (403 from IAM, 429 from the gateway) may send
        // `{"message": ...}` or plain text instead.
        let error_type = text(&error["type"]).unwrap_or_default();
        let reason = text(&error["reason"])
            .or_else(|| text(error))
            .or_else(|| text(&parsed["message"]))
            .or_else(|| text(&parsed["Message"]))
            .unwrap_or_else(|| body.chars().take(300).collect());
        Self::Refused {
            status,
            error_type,
            reason,
        }
    }

    /// Whether the index does not exist (yet).
    pub fn index_missing(&self) -> bool {
        matches!(self, Self::Refused { status: 404, error_type, .. }
            if error_type == "index_not_found_exception")
    }

    /// Whether the index exists already (creating it again is fine).
    pub fn index_exists(&self) -> bool {
        matches!(self, Self::Refused { error_type, .. }
            if error_type == "resource_already_exists_exception")
    }

    /// The port error of this failure; `what` names the call for logs.
    pub fn into_port(self, what: &str) -> PortError {
        match self {
            Self::Refused {
                status,
                error_type,
                reason,
            } => PortError::new(
                kind_of_status(status),
                format!("opensearch {what}: {status} {error_type}: {reason}"),
            ),
            Self::Port(mut e) => {
                e.message = format!("opensearch {what}: {}", e.message);
                e
            }
        }
    }
}

/// The port error of a request that got no answer.
///
/// Connection failures and timeouts come from the HTTP client (the error
/// has a source) and are `Transient`. The only other failure at this point
/// is the crate's own, with no source: SigV4 signing failed because no
/// credentials could be loaded, which a retry will not fix — `Permanent`.
pub fn unanswered(err: opensearch::Error) -> PortError {
    let kind = if err.is_timeout() || err.source().is_some() {
        ErrorKind::Transient
    } else {
        ErrorKind::Permanent
    };
    PortError::new(kind, err.to_string()).with_source(err)
}

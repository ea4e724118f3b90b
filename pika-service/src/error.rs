//! The services' error: each variant is something a caller can act on, with
//! a stable code the HTTP layer maps to a status.

use pika_domain::quota::{QuotaExceeded, QuotaScope};
use pika_ports::{ErrorKind, PortError};
use std::fmt;

/// What went wrong in a use case.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceError {
    /// The thing does not exist, or the caller may not read it (so its
    /// existence does not leak).
    NotFound(String),
    /// The caller may see it but not do this (e.g. a content admin posting).
    Forbidden(String),
    /// The request is malformed or breaks a rule.
    Invalid(String),
    /// It changed meanwhile, exists already, or a turn is running.
    Conflict(String),
    /// A token quota is used up.
    QuotaExceeded(QuotaExceeded),
    /// Too many requests at once or in a short time; try again later.
    RateLimited {
        /// For the caller.
        message: String,
        /// When a retry may succeed.
        retry_after: Option<std::time::Duration>,
    },
    /// The model cannot be reached or is not configured.
    ModelUnavailable(String),
    /// Something failed inside; `retryable` when a retry may help.
    Internal {
        /// For logs.
        message: String,
        /// Whether a retry may help.
        retryable: bool,
    },
}

impl ServiceError {
    /// The stable code of PIKA.md §11.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::Forbidden(_) => "forbidden",
            Self::Invalid(_) => "invalid_request",
            Self::Conflict(_) => "conflict",
            Self::QuotaExceeded(_) => "quota_exceeded",
            Self::RateLimited { .. } => "rate_limited",
            Self::ModelUnavailable(_) => "model_unavailable",
            Self::Internal { .. } => "internal",
        }
    }

    /// A sentence fit for the caller: never internal details.
    pub fn public_message(&self) -> String {
        match self {
            Self::NotFound(m) | Self::Forbidden(m) | Self::Invalid(m) | Self::Conflict(m) => {
                m.clone()
            }
            Self::QuotaExceeded(q) => describe_quota(q),
            Self::RateLimited { message, .. } => message.clone(),
            Self::ModelUnavailable(_) => "the model is unavailable; try again later".to_string(),
            Self::Internal { .. } => "something went wrong on our side".to_string(),
        }
    }

    /// Whether a retry of the same request may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Internal {
                retryable: true,
                ..
            } | Self::ModelUnavailable(_)
        )
    }

    pub(crate) fn not_found(what: impl fmt::Display) -> Self {
        Self::NotFound(format!("{what} not found"))
    }
}

fn describe_quota(q: &QuotaExceeded) -> String {
    let scope = match q.scope {
        QuotaScope::User => "user",
        QuotaScope::Entity => "entity",
    };
    let reset = q
        .resets_at
        .map(|t| format!("; it resets at {}", t.to_rfc3339()))
        .unwrap_or_default();
    format!(
        "the {scope} token quota of {} tokens per {} hours is used up ({} used){reset}",
        q.limit, q.window_hours, q.used
    )
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Internal { message, .. } => write!(f, "internal: {message}"),
            Self::ModelUnavailable(m) => write!(f, "model_unavailable: {m}"),
            other => write!(f, "{}: {}", other.code(), other.public_message()),
        }
    }
}

impl std::error::Error for ServiceError {}

/// A store's refusal as the caller gets it: a stable sentence per kind.
/// The adapter's own text (table names, keys, a backend's error message)
/// goes to the logs only.
impl From<PortError> for ServiceError {
    fn from(e: PortError) -> Self {
        if matches!(
            e.kind,
            ErrorKind::NotFound | ErrorKind::Conflict | ErrorKind::Invalid
        ) {
            tracing::info!(kind = %e.kind, error = %e.message, "a store refused the request");
        }
        match e.kind {
            ErrorKind::NotFound => Self::NotFound("not found".to_string()),
            ErrorKind::Conflict => Self::Conflict(
                "it changed meanwhile or exists already; read it again and retry".to_string(),
            ),
            ErrorKind::Invalid => Self::Invalid(
                "the request was refused: a value the store does not accept (a cursor from another listing, or a value too large)"
                    .to_string(),
            ),
            ErrorKind::Transient => Self::Internal {
                message: e.message,
                retryable: true,
            },
            ErrorKind::Permanent => Self::Internal {
                message: e.message,
                retryable: false,
            },
        }
    }
}

/// Model failures: unreachable or throttled models are `model_unavailable`.
pub(crate) fn from_model_error(e: PortError) -> ServiceError {
    match e.kind {
        ErrorKind::Transient | ErrorKind::Permanent => ServiceError::ModelUnavailable(e.message),
        _ => ServiceError::from(e),
    }
}

//! The one error type of all driven ports.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// What kind of failure a port reports; the service decides from this alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The thing asked for does not exist.
    NotFound,
    /// A condition failed: it exists already, or changed since it was read.
    Conflict,
    /// Throttled, timed out or briefly unavailable; the same call may succeed later.
    Transient,
    /// Will fail again the same way (misconfiguration, access denied, a bug).
    Permanent,
    /// The input was refused by the backend (bad cursor, too large, bad value).
    Invalid,
}

impl ErrorKind {
    /// Whether a retry can help.
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::Transient)
    }

    /// A short name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::Transient => "transient",
            Self::Permanent => "permanent",
            Self::Invalid => "invalid",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A port failure: its kind, a message for logs, and the underlying error.
#[derive(Debug, Clone)]
pub struct PortError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// What happened, for logs (may name internal things; never shown to users).
    pub message: String,
    /// The adapter's own error, when there is one.
    pub source: Option<Arc<dyn Error + Send + Sync>>,
}

/// Shorthand for port results.
pub type PortResult<T> = Result<T, PortError>;

impl PortError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the adapter's own error.
    pub fn with_source(mut self, source: impl Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// [`ErrorKind::NotFound`].
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// [`ErrorKind::Conflict`].
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// [`ErrorKind::Transient`].
    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transient, message)
    }

    /// [`ErrorKind::Permanent`].
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Permanent, message)
    }

    /// [`ErrorKind::Invalid`].
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }

    /// Whether this is of `kind`.
    pub fn is(&self, kind: ErrorKind) -> bool {
        self.kind == kind
    }
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl Error for PortError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

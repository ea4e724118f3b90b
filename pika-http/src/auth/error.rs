//! What can go wrong when authenticating a request or setting up the
//! authenticator.

use std::fmt;
use std::path::PathBuf;

/// Why a request could not be authenticated, or a development token not
/// issued.
///
/// The `String` in [`AuthError::Malformed`] and [`AuthError::Invalid`] is a
/// reason for the logs (which rule the token broke). It names claims and
/// algorithms but never repeats the token or its values. What the client may
/// see is [`AuthError::public_message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No credentials: no bearer token (Jwt mode) or no authorizer claims on
    /// the request (authorizer-context mode).
    Missing,
    /// The credentials are not shaped like a bearer JWT: wrong scheme, not
    /// three base64url parts, a header that is not JSON.
    Malformed(String),
    /// A well-formed token that is not acceptable: algorithm, key, signature,
    /// issuer, audience, or a claim that does not describe a valid user.
    Invalid(String),
    /// The token's `exp` is past (beyond the configured leeway).
    Expired,
    /// The token's `nbf` is in the future (beyond the configured leeway).
    NotYetValid,
    /// The operation needs configuration that is absent, e.g. a development
    /// token without an HS256 secret.
    NotConfigured(String),
    /// Signing a development token failed.
    Internal(String),
}

impl AuthError {
    /// A message that is safe to send to the client: it says what kind of
    /// problem the credentials have and never echoes the token, its claims or
    /// the reason meant for the logs.
    pub fn public_message(&self) -> String {
        let message = match self {
            Self::Missing => "authentication required: send a bearer token",
            Self::Malformed(_) => "the bearer token is malformed",
            Self::Invalid(_) => "the bearer token is not valid",
            Self::Expired => "the bearer token has expired",
            Self::NotYetValid => "the bearer token is not valid yet",
            Self::NotConfigured(_) => "this authentication feature is not configured",
            Self::Internal(_) => "internal error",
        };
        message.to_string()
    }

    /// Whether the caller is simply not authenticated (HTTP 401), as opposed
    /// to a server-side problem ([`AuthError::NotConfigured`],
    /// [`AuthError::Internal`]).
    pub fn is_unauthenticated(&self) -> bool {
        matches!(
            self,
            Self::Missing
                | Self::Malformed(_)
                | Self::Invalid(_)
                | Self::Expired
                | Self::NotYetValid
        )
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("no credentials"),
            Self::Malformed(reason) => write!(f, "malformed token: {reason}"),
            Self::Invalid(reason) => write!(f, "invalid token: {reason}"),
            Self::Expired => f.write_str("token expired"),
            Self::NotYetValid => f.write_str("token not valid yet"),
            Self::NotConfigured(reason) => write!(f, "not configured: {reason}"),
            Self::Internal(reason) => write!(f, "internal error: {reason}"),
        }
    }
}

impl std::error::Error for AuthError {}

/// Why an [`Authenticator`](super::Authenticator) could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSetupError {
    /// Jwt mode needs an HS256 secret, a JWKS, or both.
    NoKeys,
    /// The HS256 secret is shorter than 32 bytes (RFC 7518 §3.2 asks for at
    /// least the hash size).
    WeakSecret {
        /// The secret's length in bytes.
        len: usize,
    },
    /// The JWKS file could not be read.
    JwksRead {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The JWKS could not be fetched.
    JwksFetch {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The JWKS is not a key set, holds no usable RS256/ES256 signing key, or
    /// holds two keys with the same `kid` and type.
    JwksInvalid(String),
    /// Another setting is out of range.
    Config(String),
}

impl fmt::Display for AuthSetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoKeys => f.write_str(
                "JWT authentication needs an HS256 secret or a JWKS (or both); none is configured",
            ),
            Self::WeakSecret { len } => write!(
                f,
                "the HS256 secret has {len} bytes; at least 32 are required"
            ),
            Self::JwksRead { path, reason } => {
                write!(f, "cannot read the JWKS file {}: {reason}", path.display())
            }
            Self::JwksFetch { url, reason } => {
                write!(f, "cannot fetch the JWKS from {url}: {reason}")
            }
            Self::JwksInvalid(reason) => write!(f, "invalid JWKS: {reason}"),
            Self::Config(reason) => write!(f, "invalid authentication configuration: {reason}"),
        }
    }
}

impl std::error::Error for AuthSetupError {}

//! [`CallerAuth`]: who the caller is, as the server that mounts Pika's
//! routes decides it. Pika's own [`Authenticator`] is one; a host service
//! with its own sessions or tokens implements it to mount the API behind
//! its authentication.

use super::Authenticator;
use async_trait::async_trait;
use http::request::Parts;
use pika_domain::user::User;

/// Why a request has no caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerRefused {
    /// No or bad credentials: `401 unauthenticated` with this message
    /// (shown to the client: say what to send, never why a secret failed).
    Unauthenticated(String),
    /// The check could not run (an identity service down): `500`.
    Unavailable(String),
}

/// Turns a request into the [`User`] making it. Every protected route asks
/// it before anything else runs; the user's roles, type and custom data
/// decide what the request may do (PIKA.md §2–3), so an implementation
/// must take them only from what the host has verified.
#[async_trait]
pub trait CallerAuth: Send + Sync + 'static {
    /// The caller of the request with these `parts`.
    ///
    /// # Errors
    /// [`CallerRefused`].
    async fn caller(&self, parts: &Parts) -> Result<User, CallerRefused>;
}

#[async_trait]
impl CallerAuth for Authenticator {
    async fn caller(&self, parts: &Parts) -> Result<User, CallerRefused> {
        self.authenticate(parts).await.map_err(|e| {
            if e.is_unauthenticated() {
                tracing::info!(reason = %e, "authentication failed");
                CallerRefused::Unauthenticated(e.public_message())
            } else {
                tracing::error!(reason = %e, "authentication could not run");
                CallerRefused::Unavailable(e.to_string())
            }
        })
    }
}

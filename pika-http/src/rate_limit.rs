//! Per-user rate limiting for the local server (on Lambda, API Gateway
//! throttles). Keyed by the authenticated user id, so it runs after
//! authentication and one user cannot spend another's allowance.

use super::problem::ApiError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota};
use pika_domain::user::User;
use std::num::NonZeroU32;
use std::sync::Arc;

/// Requests allowed per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per minute.
    pub per_minute: u32,
    /// Requests allowed at once above the sustained rate.
    pub burst: u32,
}

/// The limiter shared by all requests.
pub struct Limiter(DefaultKeyedRateLimiter<String>);

impl RateLimit {
    /// Builds the limiter.
    pub fn build(self) -> Limiter {
        let per_minute = NonZeroU32::new(self.per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(self.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Limiter(DefaultKeyedRateLimiter::keyed(
            Quota::per_minute(per_minute).allow_burst(burst),
        ))
    }
}

pub(super) async fn enforce(
    State(limiter): State<Option<Arc<Limiter>>>,
    req: Request,
    next: Next,
) -> Response {
    if let (Some(limiter), Some(user)) = (limiter, req.extensions().get::<User>()) {
        if limiter.0.check_key(&user.user_id.to_string()).is_err() {
            return ApiError::rate_limited().into_response();
        }
    }
    next.run(req).await
}

//! Per-user request rate limiting in one process (the local server; on
//! Lambda, API Gateway throttles requests and the chat service limits
//! turns across containers). Keyed by the authenticated user id, so it
//! runs after authentication and one user cannot spend another's
//! allowance.
//!
//! Memory stays bounded: a user's state is forgotten once their bucket is
//! full again (they are indistinguishable from a new user then), checked
//! every [`SWEEP_EVERY`] requests, so the limiter holds only the users
//! active within the last refill period, however many users it has seen.

use super::problem::ApiError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use pika_domain::user::User;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How many requests pass between two sweeps of idle users.
pub const SWEEP_EVERY: u64 = 1024;

/// Requests allowed per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per minute.
    pub per_minute: u32,
    /// Requests allowed at once above the sustained rate.
    pub burst: u32,
}

/// The limiter shared by all requests.
pub struct Limiter<C: Clock = DefaultClock> {
    users: RateLimiter<String, DefaultKeyedStateStore<String>, C, NoOpMiddleware<C::Instant>>,
    checks: AtomicU64,
}

impl RateLimit {
    /// Builds the limiter.
    pub fn build(self) -> Limiter {
        self.build_with_clock(DefaultClock::default())
    }

    /// Builds the limiter on `clock` (tests move a fake one).
    pub fn build_with_clock<C: Clock>(self, clock: C) -> Limiter<C> {
        let per_minute = NonZeroU32::new(self.per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(self.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Limiter {
            users: RateLimiter::new(quota, DefaultKeyedStateStore::default(), clock),
            checks: AtomicU64::new(0),
        }
    }
}

impl<C: Clock> Limiter<C> {
    /// Counts one request of `user`; `false` when they are over their rate.
    pub fn allow(&self, user: &str) -> bool {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.forget_idle();
        }
        self.users.check_key(&user.to_string()).is_ok()
    }

    /// Forgets every user whose bucket is full again.
    pub fn forget_idle(&self) {
        self.users.retain_recent();
        self.users.shrink_to_fit();
    }

    /// How many users the limiter holds state for.
    pub fn users_held(&self) -> usize {
        self.users.len()
    }
}

pub(super) async fn enforce(
    State(limiter): State<Option<Arc<Limiter>>>,
    req: Request,
    next: Next,
) -> Response {
    if let (Some(limiter), Some(user)) = (limiter, req.extensions().get::<User>()) {
        if !limiter.allow(&user.user_id.to_string()) {
            return ApiError::rate_limited().into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use std::time::Duration;

    #[test]
    fn idle_users_are_forgotten_so_memory_stays_bounded() {
        let clock = FakeRelativeClock::default();
        let limit = RateLimit {
            per_minute: 60,
            burst: 5,
        };
        let limiter = limit.build_with_clock(clock.clone());
        // Many users, one request each, as a flood of distinct tokens would.
        for i in 0..(SWEEP_EVERY - 1) {
            assert!(limiter.allow(&format!("user-{i}")));
        }
        assert_eq!(
            limiter.users_held(),
            usize::try_from(SWEEP_EVERY - 1).unwrap()
        );
        // A busy user still inside their refill period is kept and limited.
        for _ in 0..5 {
            assert!(limiter.allow("busy"));
        }
        assert!(!limiter.allow("busy"));
        clock.advance(Duration::from_secs(2));
        // The sweep (every SWEEP_EVERY requests) forgets the idle ones.
        for _ in 0..SWEEP_EVERY {
            limiter.allow("busy");
        }
        assert!(
            limiter.users_held() <= 2,
            "{} users still held",
            limiter.users_held()
        );
        // Forgetting does not reset a user who is still over their rate.
        assert!(!limiter.allow("busy"));
    }
}

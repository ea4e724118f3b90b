//! The stream function's deadline: a turn must end, stored with an error,
//! before Lambda stops the function. The request's Lambda context says when
//! the invocation's time is up; the turn gets that time less a margin as its
//! [`TurnTimeLimit`].

use lambda_http::RequestExt;
use pika_http::TurnTimeLimit;
use std::time::{Duration, SystemTime};

/// Puts the time left before `margin` ahead of the invocation's deadline on
/// `request` (at least one second, so a turn always starts).
pub fn attach_time_limit(
    mut request: lambda_http::Request,
    margin: Duration,
) -> lambda_http::Request {
    if let Some(context) = request.lambda_context_ref() {
        let left = context
            .deadline()
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        let limit = left.saturating_sub(margin).max(Duration::from_secs(1));
        request.extensions_mut().insert(TurnTimeLimit(limit));
    }
    request
}

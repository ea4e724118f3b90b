//! The time window of a presigned URL, and the URL handed to the client.

use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use pika_domain::chrono::{DateTime, Duration, Utc};
use pika_ports::{PortError, PortResult, PresignedUrl};

/// The longest validity SigV4 allows a presigned URL (7 days).
const MAX_VALIDITY_SECS: i64 = 7 * 24 * 3600;

/// When a presigned URL starts and stops working.
pub(super) struct Window {
    /// The signing configuration (start time and `X-Amz-Expires`).
    pub(super) config: PresigningConfig,
    /// The moment the URL stops working, exactly as signed.
    pub(super) expires_at: DateTime<Utc>,
}

/// The window from `now` to `expires_at`. The signature carries its start
/// time to the second, so the start is truncated to the second first: the
/// expiry reported to the client is then exactly the one S3 enforces.
///
/// # Errors
/// `Invalid` when `expires_at` is less than a second away or further than
/// 7 days.
pub(super) fn window(now: DateTime<Utc>, expires_at: DateTime<Utc>) -> PortResult<Window> {
    let start = DateTime::<Utc>::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let secs = (expires_at - start).num_seconds();
    if secs < 1 {
        return Err(PortError::invalid(format!(
            "a presigned URL must stay valid for at least a second (asked until {expires_at})"
        )));
    }
    if secs > MAX_VALIDITY_SECS {
        return Err(PortError::invalid(format!(
            "a presigned URL may stay valid for at most 7 days (asked until {expires_at})"
        )));
    }
    let config = PresigningConfig::builder()
        .start_time(start.into())
        .expires_in(std::time::Duration::from_secs(secs.unsigned_abs()))
        .build()
        .map_err(|e| PortError::invalid(format!("presigning window: {e}")).with_source(e))?;
    Ok(Window {
        config,
        expires_at: start + Duration::seconds(secs),
    })
}

/// The port's view of a presigned request: its URL, method and every header
/// the client must send unchanged for the signature to hold.
pub(super) fn to_presigned_url(
    request: &PresignedRequest,
    expires_at: DateTime<Utc>,
) -> PresignedUrl {
    PresignedUrl {
        url: request.uri().to_string(),
        method: request.method().to_string(),
        headers: request
            .headers()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.to_string()))
            .collect(),
        expires_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64, nanos: u32) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(secs, nanos).unwrap()
    }

    #[test]
    fn the_reported_expiry_is_the_signed_one() {
        let now = at(1_800_000_000, 700_000_000);
        let w = window(now, at(1_800_000_600, 0)).unwrap();
        assert_eq!(w.config.expires(), std::time::Duration::from_secs(600));
        assert_eq!(w.expires_at, at(1_800_000_600, 0));
    }

    #[test]
    fn windows_outside_one_second_to_seven_days_are_invalid() {
        let now = at(1_800_000_000, 0);
        for end in [now, now - Duration::minutes(1), now + Duration::days(8)] {
            assert!(window(now, end).is_err(), "{end} accepted");
        }
        assert!(window(now, now + Duration::days(7)).is_ok());
    }
}

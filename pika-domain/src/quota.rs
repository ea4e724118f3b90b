//! Token quotas over a rolling window (PIKA.md §7 step 1).
//!
//! Usage is counted in hourly buckets in the usage ledger. A quota of N tokens
//! over a window of H hours refuses a turn when the buckets of the last H
//! hours (the current one included) already add up to N or more. The refusal
//! names the time at which enough old buckets leave the window for the usage
//! to fall below the quota again.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::{Deserialize, Serialize};

/// Quota settings; every field unset means "no quota".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct QuotaLimits {
    /// Tokens (input + output) one user may spend per window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_tokens_per_window: Option<u64>,
    /// Tokens all users of one entity may spend together per window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_tokens_per_window: Option<u64>,
    /// Window length in hours (default 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_hours: Option<u32>,
}

/// The window used when none is configured.
pub const DEFAULT_WINDOW_HOURS: u32 = 24;

impl QuotaLimits {
    /// The limits in force for a chat app: each field of `app` that is set
    /// replaces the site's.
    pub fn effective(site: &QuotaLimits, app: Option<&QuotaLimits>) -> QuotaLimits {
        let Some(app) = app else {
            return site.clone();
        };
        QuotaLimits {
            user_tokens_per_window: app.user_tokens_per_window.or(site.user_tokens_per_window),
            entity_tokens_per_window: app
                .entity_tokens_per_window
                .or(site.entity_tokens_per_window),
            window_hours: app.window_hours.or(site.window_hours),
        }
    }

    /// The window length in hours, at least 1.
    pub fn window_hours(&self) -> u32 {
        self.window_hours.unwrap_or(DEFAULT_WINDOW_HOURS).max(1)
    }
}

/// Whose usage a quota counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuotaScope {
    /// One user.
    User,
    /// One entity (tenant).
    Entity,
}

/// Tokens counted in one hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageBucket {
    /// Start of the hour.
    pub start: DateTime<Utc>,
    /// Tokens spent in it.
    pub tokens: u64,
}

/// A refusal: usage is at or above the quota.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaExceeded {
    /// Which quota.
    pub scope: QuotaScope,
    /// The quota in tokens.
    pub limit: u64,
    /// Tokens counted in the window.
    pub used: u64,
    /// The window length in hours.
    pub window_hours: u32,
    /// When usage falls below the quota again; `None` for a quota of zero.
    pub resets_at: Option<DateTime<Utc>>,
}

/// The start of the hour bucket that `at` falls in.
pub fn bucket_start(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::hours(1)).unwrap_or(at)
}

/// The start of the oldest bucket inside a window of `hours` ending at `now`.
pub fn window_start(now: DateTime<Utc>, hours: u32) -> DateTime<Utc> {
    bucket_start(now) - Duration::hours(i64::from(hours.max(1)) - 1)
}

/// Checks one quota against the buckets of its window.
///
/// Buckets older than the window are ignored, so callers may pass more.
///
/// # Errors
/// [`QuotaExceeded`] when the usage in the window is at or above `limit`.
pub fn check_quota(
    scope: QuotaScope,
    limit: u64,
    window_hours: u32,
    buckets: &[UsageBucket],
    now: DateTime<Utc>,
) -> Result<(), QuotaExceeded> {
    let start = window_start(now, window_hours);
    let mut in_window: Vec<UsageBucket> = buckets
        .iter()
        .copied()
        .filter(|b| b.start >= start)
        .collect();
    in_window.sort_by_key(|b| b.start);
    let used: u64 = in_window.iter().map(|b| b.tokens).sum();
    if used < limit {
        return Ok(());
    }
    let window = Duration::hours(i64::from(window_hours.max(1)));
    let mut remaining = used;
    let mut resets_at = None;
    if limit > 0 {
        for bucket in &in_window {
            remaining = remaining.saturating_sub(bucket.tokens);
            if remaining < limit {
                resets_at = Some(bucket.start + window);
                break;
            }
        }
    }
    Err(QuotaExceeded {
        scope,
        limit,
        used,
        window_hours,
        resets_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 2, h, m, 0).unwrap()
    }

    #[test]
    fn under_quota_passes() {
        let buckets = [UsageBucket {
            start: at(10, 0),
            tokens: 50,
        }];
        assert!(check_quota(QuotaScope::User, 100, 24, &buckets, at(10, 30)).is_ok());
    }

    #[test]
    fn at_quota_refuses_and_names_reset() {
        let buckets = [
            UsageBucket {
                start: at(8, 0),
                tokens: 60,
            },
            UsageBucket {
                start: at(10, 0),
                tokens: 40,
            },
        ];
        let err = check_quota(QuotaScope::User, 100, 3, &buckets, at(10, 30)).unwrap_err();
        assert_eq!(err.used, 100);
        // The 08:00 bucket leaves a 3-hour window at 11:00; then 40 < 100.
        assert_eq!(err.resets_at, Some(at(11, 0)));
    }

    #[test]
    fn old_buckets_do_not_count() {
        let buckets = [UsageBucket {
            start: at(1, 0),
            tokens: 1_000,
        }];
        assert!(check_quota(QuotaScope::Entity, 100, 3, &buckets, at(10, 0)).is_ok());
    }

    #[test]
    fn app_limits_replace_site_limits_field_by_field() {
        let site = QuotaLimits {
            user_tokens_per_window: Some(10),
            entity_tokens_per_window: Some(100),
            window_hours: None,
        };
        let app = QuotaLimits {
            user_tokens_per_window: Some(20),
            ..Default::default()
        };
        let eff = QuotaLimits::effective(&site, Some(&app));
        assert_eq!(eff.user_tokens_per_window, Some(20));
        assert_eq!(eff.entity_tokens_per_window, Some(100));
        assert_eq!(eff.window_hours(), 24);
    }
}

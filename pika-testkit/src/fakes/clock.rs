//! A clock tests move by hand, and ids that increase predictably.

use pika_domain::chrono::{DateTime, Duration, TimeZone, Utc};
use pika_ports::{Clock, IdGenerator};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A clock that only moves when told.
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// A clock showing 2026-01-15 09:00:00 UTC.
    pub fn standard() -> Self {
        Self::new(
            Utc.with_ymd_and_hms(2026, 1, 15, 9, 0, 0)
                .single()
                .unwrap_or_default(),
        )
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    /// Sets the clock.
    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::standard()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Ids that increase by one millisecond per call, starting at 2026-01-01.
#[derive(Default)]
pub struct SequentialIds {
    next: AtomicU64,
}

impl SequentialIds {
    /// A fresh sequence.
    pub fn new() -> Self {
        Self::default()
    }
}

/// 2026-01-01T00:00:00Z in Unix milliseconds.
const BASE_MILLIS: u64 = 1_767_225_600_000;

impl IdGenerator for SequentialIds {
    fn next_parts(&self) -> (u64, [u8; 10]) {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let mut random = [0u8; 10];
        random[2..].copy_from_slice(&n.to_be_bytes());
        (BASE_MILLIS + n, random)
    }
}

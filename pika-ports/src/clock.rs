//! Time and ids as ports, so tests control both. The system implementations
//! live here because every shell needs exactly them.

use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{FeedbackId, FileId, MessageId, SessionId, ShareId};
use pika_domain::uuid::Uuid;

/// Tells the time.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// Mints UUIDv7 ids from milliseconds and ten random bytes.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// The parts of the next id: milliseconds since the Unix epoch and ten
    /// random bytes. Successive calls must give increasing ids.
    fn next_parts(&self) -> (u64, [u8; 10]);

    /// 32 bytes from a cryptographic source, for ids that are secrets
    /// (share links). The default takes them from two random (v4) UUIDs of
    /// the operating system's generator: 244 of the 256 bits are random
    /// (each UUID's version and variant bits are fixed).
    fn secret_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        out[..16].copy_from_slice(a.as_bytes());
        out[16..].copy_from_slice(b.as_bytes());
        out
    }
}

/// Typed ids from any [`IdGenerator`].
pub trait IdGeneratorExt {
    /// A new session id.
    fn session_id(&self) -> SessionId;
    /// A new message id.
    fn message_id(&self) -> MessageId;
    /// A new feedback id.
    fn feedback_id(&self) -> FeedbackId;
    /// A new share id.
    fn share_id(&self) -> ShareId;
    /// A new file id.
    fn file_id(&self) -> FileId;
}

impl<T: IdGenerator + ?Sized> IdGeneratorExt for T {
    fn session_id(&self) -> SessionId {
        let (ms, r) = self.next_parts();
        SessionId::from_v7_parts(ms, &r)
    }
    fn message_id(&self) -> MessageId {
        let (ms, r) = self.next_parts();
        MessageId::from_v7_parts(ms, &r)
    }
    fn feedback_id(&self) -> FeedbackId {
        let (ms, r) = self.next_parts();
        FeedbackId::from_v7_parts(ms, &r)
    }
    fn share_id(&self) -> ShareId {
        ShareId::from_secret(self.secret_bytes())
    }
    fn file_id(&self) -> FileId {
        let (ms, r) = self.next_parts();
        FileId::from_v7_parts(ms, &r)
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// UUIDv7 ids from the system clock and random bits (the `uuid` crate's
/// generator, which keeps ids increasing within a millisecond).
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7Ids;

impl IdGenerator for UuidV7Ids {
    fn next_parts(&self) -> (u64, [u8; 10]) {
        let uuid = Uuid::now_v7();
        let bytes = uuid.as_bytes();
        let mut millis = 0u64;
        for b in &bytes[..6] {
            millis = (millis << 8) | u64::from(*b);
        }
        let mut random = [0u8; 10];
        random.copy_from_slice(&bytes[6..]);
        (millis, random)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_ids_are_v7_and_increase() {
        let ids = UuidV7Ids;
        let a = ids.session_id();
        let b = ids.session_id();
        assert_eq!(a.as_uuid().get_version_num(), 7);
        assert!(b > a);
        let m = ids.message_id();
        assert_eq!(m.as_uuid().get_version_num(), 7);
    }

    #[test]
    fn share_ids_are_long_random_secrets() {
        let ids = UuidV7Ids;
        let (a, b) = (ids.share_id(), ids.share_id());
        assert_ne!(a, b);
        let text = a.to_string();
        assert_eq!(text.len(), 64, "{text}");
        assert_eq!(ShareId::parse(&text).unwrap(), a);
    }
}

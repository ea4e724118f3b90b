//! The bookkeeping every admin-managed record carries (version, audit dates,
//! who changed it), set in one place for chat apps, agents and tools.

use pika_domain::agent::Agent;
use pika_domain::chat_app::ChatApp;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::UserId;
use pika_domain::tool::Tool;

/// A record with optimistic-concurrency and audit fields.
pub(super) trait Stamped {
    fn fields(
        &mut self,
    ) -> (
        &mut u64,
        &mut DateTime<Utc>,
        &mut DateTime<Utc>,
        &mut Option<UserId>,
    );

    /// A new record: version 1, created and updated now, by `by`.
    fn stamp_new(&mut self, now: DateTime<Utc>, by: &UserId) {
        let (version, created, updated, updated_by) = self.fields();
        *version = 1;
        *created = now;
        *updated = now;
        *updated_by = Some(by.clone());
    }

    /// The next version of a record the caller read at its current version
    /// (returned: the version the store must still hold), keeping the
    /// stored creation date.
    fn stamp_next(&mut self, created_at: DateTime<Utc>, now: DateTime<Utc>, by: &UserId) -> u64 {
        let (version, created, updated, updated_by) = self.fields();
        let expected = *version;
        *version = expected + 1;
        *created = created_at;
        *updated = now;
        *updated_by = Some(by.clone());
        expected
    }
}

macro_rules! stamped {
    ($($t:ty),*) => {$(
        impl Stamped for $t {
            fn fields(&mut self) -> (&mut u64, &mut DateTime<Utc>, &mut DateTime<Utc>, &mut Option<UserId>) {
                (&mut self.version, &mut self.created_at, &mut self.updated_at, &mut self.updated_by)
            }
        }
    )*};
}
stamped!(ChatApp, Agent, Tool);

//! Every store of Pika on one SQLite database file: sessions, messages
//! (with client-message claims), the site configuration, chat apps (with
//! overrides), agents, tools,
//! users, feedback, the usage ledger, the job lock and user memory.
//!
//! # Use
//!
//! Open one [`SqliteDb`] per process and hand a clone of it to each store
//! (a clone is an [`Arc`](std::sync::Arc) bump; every store shares the same
//! connections):
//!
//! ```no_run
//! use pika_local_adapters::sqlite::{SqliteDb, SqliteSessionStore, SqliteStores};
//!
//! # fn main() -> Result<(), pika_ports::PortError> {
//! let db = SqliteDb::open("pika.sqlite3")?;
//! let sessions = SqliteSessionStore::new(db.clone());
//! // or every store at once:
//! let stores = SqliteStores::new(db);
//! # let _ = (sessions, stores);
//! # Ok(())
//! # }
//! ```
//!
//! # Design
//!
//! - **Connections.** [`SqliteDb`] holds one writer connection behind a
//!   mutex and a small pool of reader connections (4 by default). The
//!   database runs in WAL mode (`synchronous=NORMAL`, `foreign_keys=ON`,
//!   `busy_timeout=5000`), so readers never wait for the writer and the one
//!   writer serialises every write of the process: concurrent turns queue
//!   on the mutex instead of meeting `SQLITE_BUSY`.
//! - **Never blocking the executor.** Every call runs its SQLite work in
//!   [`tokio::task::spawn_blocking`].
//! - **Transactions.** Every write is one `BEGIN IMMEDIATE` transaction on
//!   the writer, so read-check-write sequences (version checks, conditional
//!   patches, turn records, claims, lock takeovers) are atomic.
//! - **Rows.** Each entity is stored whole as JSON in a `body` column, next
//!   to the key columns its listings need; every listing is served from a
//!   primary key or an index (see `migrations.rs` for the schema).
//! - **Paging.** Keyset paging: a cursor is the key of the last item of a
//!   page, tagged with its listing and hex-encoded; a cursor of another
//!   listing, or no cursor of this module at all, is refused as
//!   [`ErrorKind::Invalid`](pika_ports::ErrorKind::Invalid). The last page
//!   carries no cursor.
//! - **Errors.** A constraint violation is `Conflict`, `SQLITE_BUSY` /
//!   `SQLITE_LOCKED` are `Transient`, anything else (and a failed blocking
//!   task, or a stored body that no longer parses) is `Permanent`.
//! - **Migrations.** A `schema_version` table records which of the ordered
//!   migrations ran; opening applies the missing ones in one transaction and
//!   leaves the applied ones alone.

mod allowances;
mod chat_apps;
mod config;
mod db;
mod feedback;
mod job_lock;
mod memory;
mod messages;
mod migrations;
mod sessions;
mod site;
mod support;
mod turns;
mod usage;
mod users;

#[cfg(test)]
mod plans;

pub use allowances::SqliteAllowances;
pub use chat_apps::SqliteChatAppStore;
pub use config::{SqliteAgentStore, SqliteToolStore};
pub use db::{SqliteDb, DEFAULT_READERS};
pub use feedback::SqliteFeedbackStore;
pub use job_lock::SqliteJobLock;
pub use memory::SqliteUserMemory;
pub use messages::{SqliteMessageStore, MAX_MESSAGE_BYTES};
pub use migrations::SCHEMA_VERSION;
pub use sessions::SqliteSessionStore;
pub use site::SqliteSiteStore;
pub use turns::SqliteTurnControl;
pub use usage::SqliteUsageLedger;
pub use users::SqliteUserStore;

/// Every SQLite store over one [`SqliteDb`], for a shell to put into its
/// port bundle. Each field is cheap to clone and shares the database.
#[derive(Clone)]
pub struct SqliteStores {
    /// The database the stores share.
    pub db: SqliteDb,
    /// Sessions.
    pub sessions: SqliteSessionStore,
    /// Messages and client-message claims.
    pub messages: SqliteMessageStore,
    /// Chat apps and their overrides.
    pub chat_apps: SqliteChatAppStore,
    /// The site configuration.
    pub site: SqliteSiteStore,
    /// Agents.
    pub agents: SqliteAgentStore,
    /// Tool definitions.
    pub tools: SqliteToolStore,
    /// User profiles.
    pub users: SqliteUserStore,
    /// Feedback records.
    pub feedback: SqliteFeedbackStore,
    /// Hourly and daily usage counters.
    pub usage: SqliteUsageLedger,
    /// Named job locks.
    pub job_lock: SqliteJobLock,
    /// User memory.
    pub memory: SqliteUserMemory,
    /// Which turn holds each session.
    pub turns: SqliteTurnControl,
    /// Rate-limit buckets and running turns' holds.
    pub allowances: SqliteAllowances,
}

impl SqliteStores {
    /// Every store over `db`.
    pub fn new(db: SqliteDb) -> Self {
        Self {
            sessions: SqliteSessionStore::new(db.clone()),
            messages: SqliteMessageStore::new(db.clone()),
            chat_apps: SqliteChatAppStore::new(db.clone()),
            site: SqliteSiteStore::new(db.clone()),
            agents: SqliteAgentStore::new(db.clone()),
            tools: SqliteToolStore::new(db.clone()),
            users: SqliteUserStore::new(db.clone()),
            feedback: SqliteFeedbackStore::new(db.clone()),
            usage: SqliteUsageLedger::new(db.clone()),
            job_lock: SqliteJobLock::new(db.clone()),
            memory: SqliteUserMemory::new(db.clone()),
            turns: SqliteTurnControl::new(db.clone()),
            allowances: SqliteAllowances::new(db.clone()),
            db,
        }
    }
}

//! Pika's stores on PostgreSQL, for teams that run several servers (several
//! `pika-local` instances behind a load balancer, say) on one database and
//! no AWS.
//!
//! Every store of the platform but files and search: sessions, messages
//! (with client-message claims), the site configuration, chat apps (with
//! overrides), agents, tools, users, feedback, the usage ledger, the job
//! lock, user memory, turn control and allowances. Each passes the same
//! contract suites of `pika-testkit` as the SQLite and DynamoDB stores,
//! on a real server.
//!
//! # Use
//!
//! Connect once per process and hand a clone of the database to each store
//! (a clone shares the pool):
//!
//! ```no_run
//! use pika_postgres_adapters::{PostgresDb, PostgresOptions, PostgresStores};
//!
//! # async fn run() -> Result<(), pika_ports::PortError> {
//! let options = PostgresOptions::new("postgres://pika@db.internal/pika").with_schema("pika");
//! let db = PostgresDb::connect(&options).await?;
//! let stores = PostgresStores::new(db);
//! # let _ = stores;
//! # Ok(())
//! # }
//! ```
//!
//! # Design
//!
//! - **Connections.** A `deadpool-postgres` pool of `tokio-postgres`
//!   connections; each statement is prepared once per connection. No TLS:
//!   reach the server over a private network or a local socket.
//! - **Transactions.** Read committed. A read-check-write (turn records,
//!   patches, version checks, claims, lock takeovers) is one transaction
//!   that locks the row it read (`SELECT … FOR UPDATE`) or one conditional
//!   statement (`INSERT … ON CONFLICT … WHERE`), so concurrent servers
//!   never lose an update and two turns never both take a session.
//! - **Rows.** Each entity is stored whole as JSON text in a `body` column
//!   next to the key columns its listings need; every listing is served
//!   from a primary key or an index (see `migrations.rs`), with keyset
//!   cursors tagged with their listing.
//! - **Errors.** A violated constraint is `Conflict`; a lost connection, a
//!   serialization failure or deadlock, a timeout, a server starting or
//!   stopping is `Transient`; anything else is `Permanent`.
//! - **Migrations.** A `schema_version` table records which of the ordered
//!   migrations ran; connecting applies the missing ones in one
//!   transaction, under an advisory lock so that servers starting together
//!   do not race.

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
mod stores;
mod support;
mod turns;
mod usage;
mod users;

pub use allowances::PostgresAllowances;
pub use chat_apps::PostgresChatAppStore;
pub use config::{PostgresAgentStore, PostgresToolStore};
pub use db::{PostgresDb, PostgresOptions, DEFAULT_MAX_CONNECTIONS};
pub use feedback::PostgresFeedbackStore;
pub use job_lock::PostgresJobLock;
pub use memory::PostgresUserMemory;
pub use messages::{PostgresMessageStore, MAX_MESSAGE_BYTES};
pub use migrations::SCHEMA_VERSION;
pub use sessions::PostgresSessionStore;
pub use site::PostgresSiteStore;
pub use stores::PostgresStores;
pub use turns::PostgresTurnControl;
pub use usage::PostgresUsageLedger;
pub use users::PostgresUserStore;

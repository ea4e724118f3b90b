//! The schema, as ordered migrations, and the runner that applies the
//! missing ones at every open.
//!
//! `schema_version` holds one row per applied migration. Opening a database
//! applies, in one transaction, each migration newer than its highest row;
//! migrations that ran are never run again, so reopening keeps every table
//! and row. A migration is never edited once released: a change of schema is
//! a new migration at the end of [`MIGRATIONS`].

use crate::sqlite::support::{bad_data, time_key, Res};
use pika_domain::chrono::Utc;
use rusqlite::{params, Connection, TransactionBehavior};

/// One step of the schema.
pub(crate) struct Migration {
    /// Its number; numbers increase by one from 1.
    pub(crate) version: u32,
    /// What it does, for the `schema_version` table.
    pub(crate) name: &'static str,
    /// The statements.
    pub(crate) sql: &'static str,
}

/// The schema version this build writes: the number of its last migration.
pub const SCHEMA_VERSION: u32 = 6;

/// Every migration, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial schema",
        sql: V1_INITIAL,
    },
    Migration {
        version: 2,
        name: "site configuration",
        sql: V2_SITE,
    },
    Migration {
        version: 3,
        name: "turn control",
        sql: V3_TURNS,
    },
    Migration {
        version: 4,
        name: "fair use",
        sql: V4_ALLOWANCES,
    },
    Migration {
        version: 5,
        name: "tool confirmations",
        sql: V5_DECISIONS,
    },
    Migration {
        version: 6,
        name: "user data overrides",
        sql: V6_USER_OVERRIDES,
    },
];

/// Each user's custom-data overrides by chat app, as one JSON object,
/// apart from the profile (which every sign-in may replace).
const V6_USER_OVERRIDES: &str = "
CREATE TABLE user_overrides (
    user_id  TEXT PRIMARY KEY NOT NULL,
    body     TEXT NOT NULL
);
";

/// Users' answers to a running turn's requests to confirm a tool call,
/// kept with the turn's hold and removed with it.
const V5_DECISIONS: &str = "
CREATE TABLE turn_decisions (
    session_id   TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    tool_use_id  TEXT NOT NULL,
    approve      INTEGER NOT NULL,
    PRIMARY KEY (session_id, message_id, tool_use_id)
);
";

/// Rate-limit buckets and running turns' holds per user and entity, with
/// the version each write names; `forget_after` orders the housekeeping.
const V4_ALLOWANCES: &str = "
CREATE TABLE allowances (
    key           TEXT PRIMARY KEY NOT NULL,
    version       INTEGER NOT NULL,
    body          TEXT NOT NULL,
    forget_after  TEXT NOT NULL
);
CREATE INDEX allowances_by_forget_after ON allowances (forget_after);
";

/// Which turn holds each session (its lease and stop flag), and the events
/// it sent so far: what several servers on one database share.
const V3_TURNS: &str = "
CREATE TABLE turns (
    session_id  TEXT PRIMARY KEY NOT NULL,
    message_id  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    stop        INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE turn_events (
    session_id  TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (session_id, message_id, seq)
);
";

/// The site configuration: one versioned row (id `current`), shaped like
/// the other configuration tables so the same versioned operations serve it.
const V2_SITE: &str = "
CREATE TABLE site (
    id       TEXT PRIMARY KEY NOT NULL CHECK (id = 'current'),
    version  INTEGER NOT NULL,
    body     TEXT NOT NULL
);
";

/// The first schema. Every entity is its JSON `body` plus the key columns
/// of its access patterns (PIKA.md §6), each served by a key or an index.
const V1_INITIAL: &str = "
-- Sessions: by id; by user (and chat app), by entity, newest first (ids are
-- UUIDv7, so id order is creation order); by share id; the sparse index of
-- sessions needing insights (insight_due = updated_at while the status is
-- pending or failed, NULL otherwise); the sparse index of expiries.
CREATE TABLE sessions (
    session_id   TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL,
    chat_app_id  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    share_id     TEXT,
    insight_due  TEXT,
    expires_at   TEXT,
    body         TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id, session_id);
CREATE INDEX sessions_by_user_app ON sessions (user_id, chat_app_id, session_id);
CREATE INDEX sessions_by_entity ON sessions (entity_id, session_id);
CREATE INDEX sessions_by_share ON sessions (share_id, session_id) WHERE share_id IS NOT NULL;
CREATE INDEX sessions_needing_insights ON sessions (insight_due, session_id)
    WHERE insight_due IS NOT NULL;
CREATE INDEX sessions_by_expiry ON sessions (expires_at, session_id)
    WHERE expires_at IS NOT NULL;

-- Messages: unique per session, listed in id order.
CREATE TABLE messages (
    session_id  TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (session_id, message_id)
);

-- Idempotency claims of client message ids, per user.
CREATE TABLE client_message_claims (
    user_id               TEXT NOT NULL,
    client_message_id     TEXT NOT NULL,
    session_id            TEXT NOT NULL,
    user_message_id       TEXT NOT NULL,
    assistant_message_id  TEXT NOT NULL,
    claimed_at            TEXT NOT NULL,
    PRIMARY KEY (user_id, client_message_id)
);

-- Configuration, by id, with the version used for optimistic concurrency.
CREATE TABLE chat_apps (
    id       TEXT PRIMARY KEY NOT NULL,
    version  INTEGER NOT NULL,
    body     TEXT NOT NULL
);
CREATE TABLE chat_app_overrides (
    id    TEXT PRIMARY KEY NOT NULL REFERENCES chat_apps (id) ON DELETE CASCADE,
    body  TEXT NOT NULL
);
CREATE TABLE agents (
    id       TEXT PRIMARY KEY NOT NULL,
    version  INTEGER NOT NULL,
    body     TEXT NOT NULL
);
CREATE TABLE tools (
    id       TEXT PRIMARY KEY NOT NULL,
    version  INTEGER NOT NULL,
    body     TEXT NOT NULL
);

CREATE TABLE users (
    user_id  TEXT PRIMARY KEY NOT NULL,
    body     TEXT NOT NULL
);

-- Feedback: by id; by session oldest first; by status and/or chat app
-- newest first (created_at, then id).
CREATE TABLE feedback (
    feedback_id  TEXT PRIMARY KEY NOT NULL,
    session_id   TEXT NOT NULL,
    chat_app_id  TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    body         TEXT NOT NULL
);
CREATE INDEX feedback_by_session ON feedback (session_id, created_at, feedback_id);
CREATE INDEX feedback_by_time ON feedback (created_at, feedback_id);
CREATE INDEX feedback_by_status ON feedback (status, created_at, feedback_id);
CREATE INDEX feedback_by_app ON feedback (chat_app_id, created_at, feedback_id);
CREATE INDEX feedback_by_status_app ON feedback (status, chat_app_id, created_at, feedback_id);

-- Usage: tokens per (scope, user or entity, hour start in µs since the
-- epoch) and daily aggregates per (UTC day, chat app, entity, model).
CREATE TABLE usage_buckets (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    hour_micros  INTEGER NOT NULL,
    tokens       INTEGER NOT NULL,
    PRIMARY KEY (scope, key, hour_micros)
);
CREATE TABLE usage_daily (
    day            TEXT NOT NULL,
    chat_app_id    TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    model_id       TEXT NOT NULL,
    input_tokens   INTEGER NOT NULL,
    output_tokens  INTEGER NOT NULL,
    input_cost     REAL NOT NULL,
    output_cost    REAL NOT NULL,
    total_cost     REAL NOT NULL,
    turns          INTEGER NOT NULL,
    PRIMARY KEY (day, chat_app_id, entity_id, model_id)
);

CREATE TABLE job_locks (
    name        TEXT PRIMARY KEY NOT NULL,
    owner       TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

-- User memory: records by user newest first, and by user and strategy.
-- `words` holds the content's lower-case words as ' w1 w2 … ' for retrieval.
CREATE TABLE memory_records (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id            TEXT NOT NULL,
    strategy           TEXT NOT NULL,
    content            TEXT NOT NULL,
    words              TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    created_micros     INTEGER NOT NULL,
    source_session_id  TEXT
);
CREATE INDEX memory_by_user ON memory_records (user_id, created_micros, seq);
CREATE INDEX memory_by_user_strategy
    ON memory_records (user_id, strategy, created_micros, seq);
";

/// The highest applied migration; 0 for a database without any.
pub(crate) fn current_version(conn: &Connection) -> Res<u32> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version')",
        [],
        |row| row.get(0),
    )?;
    if !exists {
        return Ok(0);
    }
    let version: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |row| row.get(0),
    )?;
    u32::try_from(version).map_err(|_| bad_data(format!("schema version {version}")))
}

/// Applies the migrations `conn` lacks, in one transaction, and returns the
/// schema version after.
///
/// # Errors
/// A SQLite failure (nothing is applied then), or `Permanent` when the
/// database is at a version newer than [`SCHEMA_VERSION`].
pub(crate) fn run(conn: &mut Connection) -> Res<u32> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version     INTEGER PRIMARY KEY NOT NULL,
             name        TEXT NOT NULL,
             applied_at  TEXT NOT NULL
         )",
    )?;
    let current = current_version(&tx)?;
    if current > SCHEMA_VERSION {
        return Err(pika_ports::PortError::permanent(format!(
            "the database is at schema version {current}, newer than this build's {SCHEMA_VERSION}"
        ))
        .into());
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tracing::info!(
            version = m.version,
            name = m.name,
            "applying SQLite migration"
        );
        tx.execute_batch(m.sql)?;
        tx.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (?1, ?2, ?3)",
            params![m.version, m.name, time_key(&Utc::now())],
        )?;
    }
    tx.commit()?;
    Ok(current.max(SCHEMA_VERSION))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn migrations_count_up_from_one_to_the_schema_version() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(
                m.version as usize,
                i + 1,
                "migration {} out of order",
                m.name
            );
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }

    #[test]
    fn running_twice_applies_each_migration_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(run(&mut conn).unwrap(), SCHEMA_VERSION);
        conn.execute(
            "INSERT INTO users (user_id, body) VALUES ('alice', '{}')",
            [],
        )
        .unwrap();
        assert_eq!(run(&mut conn).unwrap(), SCHEMA_VERSION);
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows as usize, MIGRATIONS.len());
        let users: i64 = conn
            .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
            .unwrap();
        assert_eq!(users, 1, "data survives a second run");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (?1, 'future', '')",
            params![SCHEMA_VERSION + 1],
        )
        .unwrap();
        let err = run(&mut conn).unwrap_err().into_port();
        assert_eq!(err.kind, pika_ports::ErrorKind::Permanent);
    }
}

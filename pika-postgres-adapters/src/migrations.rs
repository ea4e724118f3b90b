//! The schema, as ordered migrations, and the runner that applies the
//! missing ones when a database is opened.
//!
//! `schema_version` holds one row per applied migration. Opening applies,
//! in one transaction under an advisory lock (several servers start at
//! once), each migration newer than its highest row. A released migration
//! is never edited: a change of schema is a new migration at the end of
//! [`MIGRATIONS`].

use crate::support::{get, sql_error, time_key};
use deadpool_postgres::{GenericClient, Object};
use pika_domain::chrono::Utc;
use pika_ports::{PortError, PortResult};

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
pub const SCHEMA_VERSION: u32 = 1;

/// Every migration, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "initial schema",
    sql: V1_INITIAL,
}];

/// The first schema: the tables of the SQLite stores, in PostgreSQL's
/// types. Every entity is its JSON `body` (text, see `support::to_json`)
/// plus the key columns of its access patterns (PIKA.md §6), each served by
/// a primary key or an index: no listing scans a table. Key columns use the
/// `C` collation, so text order is byte order (ids, time keys) whatever the
/// database's locale.
const V1_INITIAL: &str = r#"
-- Sessions: by id; by user (and chat app), by entity, newest first (ids are
-- UUIDv7, so id order is creation order); by share id; the sparse index of
-- sessions needing insights (insight_due = updated_at while the status is
-- pending or failed, NULL otherwise); the sparse index of expiries.
CREATE TABLE sessions (
    session_id   TEXT COLLATE "C" PRIMARY KEY,
    user_id      TEXT COLLATE "C" NOT NULL,
    chat_app_id  TEXT COLLATE "C" NOT NULL,
    entity_id    TEXT COLLATE "C" NOT NULL,
    share_id     TEXT COLLATE "C",
    insight_due  TEXT COLLATE "C",
    expires_at   TEXT COLLATE "C",
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
    session_id  TEXT COLLATE "C" NOT NULL,
    message_id  TEXT COLLATE "C" NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (session_id, message_id)
);

-- Idempotency claims of client message ids, per user.
CREATE TABLE client_message_claims (
    user_id               TEXT COLLATE "C" NOT NULL,
    client_message_id     TEXT COLLATE "C" NOT NULL,
    session_id            TEXT NOT NULL,
    user_message_id       TEXT NOT NULL,
    assistant_message_id  TEXT NOT NULL,
    claimed_at            TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (user_id, client_message_id)
);

-- Configuration, by id, with the version used for optimistic concurrency.
CREATE TABLE chat_apps (
    id       TEXT COLLATE "C" PRIMARY KEY,
    version  BIGINT NOT NULL,
    body     TEXT NOT NULL
);
CREATE TABLE chat_app_overrides (
    id    TEXT COLLATE "C" PRIMARY KEY REFERENCES chat_apps (id) ON DELETE CASCADE,
    body  TEXT NOT NULL
);
CREATE TABLE agents (
    id       TEXT COLLATE "C" PRIMARY KEY,
    version  BIGINT NOT NULL,
    body     TEXT NOT NULL
);
CREATE TABLE tools (
    id       TEXT COLLATE "C" PRIMARY KEY,
    version  BIGINT NOT NULL,
    body     TEXT NOT NULL
);
-- The site configuration: one versioned row (id `current`).
CREATE TABLE site (
    id       TEXT COLLATE "C" PRIMARY KEY CHECK (id = 'current'),
    version  BIGINT NOT NULL,
    body     TEXT NOT NULL
);

-- Users, and their custom-data overrides by chat app (one JSON object,
-- apart from the profile, which every sign-in may replace).
CREATE TABLE users (
    user_id  TEXT COLLATE "C" PRIMARY KEY,
    body     TEXT NOT NULL
);
CREATE TABLE user_overrides (
    user_id  TEXT COLLATE "C" PRIMARY KEY,
    body     TEXT NOT NULL
);

-- Feedback: by id; by session oldest first; by status and/or chat app
-- newest first (created_at, then id).
CREATE TABLE feedback (
    feedback_id  TEXT COLLATE "C" PRIMARY KEY,
    session_id   TEXT COLLATE "C" NOT NULL,
    chat_app_id  TEXT COLLATE "C" NOT NULL,
    status       TEXT COLLATE "C" NOT NULL,
    created_at   TEXT COLLATE "C" NOT NULL,
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
    scope        TEXT COLLATE "C" NOT NULL,
    key          TEXT COLLATE "C" NOT NULL,
    hour_micros  BIGINT NOT NULL,
    tokens       BIGINT NOT NULL,
    PRIMARY KEY (scope, key, hour_micros)
);
CREATE TABLE usage_daily (
    day            TEXT COLLATE "C" NOT NULL,
    chat_app_id    TEXT COLLATE "C" NOT NULL,
    entity_id      TEXT COLLATE "C" NOT NULL,
    model_id       TEXT COLLATE "C" NOT NULL,
    input_tokens   BIGINT NOT NULL,
    output_tokens  BIGINT NOT NULL,
    input_cost     DOUBLE PRECISION NOT NULL,
    output_cost    DOUBLE PRECISION NOT NULL,
    total_cost     DOUBLE PRECISION NOT NULL,
    turns          BIGINT NOT NULL,
    PRIMARY KEY (day, chat_app_id, entity_id, model_id)
);

CREATE TABLE job_locks (
    name        TEXT COLLATE "C" PRIMARY KEY,
    owner       TEXT NOT NULL,
    expires_at  TEXT COLLATE "C" NOT NULL
);

-- User memory: records by user newest first, and by user and strategy.
-- `words` holds the content's lower-case words as ' w1 w2 … ' for retrieval.
CREATE TABLE memory_records (
    seq                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id            TEXT COLLATE "C" NOT NULL,
    strategy           TEXT COLLATE "C" NOT NULL,
    content            TEXT NOT NULL,
    words              TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    created_micros     BIGINT NOT NULL,
    source_session_id  TEXT
);
CREATE INDEX memory_by_user ON memory_records (user_id, created_micros, seq);
CREATE INDEX memory_by_user_strategy
    ON memory_records (user_id, strategy, created_micros, seq);

-- Which turn holds each session (its lease and stop flag), the events it
-- sent so far and the user's answers to its tool confirmations: what
-- several servers on one database share.
CREATE TABLE turns (
    session_id  TEXT COLLATE "C" PRIMARY KEY,
    message_id  TEXT COLLATE "C" NOT NULL,
    expires_at  TEXT COLLATE "C" NOT NULL,
    stop        BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE turn_events (
    session_id  TEXT COLLATE "C" NOT NULL,
    message_id  TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (session_id, message_id, seq)
);
CREATE TABLE turn_decisions (
    session_id   TEXT COLLATE "C" NOT NULL,
    message_id   TEXT COLLATE "C" NOT NULL,
    tool_use_id  TEXT COLLATE "C" NOT NULL,
    approve      BOOLEAN NOT NULL,
    PRIMARY KEY (session_id, message_id, tool_use_id)
);

-- Rate-limit buckets and running turns' holds per user and entity, with
-- the version each write names; `forget_after` orders the housekeeping.
CREATE TABLE allowances (
    key           TEXT COLLATE "C" PRIMARY KEY,
    version       BIGINT NOT NULL,
    body          TEXT NOT NULL,
    forget_after  TEXT COLLATE "C" NOT NULL
);
CREATE INDEX allowances_by_forget_after ON allowances (forget_after);
"#;

/// The highest applied migration; 0 for a database without any.
pub(crate) async fn current_version<C: GenericClient + Sync>(client: &C) -> PortResult<u32> {
    let exists = client
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
        .await
        .map_err(sql_error)?;
    if !get::<bool>(&exists, 0)? {
        return Ok(0);
    }
    let row = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_version",
            &[],
        )
        .await
        .map_err(sql_error)?;
    let version = get::<i64>(&row, 0)?;
    u32::try_from(version).map_err(|_| PortError::permanent(format!("schema version {version}")))
}

/// Creates `schema` when named and missing, and applies the migrations the
/// database lacks, in one transaction; returns the schema version after.
///
/// # Errors
/// A PostgreSQL failure (nothing is applied then), or `Permanent` when the
/// database is at a version newer than [`SCHEMA_VERSION`].
pub(crate) async fn run(client: &mut Object, schema: Option<&str>) -> PortResult<u32> {
    let tx = client.transaction().await.map_err(sql_error)?;
    // One migrating process per schema at a time; the lock ends with the
    // transaction.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('pika-migrations:' || $1::TEXT))",
        &[&schema.unwrap_or("")],
    )
    .await
    .map_err(sql_error)?;
    if let Some(schema) = schema {
        // The name was checked to be a plain identifier.
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .await
            .map_err(sql_error)?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version     BIGINT PRIMARY KEY,
             name        TEXT NOT NULL,
             applied_at  TEXT NOT NULL
         )",
    )
    .await
    .map_err(sql_error)?;
    let current = current_version(&tx).await?;
    if current > SCHEMA_VERSION {
        return Err(PortError::permanent(format!(
            "the database is at schema version {current}, newer than this build's {SCHEMA_VERSION}"
        )));
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tracing::info!(
            version = m.version,
            name = m.name,
            "applying PostgreSQL migration"
        );
        tx.batch_execute(m.sql).await.map_err(sql_error)?;
        tx.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)",
            &[&i64::from(m.version), &m.name, &time_key(&Utc::now())],
        )
        .await
        .map_err(sql_error)?;
    }
    tx.commit().await.map_err(sql_error)?;
    Ok(current.max(SCHEMA_VERSION))
}

#[cfg(test)]
mod tests {
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
}

//! [`TurnControl`] on SQLite: the `turns` table holds each session's running
//! turn (lease, stop flag), `turn_events` its events so far. Several servers
//! on one database file see the same turns; each change is one
//! transaction, so two turns never both take a session.

use crate::sqlite::db::SqliteDb;
use crate::sqlite::support::{from_json, time_key, to_json, Fail};
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{MessageId, SessionId};
use pika_domain::stream::SequencedEvent;
use pika_ports::{PortError, PortResult, TurnControl, TurnLease, TurnProgress};
use rusqlite::{params, OptionalExtension};

/// Turn holds in the `turns` and `turn_events` tables (see [`TurnControl`]).
#[derive(Clone, Debug)]
pub struct SqliteTurnControl {
    db: SqliteDb,
}

impl SqliteTurnControl {
    /// The turns of `db`.
    pub fn new(db: SqliteDb) -> Self {
        Self { db }
    }
}

fn seq_of(event: &SequencedEvent) -> Result<i64, PortError> {
    i64::try_from(event.seq).map_err(|_| PortError::invalid("event sequence out of range"))
}

#[async_trait]
impl TurnControl for SqliteTurnControl {
    async fn begin(&self, lease: &TurnLease, now: DateTime<Utc>) -> PortResult<()> {
        let session = lease.session_id.to_string();
        let message = lease.assistant_message_id.to_string();
        let (expires, now) = (time_key(&lease.expires_at), time_key(&now));
        self.db
            .write(move |tx| {
                let taken = tx
                    .prepare_cached(
                        "INSERT INTO turns (session_id, message_id, expires_at, stop) \
                         VALUES (?1, ?2, ?3, 0) \
                         ON CONFLICT (session_id) DO UPDATE \
                         SET message_id = excluded.message_id, expires_at = excluded.expires_at, \
                             stop = CASE WHEN turns.message_id = excluded.message_id THEN turns.stop ELSE 0 END \
                         WHERE turns.message_id = excluded.message_id OR turns.expires_at <= ?4",
                    )?
                    .execute(params![session, message, expires, now])?;
                if taken == 0 {
                    return Err(PortError::conflict("another turn holds this session").into());
                }
                // A turn that took over an expired hold starts with no
                // events and no answers.
                tx.prepare_cached(
                    "DELETE FROM turn_events WHERE session_id = ?1 AND message_id <> ?2",
                )?
                .execute(params![session, message])?;
                tx.prepare_cached(
                    "DELETE FROM turn_decisions WHERE session_id = ?1 AND message_id <> ?2",
                )?
                .execute(params![session, message])?;
                Ok(())
            })
            .await
    }

    async fn heartbeat(&self, lease: &TurnLease, events: &[SequencedEvent]) -> PortResult<bool> {
        let session = lease.session_id.to_string();
        let message = lease.assistant_message_id.to_string();
        let expires = time_key(&lease.expires_at);
        let rows = events
            .iter()
            .map(|e| Ok((seq_of(e)?, to_json(e).map_err(Fail::into_port)?)))
            .collect::<PortResult<Vec<(i64, String)>>>()?;
        self.db
            .write(move |tx| {
                let stop: Option<i64> = tx
                    .prepare_cached(
                        "UPDATE turns SET expires_at = ?3 \
                         WHERE session_id = ?1 AND message_id = ?2 RETURNING stop",
                    )?
                    .query_row(params![session, message, expires], |row| row.get(0))
                    .optional()?;
                let Some(stop) = stop else {
                    return Err(
                        PortError::not_found("this turn no longer holds the session").into(),
                    );
                };
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO turn_events (session_id, message_id, seq, body) \
                     VALUES (?1, ?2, ?3, ?4)",
                )?;
                for (seq, body) in &rows {
                    insert.execute(params![session, message, seq, body])?;
                }
                Ok(stop != 0)
            })
            .await
    }

    async fn request_stop(&self, session: &SessionId, now: DateTime<Utc>) -> PortResult<bool> {
        let session = session.to_string();
        let now = time_key(&now);
        self.db
            .write(move |tx| {
                let asked = tx
                    .prepare_cached(
                        "UPDATE turns SET stop = 1 WHERE session_id = ?1 AND expires_at > ?2",
                    )?
                    .execute(params![session, now])?;
                Ok(asked == 1)
            })
            .await
    }

    async fn decide(
        &self,
        session: &SessionId,
        tool_use_id: &str,
        approve: bool,
        now: DateTime<Utc>,
    ) -> PortResult<bool> {
        let (session, tool_use_id) = (session.to_string(), tool_use_id.to_string());
        let now = time_key(&now);
        self.db
            .write(move |tx| {
                let message: Option<String> = tx
                    .prepare_cached(
                        "SELECT message_id FROM turns WHERE session_id = ?1 AND expires_at > ?2",
                    )?
                    .query_row(params![session, now], |row| row.get(0))
                    .optional()?;
                let Some(message) = message else {
                    return Ok(false);
                };
                // The first answer stands.
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO turn_decisions (session_id, message_id, tool_use_id, approve) \
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![session, message, tool_use_id, i64::from(approve)])?;
                Ok(true)
            })
            .await
    }

    async fn decision(
        &self,
        session: &SessionId,
        message: &MessageId,
        tool_use_id: &str,
    ) -> PortResult<Option<bool>> {
        let (session, message) = (session.to_string(), message.to_string());
        let tool_use_id = tool_use_id.to_string();
        self.db
            .read(move |conn| {
                let approve: Option<i64> = conn
                    .prepare_cached(
                        "SELECT d.approve FROM turn_decisions d \
                         JOIN turns t ON t.session_id = d.session_id AND t.message_id = d.message_id \
                         WHERE d.session_id = ?1 AND d.message_id = ?2 AND d.tool_use_id = ?3",
                    )?
                    .query_row(params![session, message, tool_use_id], |row| row.get(0))
                    .optional()?;
                Ok(approve.map(|a| a != 0))
            })
            .await
    }

    async fn progress(
        &self,
        session: &SessionId,
        message: &MessageId,
        after: Option<u64>,
        now: DateTime<Utc>,
    ) -> PortResult<Option<TurnProgress>> {
        let (session, message) = (session.to_string(), message.to_string());
        let now = time_key(&now);
        let after = after
            .map(|a| i64::try_from(a).unwrap_or(i64::MAX))
            .unwrap_or(-1);
        self.db
            .read(move |conn| {
                let expires: Option<String> = conn
                    .prepare_cached(
                        "SELECT expires_at FROM turns WHERE session_id = ?1 AND message_id = ?2",
                    )?
                    .query_row(params![session, message], |row| row.get(0))
                    .optional()?;
                let Some(expires) = expires else {
                    return Ok(None);
                };
                let mut stmt = conn.prepare_cached(
                    "SELECT body FROM turn_events \
                     WHERE session_id = ?1 AND message_id = ?2 AND seq > ?3 ORDER BY seq",
                )?;
                let bodies = stmt.query_map(params![session, message, after], |row| {
                    row.get::<_, String>(0)
                })?;
                let events = bodies
                    .map(|b| from_json::<SequencedEvent>(&b?))
                    .collect::<Result<Vec<_>, Fail>>()?;
                Ok(Some(TurnProgress {
                    events,
                    running: expires > now,
                }))
            })
            .await
    }

    async fn end(&self, session: &SessionId, message: &MessageId) -> PortResult<()> {
        let (session, message) = (session.to_string(), message.to_string());
        self.db
            .write(move |tx| {
                tx.prepare_cached("DELETE FROM turns WHERE session_id = ?1 AND message_id = ?2")?
                    .execute(params![session, message])?;
                tx.prepare_cached(
                    "DELETE FROM turn_events WHERE session_id = ?1 AND message_id = ?2",
                )?
                .execute(params![session, message])?;
                tx.prepare_cached(
                    "DELETE FROM turn_decisions WHERE session_id = ?1 AND message_id = ?2",
                )?
                .execute(params![session, message])?;
                Ok(())
            })
            .await
    }
}

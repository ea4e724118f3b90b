//! [`TurnControl`] on PostgreSQL: the `turns` table holds each session's
//! running turn (lease, stop flag), `turn_events` its events so far and
//! `turn_decisions` the user's answers to its tool confirmations. Several
//! servers on one database see the same turns.
//!
//! Taking a session is one conditional statement (`INSERT … ON CONFLICT DO
//! UPDATE … WHERE`), which PostgreSQL runs atomically against the row's
//! latest version: two turns never both take a session. Every change that
//! touches more than one table is one transaction that holds the `turns`
//! row's lock, so a turn that lost its hold can add neither events nor
//! answers once the next turn started.

use crate::db::{begin, commit, PostgresDb};
use crate::support::{body_at, execute, get, query, query_opt, time_key, to_i64, to_json};
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{MessageId, SessionId};
use pika_domain::stream::SequencedEvent;
use pika_ports::{PortError, PortResult, TurnControl, TurnLease, TurnProgress};

/// Turn holds in the `turns`, `turn_events` and `turn_decisions` tables
/// (see [`TurnControl`]).
#[derive(Clone, Debug)]
pub struct PostgresTurnControl {
    db: PostgresDb,
}

impl PostgresTurnControl {
    /// The turns of `db`.
    pub fn new(db: PostgresDb) -> Self {
        Self { db }
    }
}

fn seq_of(event: &SequencedEvent) -> PortResult<i64> {
    i64::try_from(event.seq).map_err(|_| PortError::invalid("event sequence out of range"))
}

/// Takes the session for a turn: inserts its row, or takes over the row
/// when it is the same turn's (beginning again is idempotent and keeps its
/// stop flag) or its lease ran out by `$4`. The `WHERE` is evaluated on the
/// row's latest committed version, after waiting for any writer holding
/// it, so of two turns racing for a session exactly one changes a row.
const TAKE_SQL: &str = "INSERT INTO turns (session_id, message_id, expires_at, stop) \
     VALUES ($1, $2, $3, FALSE) \
     ON CONFLICT (session_id) DO UPDATE \
     SET message_id = EXCLUDED.message_id, expires_at = EXCLUDED.expires_at, \
         stop = CASE WHEN turns.message_id = EXCLUDED.message_id THEN turns.stop ELSE FALSE END \
     WHERE turns.message_id = EXCLUDED.message_id OR turns.expires_at <= $4";

/// Appends events, the first one sent under a sequence number standing (a
/// repeated heartbeat changes nothing); one statement for the whole batch.
const APPEND_SQL: &str = "INSERT INTO turn_events (session_id, message_id, seq, body) \
     SELECT $1, $2, e.seq, e.body FROM unnest($3::BIGINT[], $4::TEXT[]) AS e(seq, body) \
     ON CONFLICT (session_id, message_id, seq) DO NOTHING";

/// The lease of the turn writing a message and its events after a
/// sequence number, in one statement (one snapshot): no row when the turn
/// does not hold the session, one row with a `NULL` body when it has no
/// such events.
const PROGRESS_SQL: &str = "SELECT t.expires_at, e.body FROM turns t \
     LEFT JOIN turn_events e ON e.session_id = t.session_id \
         AND e.message_id = t.message_id AND e.seq > $3 \
     WHERE t.session_id = $1 AND t.message_id = $2 \
     ORDER BY e.seq";

#[async_trait]
impl TurnControl for PostgresTurnControl {
    async fn begin(&self, lease: &TurnLease, now: DateTime<Utc>) -> PortResult<()> {
        let session = lease.session_id.to_string();
        let message = lease.assistant_message_id.to_string();
        let (expires, now) = (time_key(&lease.expires_at), time_key(&now));
        let mut client = self.db.client().await?;
        let tx = begin(&mut client).await?;
        let taken = execute(&tx, TAKE_SQL, &[&session, &message, &expires, &now]).await?;
        if taken == 0 {
            return Err(PortError::conflict("another turn holds this session"));
        }
        // A turn that took over an expired hold starts with no events and
        // no answers. The row lock taken above keeps the previous turn's
        // heartbeats and answers out until this commits, and then they no
        // longer find their turn.
        execute(
            &tx,
            "DELETE FROM turn_events WHERE session_id = $1 AND message_id <> $2",
            &[&session, &message],
        )
        .await?;
        execute(
            &tx,
            "DELETE FROM turn_decisions WHERE session_id = $1 AND message_id <> $2",
            &[&session, &message],
        )
        .await?;
        commit(tx).await
    }

    async fn heartbeat(&self, lease: &TurnLease, events: &[SequencedEvent]) -> PortResult<bool> {
        let session = lease.session_id.to_string();
        let message = lease.assistant_message_id.to_string();
        let expires = time_key(&lease.expires_at);
        let (mut seqs, mut bodies) = (Vec::new(), Vec::new());
        for event in events {
            seqs.push(seq_of(event)?);
            bodies.push(to_json(event)?);
        }
        let mut client = self.db.client().await?;
        let tx = begin(&mut client).await?;
        // Renewing locks the row: a takeover waits for these events, and
        // deletes them, rather than slipping in between.
        let stop = query_opt(
            &tx,
            "UPDATE turns SET expires_at = $3 \
             WHERE session_id = $1 AND message_id = $2 RETURNING stop",
            &[&session, &message, &expires],
        )
        .await?
        .ok_or_else(|| PortError::not_found("this turn no longer holds the session"))?;
        let stop: bool = get(&stop, 0)?;
        if !seqs.is_empty() {
            execute(&tx, APPEND_SQL, &[&session, &message, &seqs, &bodies]).await?;
        }
        commit(tx).await?;
        Ok(stop)
    }

    async fn request_stop(&self, session: &SessionId, now: DateTime<Utc>) -> PortResult<bool> {
        let client = self.db.client().await?;
        let asked = execute(
            &client,
            "UPDATE turns SET stop = TRUE WHERE session_id = $1 AND expires_at > $2",
            &[&session.to_string(), &time_key(&now)],
        )
        .await?;
        Ok(asked == 1)
    }

    async fn decide(
        &self,
        session: &SessionId,
        tool_use_id: &str,
        approve: bool,
        now: DateTime<Utc>,
    ) -> PortResult<bool> {
        let session = session.to_string();
        let mut client = self.db.client().await?;
        let tx = begin(&mut client).await?;
        // A share lock: the holder cannot end or be taken over between this
        // read and the insert (no answer is left behind for a turn that is
        // gone), while answers to the same turn do not wait on each other.
        let holder = query_opt(
            &tx,
            "SELECT message_id FROM turns WHERE session_id = $1 AND expires_at > $2 FOR SHARE",
            &[&session, &time_key(&now)],
        )
        .await?;
        let Some(holder) = holder else {
            return Ok(false);
        };
        let message: &str = get(&holder, 0)?;
        // The first answer stands.
        execute(
            &tx,
            "INSERT INTO turn_decisions (session_id, message_id, tool_use_id, approve) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (session_id, message_id, tool_use_id) DO NOTHING",
            &[&session, &message, &tool_use_id, &approve],
        )
        .await?;
        commit(tx).await?;
        Ok(true)
    }

    async fn decision(
        &self,
        session: &SessionId,
        message: &MessageId,
        tool_use_id: &str,
    ) -> PortResult<Option<bool>> {
        let client = self.db.client().await?;
        query_opt(
            &client,
            "SELECT d.approve FROM turn_decisions d \
             JOIN turns t ON t.session_id = d.session_id AND t.message_id = d.message_id \
             WHERE d.session_id = $1 AND d.message_id = $2 AND d.tool_use_id = $3",
            &[&session.to_string(), &message.to_string(), &tool_use_id],
        )
        .await?
        .map(|row| get::<bool>(&row, 0))
        .transpose()
    }

    async fn progress(
        &self,
        session: &SessionId,
        message: &MessageId,
        after: Option<u64>,
        now: DateTime<Utc>,
    ) -> PortResult<Option<TurnProgress>> {
        let after = after.map(to_i64).unwrap_or(-1);
        let client = self.db.client().await?;
        let rows = query(
            &client,
            PROGRESS_SQL,
            &[&session.to_string(), &message.to_string(), &after],
        )
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let expires: &str = get(first, 0)?;
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            if get::<Option<&str>>(row, 1)?.is_some() {
                events.push(body_at::<SequencedEvent>(row, 1)?);
            }
        }
        Ok(Some(TurnProgress {
            events,
            // Fixed-width time keys compare as times, byte by byte.
            running: expires > time_key(&now).as_str(),
        }))
    }

    async fn end(&self, session: &SessionId, message: &MessageId) -> PortResult<()> {
        let (session, message) = (session.to_string(), message.to_string());
        let mut client = self.db.client().await?;
        let tx = begin(&mut client).await?;
        for sql in [
            "DELETE FROM turns WHERE session_id = $1 AND message_id = $2",
            "DELETE FROM turn_events WHERE session_id = $1 AND message_id = $2",
            "DELETE FROM turn_decisions WHERE session_id = $1 AND message_id = $2",
        ] {
            execute(&tx, sql, &[&session, &message]).await?;
        }
        commit(tx).await
    }
}

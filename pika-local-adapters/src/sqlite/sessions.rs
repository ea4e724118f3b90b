//! [`SessionStore`] on SQLite.

use crate::sqlite::db::SqliteDb;
use crate::sqlite::support::{
    decode_cursor, from_json, into_page, page_limit, time_key, to_i64, to_json, Fail, Res,
};
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{ChatAppId, EntityId, SessionId, ShareId, UserId};
use pika_domain::session::{InsightStatus, Session};
use pika_ports::{
    Page, PageRequest, PortError, PortResult, SessionPatch, SessionStore, TurnRecord,
};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

/// Sessions in the `sessions` table (see [`SessionStore`]): conditional
/// create, turn records and patches in one transaction each, newest-first
/// listings by user, user and chat app, and entity, with keyset cursors.
#[derive(Clone, Debug)]
pub struct SqliteSessionStore {
    db: SqliteDb,
}

impl SqliteSessionStore {
    /// The sessions of `db`.
    pub fn new(db: SqliteDb) -> Self {
        Self { db }
    }
}

const BY_USER: &str = "sessions-by-user";
const BY_ENTITY: &str = "sessions-by-entity";

/// A newest-first listing of sessions matching `filter` (placeholders
/// first), after a cursor's session id when `after`, then `LIMIT ?`.
pub(crate) fn newest_first_sql(filter: &str, after: bool) -> String {
    let after = if after { " AND session_id < ?" } else { "" };
    format!(
        "SELECT session_id, body FROM sessions WHERE {filter}{after} \
         ORDER BY session_id DESC LIMIT ?"
    )
}

/// The sessions needing insights, least recently updated first.
pub(crate) const NEEDING_INSIGHTS_SQL: &str = "SELECT body FROM sessions \
     WHERE insight_due IS NOT NULL AND insight_due <= ?1 \
     ORDER BY insight_due, session_id LIMIT ?2";

/// The sessions that expired at or before a time.
pub(crate) const EXPIRED_SQL: &str = "SELECT body FROM sessions \
     WHERE expires_at IS NOT NULL AND expires_at <= ?1 \
     ORDER BY expires_at, session_id LIMIT ?2";

/// The session holding a share id.
pub(crate) const BY_SHARE_SQL: &str = "SELECT body FROM sessions \
     WHERE share_id = ?1 ORDER BY session_id LIMIT 1";

fn missing(id: &SessionId) -> PortError {
    PortError::not_found(format!("session {id} does not exist"))
}

/// The key of the sparse "needs insights" index: `updated_at` while the
/// status asks for an analysis.
fn insight_due(s: &Session) -> Option<String> {
    matches!(
        s.insight_status,
        InsightStatus::Pending | InsightStatus::Failed
    )
    .then(|| time_key(&s.updated_at))
}

fn share_of(s: &Session) -> Option<String> {
    s.share.as_ref().map(|sh| sh.share_id.to_string())
}

fn load(conn: &Connection, id: &SessionId) -> Res<Option<Session>> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM sessions WHERE session_id = ?1")?
        .query_row([id.to_string()], |row| row.get(0))
        .optional()?;
    body.map(|b| from_json(&b)).transpose()
}

/// Writes back a changed session with its index columns and returns it as
/// stored (parsed from the written body, exactly what a later read gives).
fn save(conn: &Connection, s: &Session) -> Res<Session> {
    let body = to_json(s)?;
    conn.prepare_cached(
        "UPDATE sessions SET share_id = ?1, insight_due = ?2, expires_at = ?3, body = ?4 \
         WHERE session_id = ?5",
    )?
    .execute(params![
        share_of(s),
        insight_due(s),
        s.expires_at.as_ref().map(time_key),
        body,
        s.session_id.to_string()
    ])?;
    from_json(&body)
}

fn apply(session: &mut Session, patch: &SessionPatch) {
    if let Some(title) = &patch.title {
        session.title.clone_from(title);
    }
    if let Some(pinned) = patch.pinned {
        session.pinned = pinned;
    }
    if let Some(share) = &patch.share {
        session.share.clone_from(share);
    }
    if let Some(status) = patch.insight_status {
        session.insight_status = status;
    }
    if let Some(analyzed) = patch.last_analyzed_message_id {
        session.last_analyzed_message_id = Some(analyzed);
    }
    if let Some(expires_at) = patch.expires_at {
        session.expires_at = expires_at;
    }
    if let Some(updated_at) = patch.updated_at {
        session.updated_at = updated_at;
    }
}

/// Reads the rows of a `SELECT body …` query as sessions.
fn bodies(conn: &Connection, sql: &str, args: Vec<Value>) -> Res<Vec<Session>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params_from_iter(args), |row| row.get::<_, String>(0))?;
    rows.map(|body| from_json(&body?)).collect()
}

impl SqliteSessionStore {
    async fn newest_first(
        &self,
        tag: &'static str,
        filter: &'static str,
        mut args: Vec<Value>,
        page: PageRequest,
    ) -> PortResult<Page<Session>> {
        let after = page
            .cursor
            .as_ref()
            .map(|c| decode_cursor(tag, c, |k| SessionId::parse(k).ok()))
            .transpose()?;
        let sql = newest_first_sql(filter, after.is_some());
        if let Some(after) = after {
            args.push(Value::Text(after.to_string()));
        }
        let size = page.size();
        args.push(Value::Integer(page_limit(size)));
        let rows = self
            .db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&sql)?;
                let rows = stmt.query_map(params_from_iter(args), |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })?;
                rows.map(|r| {
                    let (id, body) = r?;
                    Ok((id, from_json::<Session>(&body)?))
                })
                .collect::<Res<Vec<_>>>()
            })
            .await?;
        Ok(into_page(rows, size, tag))
    }
}

#[async_trait]
impl SessionStore for SqliteSessionStore {
    async fn create(&self, session: &Session) -> PortResult<()> {
        let s = session.clone();
        let body = to_json(&s).map_err(Fail::into_port)?;
        self.db
            .write(move |tx| {
                let added = tx
                    .prepare_cached(
                        "INSERT INTO sessions (session_id, user_id, chat_app_id, entity_id, \
                         share_id, insight_due, expires_at, body) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                         ON CONFLICT (session_id) DO NOTHING",
                    )?
                    .execute(params![
                        s.session_id.to_string(),
                        s.user_id.as_str(),
                        s.chat_app_id.as_str(),
                        s.entity_id.as_str(),
                        share_of(&s),
                        insight_due(&s),
                        s.expires_at.as_ref().map(time_key),
                        body
                    ])?;
                if added == 0 {
                    return Err(
                        PortError::conflict(format!("session {} exists", s.session_id)).into(),
                    );
                }
                Ok(())
            })
            .await
    }

    async fn get(&self, id: &SessionId) -> PortResult<Option<Session>> {
        let id = *id;
        self.db.read(move |conn| load(conn, &id)).await
    }

    async fn list_by_user(
        &self,
        user: &UserId,
        chat_app: Option<ChatAppId>,
        page: PageRequest,
    ) -> PortResult<Page<Session>> {
        let mut args = vec![Value::Text(user.as_str().to_string())];
        let filter = match chat_app {
            Some(app) => {
                args.push(Value::Text(app.as_str().to_string()));
                "user_id = ? AND chat_app_id = ?"
            }
            None => "user_id = ?",
        };
        self.newest_first(BY_USER, filter, args, page).await
    }

    async fn list_by_entity(
        &self,
        entity: &EntityId,
        page: PageRequest,
    ) -> PortResult<Page<Session>> {
        let args = vec![Value::Text(entity.as_str().to_string())];
        self.newest_first(BY_ENTITY, "entity_id = ?", args, page)
            .await
    }

    async fn get_by_share(&self, share: &ShareId) -> PortResult<Option<Session>> {
        let share = share.to_string();
        self.db
            .read(move |conn| {
                let body: Option<String> = conn
                    .prepare_cached(BY_SHARE_SQL)?
                    .query_row([share], |row| row.get(0))
                    .optional()?;
                body.map(|b| from_json(&b)).transpose()
            })
            .await
    }

    async fn list_needing_insights(
        &self,
        idle_before: DateTime<Utc>,
        limit: u32,
    ) -> PortResult<Vec<Session>> {
        let args = vec![
            Value::Text(time_key(&idle_before)),
            Value::Integer(to_i64(u64::from(limit))),
        ];
        self.db
            .read(move |conn| bodies(conn, NEEDING_INSIGHTS_SQL, args))
            .await
    }

    async fn list_expired(&self, now: DateTime<Utc>, limit: u32) -> PortResult<Vec<Session>> {
        let args = vec![
            Value::Text(time_key(&now)),
            Value::Integer(to_i64(u64::from(limit))),
        ];
        self.db
            .read(move |conn| bodies(conn, EXPIRED_SQL, args))
            .await
    }

    async fn record_turn(&self, id: &SessionId, turn: &TurnRecord) -> PortResult<Session> {
        let (id, turn) = (*id, turn.clone());
        self.db
            .write(move |tx| {
                let mut s = load(tx, &id)?.ok_or_else(|| missing(&id))?;
                s.usage += turn.usage;
                s.last_message_id = Some(turn.last_message_id);
                s.updated_at = turn.at;
                if turn.mark_for_insights {
                    s.insight_status = InsightStatus::Pending;
                }
                save(tx, &s)
            })
            .await
    }

    async fn update(&self, id: &SessionId, patch: &SessionPatch) -> PortResult<Session> {
        let (id, patch) = (*id, patch.clone());
        self.db
            .write(move |tx| {
                let mut s = load(tx, &id)?.ok_or_else(|| missing(&id))?;
                if let Some(expected) = &patch.if_last_message_id {
                    if s.last_message_id.as_ref() != Some(expected) {
                        return Err(PortError::conflict(format!(
                            "session {id}: newest message is no longer {expected}"
                        ))
                        .into());
                    }
                }
                apply(&mut s, &patch);
                save(tx, &s)
            })
            .await
    }

    async fn delete(&self, id: &SessionId) -> PortResult<()> {
        let id = id.to_string();
        self.db
            .write(move |tx| {
                tx.prepare_cached("DELETE FROM sessions WHERE session_id = ?1")?
                    .execute([id])?;
                Ok(())
            })
            .await
    }
}

//! [`SessionStore`] on PostgreSQL.

use crate::db::{begin, commit, PostgresDb};
use crate::support::{
    body_at, decode_cursor, execute, get, into_page, page_limit, query, query_opt, time_key,
    to_i64, to_json,
};
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{ChatAppId, EntityId, SessionId, ShareId, UserId};
use pika_domain::session::{InsightStatus, Session};
use pika_ports::{
    Page, PageRequest, PortError, PortResult, SessionPatch, SessionStore, TurnRecord,
};
use tokio_postgres::types::ToSql;

/// Sessions in the `sessions` table (see [`SessionStore`]): conditional
/// create; turn records and patches each one transaction holding the row's
/// lock, so concurrent turns on one session add up; newest-first listings
/// by user, user and chat app, and entity, with keyset cursors.
#[derive(Clone, Debug)]
pub struct PostgresSessionStore {
    db: PostgresDb,
}

impl PostgresSessionStore {
    /// The sessions of `db`.
    pub fn new(db: PostgresDb) -> Self {
        Self { db }
    }
}

const BY_USER: &str = "sessions-by-user";
const BY_ENTITY: &str = "sessions-by-entity";

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

/// The session `id`, its row locked until the transaction ends.
async fn load_for_update<C: GenericClient + Sync>(
    client: &C,
    id: &SessionId,
) -> PortResult<Session> {
    let row = query_opt(
        client,
        "SELECT body FROM sessions WHERE session_id = $1 FOR UPDATE",
        &[&id.to_string()],
    )
    .await?
    .ok_or_else(|| missing(id))?;
    body_at(&row, 0)
}

/// Writes back a changed session with its index columns and returns it as
/// stored (parsed from the written body, exactly what a later read gives).
async fn save<C: GenericClient + Sync>(client: &C, s: &Session) -> PortResult<Session> {
    let body = to_json(s)?;
    execute(
        client,
        "UPDATE sessions SET share_id = $1, insight_due = $2, expires_at = $3, body = $4 \
         WHERE session_id = $5",
        &[
            &share_of(s),
            &insight_due(s),
            &s.expires_at.as_ref().map(time_key),
            &body,
            &s.session_id.to_string(),
        ],
    )
    .await?;
    crate::support::from_json(&body)
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

impl PostgresSessionStore {
    /// A newest-first page of the sessions matching `filter`, whose
    /// placeholders are `$1` up to `$n` for the `n` values of `args`.
    async fn newest_first(
        &self,
        tag: &'static str,
        filter: &str,
        args: &[&(dyn ToSql + Sync)],
        page: PageRequest,
    ) -> PortResult<Page<Session>> {
        let after = page
            .cursor
            .as_ref()
            .map(|c| decode_cursor(tag, c, |k| SessionId::parse(k).ok()))
            .transpose()?
            .map(|id| id.to_string());
        let size = page.size();
        let limit = page_limit(size);
        let n = args.len();
        let mut params: Vec<&(dyn ToSql + Sync)> = args.to_vec();
        let sql = match &after {
            Some(after) => {
                params.push(after);
                format!(
                    "SELECT session_id, body FROM sessions WHERE {filter} AND session_id < ${} \
                     ORDER BY session_id DESC LIMIT ${}",
                    n + 1,
                    n + 2
                )
            }
            None => format!(
                "SELECT session_id, body FROM sessions WHERE {filter} \
                 ORDER BY session_id DESC LIMIT ${}",
                n + 1
            ),
        };
        params.push(&limit);
        let client = self.db.client().await?;
        let rows = query(&client, &sql, &params)
            .await?
            .iter()
            .map(|row| Ok((get::<String>(row, 0)?, body_at::<Session>(row, 1)?)))
            .collect::<PortResult<Vec<_>>>()?;
        Ok(into_page(rows, size, tag))
    }

    /// The sessions of a `SELECT body …` query.
    async fn bodies(&self, sql: &str, args: &[&(dyn ToSql + Sync)]) -> PortResult<Vec<Session>> {
        let client = self.db.client().await?;
        query(&client, sql, args)
            .await?
            .iter()
            .map(|row| body_at(row, 0))
            .collect()
    }
}

#[async_trait]
impl SessionStore for PostgresSessionStore {
    async fn create(&self, session: &Session) -> PortResult<()> {
        let s = session;
        let body = to_json(s)?;
        let client = self.db.client().await?;
        let added = execute(
            &client,
            "INSERT INTO sessions (session_id, user_id, chat_app_id, entity_id, \
             share_id, insight_due, expires_at, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (session_id) DO NOTHING",
            &[
                &s.session_id.to_string(),
                &s.user_id.as_str(),
                &s.chat_app_id.as_str(),
                &s.entity_id.as_str(),
                &share_of(s),
                &insight_due(s),
                &s.expires_at.as_ref().map(time_key),
                &body,
            ],
        )
        .await?;
        if added == 0 {
            return Err(PortError::conflict(format!(
                "session {} exists",
                s.session_id
            )));
        }
        Ok(())
    }

    async fn get(&self, id: &SessionId) -> PortResult<Option<Session>> {
        let client = self.db.client().await?;
        query_opt(
            &client,
            "SELECT body FROM sessions WHERE session_id = $1",
            &[&id.to_string()],
        )
        .await?
        .map(|row| body_at(&row, 0))
        .transpose()
    }

    async fn list_by_user(
        &self,
        user: &UserId,
        chat_app: Option<ChatAppId>,
        page: PageRequest,
    ) -> PortResult<Page<Session>> {
        let user = user.as_str();
        match chat_app {
            Some(app) => {
                let app = app.as_str();
                self.newest_first(
                    BY_USER,
                    "user_id = $1 AND chat_app_id = $2",
                    &[&user, &app],
                    page,
                )
                .await
            }
            None => {
                self.newest_first(BY_USER, "user_id = $1", &[&user], page)
                    .await
            }
        }
    }

    async fn list_by_entity(
        &self,
        entity: &EntityId,
        page: PageRequest,
    ) -> PortResult<Page<Session>> {
        self.newest_first(BY_ENTITY, "entity_id = $1", &[&entity.as_str()], page)
            .await
    }

    async fn get_by_share(&self, share: &ShareId) -> PortResult<Option<Session>> {
        let client = self.db.client().await?;
        query_opt(
            &client,
            "SELECT body FROM sessions WHERE share_id = $1 ORDER BY session_id LIMIT 1",
            &[&share.to_string()],
        )
        .await?
        .map(|row| body_at(&row, 0))
        .transpose()
    }

    async fn list_needing_insights(
        &self,
        idle_before: DateTime<Utc>,
        limit: u32,
    ) -> PortResult<Vec<Session>> {
        self.bodies(
            "SELECT body FROM sessions \
             WHERE insight_due IS NOT NULL AND insight_due <= $1 \
             ORDER BY insight_due, session_id LIMIT $2",
            &[&time_key(&idle_before), &to_i64(u64::from(limit))],
        )
        .await
    }

    async fn list_expired(&self, now: DateTime<Utc>, limit: u32) -> PortResult<Vec<Session>> {
        self.bodies(
            "SELECT body FROM sessions \
             WHERE expires_at IS NOT NULL AND expires_at <= $1 \
             ORDER BY expires_at, session_id LIMIT $2",
            &[&time_key(&now), &to_i64(u64::from(limit))],
        )
        .await
    }

    async fn record_turn(&self, id: &SessionId, turn: &TurnRecord) -> PortResult<Session> {
        let mut client = self.db.client().await?;
        let tx = begin(&mut client).await?;
        let mut s = load_for_update(&tx, id).await?;
        s.usage += turn.usage;
        s.last_message_id = Some(turn.last_message_id);
        s.updated_at = turn.at;
        if turn.mark_for_insights {
            s.insight_status = InsightStatus::Pending;
        }
        let saved = save(&tx, &s).await?;
        commit(tx).await?;
        Ok(saved)
    }

    async fn update(&self, id: &SessionId, patch: &SessionPatch) -> PortResult<Session> {
        let mut client = self.db.client().await?;
        let tx = begin(&mut client).await?;
        let mut s = load_for_update(&tx, id).await?;
        if let Some(expected) = &patch.if_last_message_id {
            if s.last_message_id.as_ref() != Some(expected) {
                return Err(PortError::conflict(format!(
                    "session {id}: newest message is no longer {expected}"
                )));
            }
        }
        apply(&mut s, patch);
        let saved = save(&tx, &s).await?;
        commit(tx).await?;
        Ok(saved)
    }

    async fn delete(&self, id: &SessionId) -> PortResult<()> {
        let client = self.db.client().await?;
        execute(
            &client,
            "DELETE FROM sessions WHERE session_id = $1",
            &[&id.to_string()],
        )
        .await?;
        Ok(())
    }
}

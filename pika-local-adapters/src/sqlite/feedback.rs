//! [`FeedbackStore`] on SQLite.

use crate::sqlite::db::SqliteDb;
use crate::sqlite::support::{
    decode_cursor, enum_text, from_json, into_page, page_limit, parse_time, time_key, to_json,
    Fail, Res,
};
use async_trait::async_trait;
use pika_domain::feedback::Feedback;
use pika_domain::ids::{FeedbackId, SessionId};
use pika_ports::{FeedbackFilter, FeedbackStore, Page, PageRequest, PortError, PortResult};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension};

/// Feedback records in the `feedback` table (see [`FeedbackStore`]).
/// Listings order by (`created_at`, `feedback_id`), each filter combination
/// served by its own index.
#[derive(Clone, Debug)]
pub struct SqliteFeedbackStore {
    db: SqliteDb,
}

impl SqliteFeedbackStore {
    /// The feedback of `db`.
    pub fn new(db: SqliteDb) -> Self {
        Self { db }
    }
}

const TAG: &str = "feedback";

/// A newest-first page of feedback, filtered by status and / or chat app,
/// after a cursor's (`created_at`, id) when `after`.
pub(crate) fn list_sql(status: bool, app: bool, after: bool) -> String {
    let mut conditions = Vec::new();
    if status {
        conditions.push("status = ?");
    }
    if app {
        conditions.push("chat_app_id = ?");
    }
    if after {
        conditions.push("(created_at, feedback_id) < (?, ?)");
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {} ", conditions.join(" AND "))
    };
    format!(
        "SELECT created_at, feedback_id, body FROM feedback {filter}\
         ORDER BY created_at DESC, feedback_id DESC LIMIT ?"
    )
}

/// The feedback of one session, oldest first.
pub(crate) const BY_SESSION_SQL: &str =
    "SELECT body FROM feedback WHERE session_id = ?1 ORDER BY created_at, feedback_id";

/// The index columns of a record, then its body.
fn columns(f: &Feedback) -> Res<[String; 5]> {
    Ok([
        f.session_id.to_string(),
        f.chat_app_id.as_str().to_string(),
        enum_text(&f.status)?,
        time_key(&f.created_at),
        to_json(f)?,
    ])
}

fn parse_key(raw: &str) -> Option<(String, String)> {
    let (at, id) = raw.split_once('|')?;
    parse_time(at).ok()?;
    FeedbackId::parse(id).ok()?;
    Some((at.to_string(), id.to_string()))
}

#[async_trait]
impl FeedbackStore for SqliteFeedbackStore {
    async fn create(&self, feedback: &Feedback) -> PortResult<()> {
        let id = feedback.feedback_id;
        let [session, app, status, created, body] = columns(feedback).map_err(Fail::into_port)?;
        self.db
            .write(move |tx| {
                let added = tx
                    .prepare_cached(
                        "INSERT INTO feedback (feedback_id, session_id, chat_app_id, status, \
                         created_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                         ON CONFLICT (feedback_id) DO NOTHING",
                    )?
                    .execute(params![id.to_string(), session, app, status, created, body])?;
                if added == 0 {
                    return Err(PortError::conflict(format!("feedback {id} exists")).into());
                }
                Ok(())
            })
            .await
    }

    async fn get(&self, id: &FeedbackId) -> PortResult<Option<Feedback>> {
        let id = id.to_string();
        self.db
            .read(move |conn| {
                let body: Option<String> = conn
                    .prepare_cached("SELECT body FROM feedback WHERE feedback_id = ?1")?
                    .query_row([id], |row| row.get(0))
                    .optional()?;
                body.map(|b| from_json(&b)).transpose()
            })
            .await
    }

    async fn update(&self, feedback: &Feedback) -> PortResult<()> {
        let id = feedback.feedback_id;
        let [session, app, status, created, body] = columns(feedback).map_err(Fail::into_port)?;
        self.db
            .write(move |tx| {
                let changed = tx
                    .prepare_cached(
                        "UPDATE feedback SET session_id = ?1, chat_app_id = ?2, status = ?3, \
                         created_at = ?4, body = ?5 WHERE feedback_id = ?6",
                    )?
                    .execute(params![session, app, status, created, body, id.to_string()])?;
                if changed == 0 {
                    return Err(
                        PortError::not_found(format!("feedback {id} does not exist")).into(),
                    );
                }
                Ok(())
            })
            .await
    }

    async fn list_by_session(&self, session: &SessionId) -> PortResult<Vec<Feedback>> {
        let session = session.to_string();
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(BY_SESSION_SQL)?;
                let rows = stmt.query_map([session], |row| row.get::<_, String>(0))?;
                rows.map(|body| from_json(&body?)).collect()
            })
            .await
    }

    async fn list(&self, filter: &FeedbackFilter, page: PageRequest) -> PortResult<Page<Feedback>> {
        let after = page
            .cursor
            .as_ref()
            .map(|c| decode_cursor(TAG, c, parse_key))
            .transpose()?;
        let mut args = Vec::new();
        if let Some(status) = &filter.status {
            args.push(Value::Text(enum_text(status).map_err(Fail::into_port)?));
        }
        if let Some(app) = &filter.chat_app_id {
            args.push(Value::Text(app.as_str().to_string()));
        }
        let sql = list_sql(
            filter.status.is_some(),
            filter.chat_app_id.is_some(),
            after.is_some(),
        );
        if let Some((at, id)) = after {
            args.extend([Value::Text(at), Value::Text(id)]);
        }
        let size = page.size();
        args.push(Value::Integer(page_limit(size)));
        let rows = self
            .db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&sql)?;
                let rows = stmt.query_map(params_from_iter(args), |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                    ))
                })?;
                rows.map(|r| {
                    let (at, id, body) = r?;
                    Ok((format!("{at}|{id}"), from_json::<Feedback>(&body)?))
                })
                .collect::<Res<Vec<_>>>()
            })
            .await?;
        Ok(into_page(rows, size, TAG))
    }

    async fn delete_by_session(&self, session: &SessionId) -> PortResult<()> {
        let session = session.to_string();
        self.db
            .write(move |tx| {
                tx.prepare_cached("DELETE FROM feedback WHERE session_id = ?1")?
                    .execute([session])?;
                Ok(())
            })
            .await
    }
}

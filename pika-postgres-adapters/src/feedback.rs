//! [`FeedbackStore`] on PostgreSQL.

use crate::db::PostgresDb;
use crate::support::{
    body_at, decode_cursor, enum_text, execute, get, into_page, page_limit, parse_time, query,
    query_opt, time_key, to_json,
};
use async_trait::async_trait;
use pika_domain::feedback::Feedback;
use pika_domain::ids::{FeedbackId, SessionId};
use pika_ports::{FeedbackFilter, FeedbackStore, Page, PageRequest, PortError, PortResult};
use tokio_postgres::types::ToSql;

/// Feedback records in the `feedback` table (see [`FeedbackStore`]).
/// Listings order by (`created_at`, `feedback_id`), each filter combination
/// served by its own index, with keyset cursors.
#[derive(Clone, Debug)]
pub struct PostgresFeedbackStore {
    db: PostgresDb,
}

impl PostgresFeedbackStore {
    /// The feedback of `db`.
    pub fn new(db: PostgresDb) -> Self {
        Self { db }
    }
}

const TAG: &str = "feedback";

/// A newest-first page of feedback, filtered by status and / or chat app,
/// after a cursor's (`created_at`, id) when `after`. The placeholders are
/// numbered in that order (status, chat app, cursor time, cursor id), then
/// the limit. The conditions are equalities on the leading columns of one
/// index (`feedback_by_status_app`, `_by_status`, `_by_app`, `_by_time`)
/// and a row comparison on its trailing (`created_at`, `feedback_id`), so
/// every combination walks an index backwards from the cursor.
fn list_sql(status: bool, app: bool, after: bool) -> String {
    let mut conditions = Vec::new();
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    if status {
        conditions.push(format!("status = ${}", next()));
    }
    if app {
        conditions.push(format!("chat_app_id = ${}", next()));
    }
    if after {
        let (at, id) = (next(), next());
        conditions.push(format!("(created_at, feedback_id) < (${at}, ${id})"));
    }
    let limit = next();
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {} ", conditions.join(" AND "))
    };
    format!(
        "SELECT created_at, feedback_id, body FROM feedback {filter}\
         ORDER BY created_at DESC, feedback_id DESC LIMIT ${limit}"
    )
}

/// The feedback of one session, oldest first (index `feedback_by_session`).
const BY_SESSION_SQL: &str =
    "SELECT body FROM feedback WHERE session_id = $1 ORDER BY created_at, feedback_id";

/// The index columns of a record, then its body.
fn columns(f: &Feedback) -> PortResult<[String; 5]> {
    Ok([
        f.session_id.to_string(),
        f.chat_app_id.as_str().to_string(),
        enum_text(&f.status)?,
        time_key(&f.created_at),
        to_json(f)?,
    ])
}

/// A cursor's key, `created_at|feedback_id`, checked to be a time and an id
/// so that a forged cursor is refused rather than compared.
fn parse_key(raw: &str) -> Option<(String, String)> {
    let (at, id) = raw.split_once('|')?;
    parse_time(at).ok()?;
    FeedbackId::parse(id).ok()?;
    Some((at.to_string(), id.to_string()))
}

#[async_trait]
impl FeedbackStore for PostgresFeedbackStore {
    async fn create(&self, feedback: &Feedback) -> PortResult<()> {
        let id = feedback.feedback_id.to_string();
        let [session, app, status, created, body] = columns(feedback)?;
        let client = self.db.client().await?;
        // Conditional insert: of two creates of one id, exactly one adds
        // the row; the other sees it changed nothing.
        let added = execute(
            &client,
            "INSERT INTO feedback (feedback_id, session_id, chat_app_id, status, \
             created_at, body) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (feedback_id) DO NOTHING",
            &[&id, &session, &app, &status, &created, &body],
        )
        .await?;
        if added == 0 {
            return Err(PortError::conflict(format!("feedback {id} exists")));
        }
        Ok(())
    }

    async fn get(&self, id: &FeedbackId) -> PortResult<Option<Feedback>> {
        let client = self.db.client().await?;
        query_opt(
            &client,
            "SELECT body FROM feedback WHERE feedback_id = $1",
            &[&id.to_string()],
        )
        .await?
        .map(|row| body_at(&row, 0))
        .transpose()
    }

    async fn update(&self, feedback: &Feedback) -> PortResult<()> {
        let id = feedback.feedback_id.to_string();
        let [session, app, status, created, body] = columns(feedback)?;
        let client = self.db.client().await?;
        // A whole replacement needs no read first: one statement that
        // tells by its row count whether the record exists.
        let changed = execute(
            &client,
            "UPDATE feedback SET session_id = $1, chat_app_id = $2, status = $3, \
             created_at = $4, body = $5 WHERE feedback_id = $6",
            &[&session, &app, &status, &created, &body, &id],
        )
        .await?;
        if changed == 0 {
            return Err(PortError::not_found(format!(
                "feedback {id} does not exist"
            )));
        }
        Ok(())
    }

    async fn list_by_session(&self, session: &SessionId) -> PortResult<Vec<Feedback>> {
        let client = self.db.client().await?;
        query(&client, BY_SESSION_SQL, &[&session.to_string()])
            .await?
            .iter()
            .map(|row| body_at(row, 0))
            .collect()
    }

    async fn list(&self, filter: &FeedbackFilter, page: PageRequest) -> PortResult<Page<Feedback>> {
        let after = page
            .cursor
            .as_ref()
            .map(|c| decode_cursor(TAG, c, parse_key))
            .transpose()?;
        let status = filter.status.as_ref().map(enum_text).transpose()?;
        let app = filter.chat_app_id.as_ref().map(|a| a.as_str());
        let size = page.size();
        let limit = page_limit(size);
        // The arguments in the order of `list_sql`'s placeholders.
        let mut args: Vec<&(dyn ToSql + Sync)> = Vec::new();
        if let Some(status) = &status {
            args.push(status);
        }
        if let Some(app) = &app {
            args.push(app);
        }
        if let Some((at, id)) = &after {
            args.push(at);
            args.push(id);
        }
        args.push(&limit);
        let sql = list_sql(status.is_some(), app.is_some(), after.is_some());
        let client = self.db.client().await?;
        let rows = query(&client, &sql, &args)
            .await?
            .iter()
            .map(|row| {
                let at = get::<&str>(row, 0)?;
                let id = get::<&str>(row, 1)?;
                Ok((format!("{at}|{id}"), body_at::<Feedback>(row, 2)?))
            })
            .collect::<PortResult<Vec<_>>>()?;
        Ok(into_page(rows, size, TAG))
    }

    async fn delete_by_session(&self, session: &SessionId) -> PortResult<()> {
        let client = self.db.client().await?;
        execute(
            &client,
            "DELETE FROM feedback WHERE session_id = $1",
            &[&session.to_string()],
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_placeholders_count_up_from_one() {
        assert_eq!(
            list_sql(true, true, true),
            "SELECT created_at, feedback_id, body FROM feedback WHERE status = $1 AND \
             chat_app_id = $2 AND (created_at, feedback_id) < ($3, $4) \
             ORDER BY created_at DESC, feedback_id DESC LIMIT $5"
        );
        assert_eq!(
            list_sql(false, true, false),
            "SELECT created_at, feedback_id, body FROM feedback WHERE chat_app_id = $1 \
             ORDER BY created_at DESC, feedback_id DESC LIMIT $2"
        );
        assert_eq!(
            list_sql(false, false, false),
            "SELECT created_at, feedback_id, body FROM feedback \
             ORDER BY created_at DESC, feedback_id DESC LIMIT $1"
        );
    }
}

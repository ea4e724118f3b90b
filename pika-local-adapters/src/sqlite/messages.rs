//! [`MessageStore`] on SQLite, with the client-message claims.

use crate::sqlite::db::SqliteDb;
use crate::sqlite::support::{
    bad_data, decode_cursor, from_json, into_page, page_limit, parse_time, time_key, to_i64,
    to_json, Fail, Res,
};
use async_trait::async_trait;
use pika_domain::ids::{ClientMessageId, MessageId, SessionId, UserId};
use pika_domain::message::Message;
use pika_ports::{ClaimOutcome, MessageStore, Page, PageRequest, PortError, PortResult, TurnClaim};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

pub use pika_ports::MAX_MESSAGE_BYTES;

/// Messages keyed by (session id, message id) and claims keyed by (user,
/// client message id) (see [`MessageStore`]): conditional puts and claims,
/// oldest-first pages with keyset cursors, a size limit
/// ([`MAX_MESSAGE_BYTES`]).
#[derive(Clone, Debug)]
pub struct SqliteMessageStore {
    db: SqliteDb,
}

impl SqliteMessageStore {
    /// The messages of `db`.
    pub fn new(db: SqliteDb) -> Self {
        Self { db }
    }
}

const TAG: &str = "messages";

/// A page of a session's messages in id order, after a cursor's id when
/// `after`.
pub(crate) fn list_sql(after: bool) -> &'static str {
    if after {
        "SELECT message_id, body FROM messages WHERE session_id = ?1 AND message_id > ?2 \
         ORDER BY message_id LIMIT ?3"
    } else {
        "SELECT message_id, body FROM messages WHERE session_id = ?1 \
         ORDER BY message_id LIMIT ?2"
    }
}

/// The newest messages of a session, newest first.
pub(crate) const LATEST_SQL: &str =
    "SELECT body FROM messages WHERE session_id = ?1 ORDER BY message_id DESC LIMIT ?2";

const CLAIM_COLUMNS: &str = "session_id, user_message_id, assistant_message_id, claimed_at";

fn claim_of(row: &Row<'_>) -> Res<TurnClaim> {
    let text = |i: usize| row.get::<_, String>(i);
    let (session, user_msg, assistant_msg, at) = (text(0)?, text(1)?, text(2)?, text(3)?);
    let id = |raw: &str| MessageId::parse(raw).map_err(bad_data);
    Ok(TurnClaim {
        session_id: SessionId::parse(&session).map_err(bad_data)?,
        user_message_id: id(&user_msg)?,
        assistant_message_id: id(&assistant_msg)?,
        claimed_at: parse_time(&at)?,
    })
}

fn find_claim(conn: &Connection, user: &str, client: &str) -> Res<Option<TurnClaim>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CLAIM_COLUMNS} FROM client_message_claims \
         WHERE user_id = ?1 AND client_message_id = ?2"
    ))?;
    let mut rows = stmt.query([user, client])?;
    rows.next()?.map(claim_of).transpose()
}

#[async_trait]
impl MessageStore for SqliteMessageStore {
    async fn put(&self, message: &Message) -> PortResult<()> {
        let body = to_json(message).map_err(Fail::into_port)?;
        if body.len() > MAX_MESSAGE_BYTES {
            return Err(PortError::invalid(format!(
                "message {} is {} bytes, more than {MAX_MESSAGE_BYTES}",
                message.message_id,
                body.len()
            )));
        }
        let (session, id) = (message.session_id, message.message_id);
        self.db
            .write(move |tx| {
                let added = tx
                    .prepare_cached(
                        "INSERT INTO messages (session_id, message_id, body) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (session_id, message_id) DO NOTHING",
                    )?
                    .execute(params![session.to_string(), id.to_string(), body])?;
                if added == 0 {
                    return Err(PortError::conflict(format!(
                        "message {id} exists in session {session}"
                    ))
                    .into());
                }
                Ok(())
            })
            .await
    }

    async fn get(&self, session: &SessionId, id: &MessageId) -> PortResult<Option<Message>> {
        let (session, id) = (session.to_string(), id.to_string());
        self.db
            .read(move |conn| {
                let body: Option<String> = conn
                    .prepare_cached(
                        "SELECT body FROM messages WHERE session_id = ?1 AND message_id = ?2",
                    )?
                    .query_row([session, id], |row| row.get(0))
                    .optional()?;
                body.map(|b| from_json(&b)).transpose()
            })
            .await
    }

    async fn list(&self, session: &SessionId, page: PageRequest) -> PortResult<Page<Message>> {
        let after = page
            .cursor
            .as_ref()
            .map(|c| decode_cursor(TAG, c, |k| MessageId::parse(k).ok()))
            .transpose()?;
        let size = page.size();
        let mut args = vec![Value::Text(session.to_string())];
        if let Some(after) = after {
            args.push(Value::Text(after.to_string()));
        }
        args.push(Value::Integer(page_limit(size)));
        let sql = list_sql(after.is_some());
        let rows = self
            .db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(sql)?;
                let rows = stmt.query_map(params_from_iter(args), |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })?;
                rows.map(|r| {
                    let (id, body) = r?;
                    Ok((id, from_json::<Message>(&body)?))
                })
                .collect::<Res<Vec<_>>>()
            })
            .await?;
        Ok(into_page(rows, size, TAG))
    }

    async fn latest(&self, session: &SessionId, limit: u32) -> PortResult<Vec<Message>> {
        let session = session.to_string();
        let limit = to_i64(u64::from(limit));
        let mut newest = self
            .db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(LATEST_SQL)?;
                let rows =
                    stmt.query_map(params![session, limit], |row| row.get::<_, String>(0))?;
                rows.map(|body| from_json::<Message>(&body?))
                    .collect::<Res<Vec<_>>>()
            })
            .await?;
        newest.reverse();
        Ok(newest)
    }

    async fn delete_session(&self, session: &SessionId) -> PortResult<()> {
        let session = session.to_string();
        self.db
            .write(move |tx| {
                tx.prepare_cached("DELETE FROM messages WHERE session_id = ?1")?
                    .execute([session])?;
                Ok(())
            })
            .await
    }

    async fn claim_client_message(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
        claim: &TurnClaim,
    ) -> PortResult<ClaimOutcome> {
        let (user, client) = (user.as_str().to_string(), client_id.as_str().to_string());
        let claim = claim.clone();
        self.db
            .write(move |tx| {
                let added = tx
                    .prepare_cached(&format!(
                        "INSERT INTO client_message_claims (user_id, client_message_id, \
                         {CLAIM_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                         ON CONFLICT (user_id, client_message_id) DO NOTHING"
                    ))?
                    .execute(params![
                        user,
                        client,
                        claim.session_id.to_string(),
                        claim.user_message_id.to_string(),
                        claim.assistant_message_id.to_string(),
                        time_key(&claim.claimed_at)
                    ])?;
                if added == 1 {
                    return Ok(ClaimOutcome::Claimed);
                }
                let existing = find_claim(tx, &user, &client)?.ok_or_else(|| {
                    bad_data(format!(
                        "claim of {user}/{client} vanished inside its transaction"
                    ))
                })?;
                Ok(ClaimOutcome::Existing(existing))
            })
            .await
    }

    async fn get_client_message(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
    ) -> PortResult<Option<TurnClaim>> {
        let (user, client) = (user.as_str().to_string(), client_id.as_str().to_string());
        self.db
            .read(move |conn| find_claim(conn, &user, &client))
            .await
    }

    async fn release_client_message(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
    ) -> PortResult<()> {
        let (user, client) = (user.as_str().to_string(), client_id.as_str().to_string());
        self.db
            .write(move |tx| {
                tx.prepare_cached(
                    "DELETE FROM client_message_claims \
                     WHERE user_id = ?1 AND client_message_id = ?2",
                )?
                .execute([user, client])?;
                Ok(())
            })
            .await
    }
}

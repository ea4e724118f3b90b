//! [`MessageStore`] on PostgreSQL, with the client-message claims.

use crate::db::PostgresDb;
use crate::support::{
    bad_data, body_at, decode_cursor, execute, get, into_page, page_limit, parse_time, query,
    query_opt, time_key, to_i64, to_json,
};
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use pika_domain::ids::{ClientMessageId, MessageId, SessionId, UserId};
use pika_domain::message::Message;
use pika_ports::{ClaimOutcome, MessageStore, Page, PageRequest, PortError, PortResult, TurnClaim};
use tokio_postgres::Row;

/// The largest message (as JSON bytes) the store holds; past it `put`
/// refuses the message as `Invalid`. A `text` value holds up to 1 GB, so
/// every message up to this limit is stored whole, in one row.
pub use pika_ports::MAX_MESSAGE_BYTES;

/// Messages keyed by (session id, message id) and claims keyed by (user,
/// client message id) (see [`MessageStore`]): conditional puts and claims,
/// oldest-first pages with keyset cursors, a size limit
/// ([`MAX_MESSAGE_BYTES`]).
#[derive(Clone, Debug)]
pub struct PostgresMessageStore {
    db: PostgresDb,
}

impl PostgresMessageStore {
    /// The messages of `db`.
    pub fn new(db: PostgresDb) -> Self {
        Self { db }
    }
}

const TAG: &str = "messages";

/// How many times a claim is tried when the claim it lost to is released
/// before it could be read (each try is an insert, then a read).
const CLAIM_TRIES: usize = 3;

fn claim_of(row: &Row) -> PortResult<TurnClaim> {
    let text = |i: usize| get::<&str>(row, i);
    let id = |raw: &str| MessageId::parse(raw).map_err(bad_data);
    Ok(TurnClaim {
        session_id: SessionId::parse(text(0)?).map_err(bad_data)?,
        user_message_id: id(text(1)?)?,
        assistant_message_id: id(text(2)?)?,
        claimed_at: parse_time(text(3)?)?,
    })
}

async fn find_claim<C: GenericClient + Sync>(
    client: &C,
    user: &str,
    client_id: &str,
) -> PortResult<Option<TurnClaim>> {
    query_opt(
        client,
        "SELECT session_id, user_message_id, assistant_message_id, claimed_at \
         FROM client_message_claims WHERE user_id = $1 AND client_message_id = $2",
        &[&user, &client_id],
    )
    .await?
    .map(|row| claim_of(&row))
    .transpose()
}

#[async_trait]
impl MessageStore for PostgresMessageStore {
    async fn put(&self, message: &Message) -> PortResult<()> {
        let body = to_json(message)?;
        if body.len() > MAX_MESSAGE_BYTES {
            return Err(PortError::invalid(format!(
                "message {} is {} bytes, more than {MAX_MESSAGE_BYTES}",
                message.message_id,
                body.len()
            )));
        }
        let (session, id) = (message.session_id, message.message_id);
        let client = self.db.client().await?;
        let added = execute(
            &client,
            "INSERT INTO messages (session_id, message_id, body) VALUES ($1, $2, $3) \
             ON CONFLICT (session_id, message_id) DO NOTHING",
            &[&session.to_string(), &id.to_string(), &body],
        )
        .await?;
        if added == 0 {
            return Err(PortError::conflict(format!(
                "message {id} exists in session {session}"
            )));
        }
        Ok(())
    }

    async fn get(&self, session: &SessionId, id: &MessageId) -> PortResult<Option<Message>> {
        let client = self.db.client().await?;
        query_opt(
            &client,
            "SELECT body FROM messages WHERE session_id = $1 AND message_id = $2",
            &[&session.to_string(), &id.to_string()],
        )
        .await?
        .map(|row| body_at(&row, 0))
        .transpose()
    }

    async fn list(&self, session: &SessionId, page: PageRequest) -> PortResult<Page<Message>> {
        let after = page
            .cursor
            .as_ref()
            .map(|c| decode_cursor(TAG, c, |k| MessageId::parse(k).ok()))
            .transpose()?
            .map(|id| id.to_string());
        let size = page.size();
        let limit = page_limit(size);
        let session = session.to_string();
        let client = self.db.client().await?;
        let rows = match &after {
            Some(after) => {
                query(
                    &client,
                    "SELECT message_id, body FROM messages \
                     WHERE session_id = $1 AND message_id > $2 \
                     ORDER BY message_id LIMIT $3",
                    &[&session, after, &limit],
                )
                .await?
            }
            None => {
                query(
                    &client,
                    "SELECT message_id, body FROM messages WHERE session_id = $1 \
                     ORDER BY message_id LIMIT $2",
                    &[&session, &limit],
                )
                .await?
            }
        };
        let rows = rows
            .iter()
            .map(|row| Ok((get::<String>(row, 0)?, body_at::<Message>(row, 1)?)))
            .collect::<PortResult<Vec<_>>>()?;
        Ok(into_page(rows, size, TAG))
    }

    async fn latest(&self, session: &SessionId, limit: u32) -> PortResult<Vec<Message>> {
        let client = self.db.client().await?;
        let mut newest = query(
            &client,
            "SELECT body FROM messages WHERE session_id = $1 \
             ORDER BY message_id DESC LIMIT $2",
            &[&session.to_string(), &to_i64(u64::from(limit))],
        )
        .await?
        .iter()
        .map(|row| body_at::<Message>(row, 0))
        .collect::<PortResult<Vec<_>>>()?;
        newest.reverse();
        Ok(newest)
    }

    async fn delete_session(&self, session: &SessionId) -> PortResult<()> {
        let client = self.db.client().await?;
        execute(
            &client,
            "DELETE FROM messages WHERE session_id = $1",
            &[&session.to_string()],
        )
        .await?;
        Ok(())
    }

    async fn claim_client_message(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
        claim: &TurnClaim,
    ) -> PortResult<ClaimOutcome> {
        let (user, client_id) = (user.as_str(), client_id.as_str());
        let session = claim.session_id.to_string();
        let user_message = claim.user_message_id.to_string();
        let assistant_message = claim.assistant_message_id.to_string();
        let claimed_at = time_key(&claim.claimed_at);
        let client = self.db.client().await?;
        // The insert waits for a concurrent uncommitted claim of the same
        // key and does nothing once it commits; the read after it, a new
        // statement with a new snapshot, sees that claim. Only a release
        // between the two can hide it: then the key is free again, so
        // claim once more.
        for _ in 0..CLAIM_TRIES {
            let added = execute(
                &client,
                "INSERT INTO client_message_claims (user_id, client_message_id, session_id, \
                 user_message_id, assistant_message_id, claimed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (user_id, client_message_id) DO NOTHING",
                &[
                    &user,
                    &client_id,
                    &session,
                    &user_message,
                    &assistant_message,
                    &claimed_at,
                ],
            )
            .await?;
            if added == 1 {
                return Ok(ClaimOutcome::Claimed);
            }
            if let Some(existing) = find_claim(&client, user, client_id).await? {
                return Ok(ClaimOutcome::Existing(existing));
            }
        }
        Err(PortError::transient(format!(
            "claim of {user}/{client_id}: claimed and released {CLAIM_TRIES} times meanwhile"
        )))
    }

    async fn get_client_message(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
    ) -> PortResult<Option<TurnClaim>> {
        let client = self.db.client().await?;
        find_claim(&client, user.as_str(), client_id.as_str()).await
    }

    async fn release_client_message(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
    ) -> PortResult<()> {
        let client = self.db.client().await?;
        execute(
            &client,
            "DELETE FROM client_message_claims WHERE user_id = $1 AND client_message_id = $2",
            &[&user.as_str(), &client_id.as_str()],
        )
        .await?;
        Ok(())
    }
}

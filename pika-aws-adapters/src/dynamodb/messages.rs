//! [`MessageStore`] on the messages table (docs/storage.md): key
//! `sessionId` / `messageId`, so a session's messages are one partition in
//! id (= time) order. Puts are conditional; listings are `Query`s continued
//! past DynamoDB's 1 MB pages. A message too large for one item is kept
//! in parts (see `parts`). The client-message claims live on the claims
//! table (see `claims`).

mod claims;
mod parts;

pub use self::claims::CLAIM_LIFETIME_DAYS;

use self::claims::Claims;
pub(crate) use self::parts::Staged;
use super::codec::{self, get_s, s, Item};
use super::errors::{ddb_error, or_condition};
use super::query::{batch_delete, query_all, query_page};
use super::{cursor, tables, Dynamo};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::Put;
use pika_domain::ids::{ClientMessageId, MessageId, SessionId, UserId};
use pika_domain::message::Message;
use pika_ports::{ClaimOutcome, MessageStore, Page, PageRequest, PortError, PortResult, TurnClaim};

const SESSION_ID: &str = "sessionId";
const MESSAGE_ID: &str = "messageId";
const KEY_ATTRS: [&str; 2] = [SESSION_ID, MESSAGE_ID];
/// A message's free-form JSON (tool inputs and outputs, the stream events
/// that carry them), kept as JSON text beside its other attributes: a tool
/// may send any JSON, and DynamoDB's numbers stop at 38 digits and 1e125,
/// its maps and lists at 32 levels. (field, attribute holding its text)
const OPAQUE: [(&str, &str); 2] = [
    ("toolCalls", "toolCallsJson"),
    ("streamEvents", "streamEventsJson"),
];

/// A message as an item: its attributes, with [`OPAQUE`] fields as text.
///
/// # Errors
/// `Permanent` if the message does not serialise (a bug).
pub(crate) fn message_item(message: &Message) -> PortResult<Item> {
    let mut value = serde_json::to_value(message)
        .map_err(|e| PortError::permanent(format!("serialising a message: {e}")))?;
    let mut texts = Vec::new();
    if let Some(fields) = value.as_object_mut() {
        for (field, attribute) in OPAQUE {
            match fields.remove(field) {
                Some(v) if !v.is_null() => texts.push((attribute, v.to_string())),
                _ => {}
            }
        }
    }
    let mut item = codec::to_item(&value)?;
    for (attribute, text) in texts {
        item.insert(attribute.to_string(), s(text));
    }
    Ok(item)
}

/// `message` ready to be written: one item, or (past
/// [`parts::INLINE_BYTES`] of JSON) a referencing item and its parts.
///
/// # Errors
/// `Permanent` if the message does not serialise (a bug); `Invalid` if it
/// is past what a message can hold.
pub(crate) fn stage(message: &Message) -> PortResult<Staged> {
    let body = serde_json::to_string(message)
        .map_err(|e| PortError::permanent(format!("serialising a message: {e}")))?;
    if body.len() > parts::INLINE_BYTES {
        return parts::split(message, &body);
    }
    Ok(Staged {
        item: message_item(message)?,
        parts: Vec::new(),
    })
}

/// The message an item holds (items written before [`OPAQUE`] fields were
/// text, with them as maps, read alike).
///
/// # Errors
/// `Permanent` if the item does not hold a message.
pub(crate) fn message_of(item: &Item) -> PortResult<Message> {
    let mut value: serde_json::Value =
        codec::from_item(item, &OPAQUE.map(|(_, attribute)| attribute))?;
    if let Some(fields) = value.as_object_mut() {
        for (field, attribute) in OPAQUE {
            if let Some(text) = get_s(item, attribute) {
                let parsed = serde_json::from_str(text).map_err(|e| {
                    PortError::permanent(format!("a stored message's {field} do not parse: {e}"))
                })?;
                fields.insert(field.to_string(), parsed);
            }
        }
    }
    serde_json::from_value(value)
        .map_err(|e| PortError::permanent(format!("reading a stored message: {e}")).with_source(e))
}

/// Messages and client-message claims in DynamoDB (see [`MessageStore`]
/// and docs/storage.md).
#[derive(Debug, Clone)]
pub struct DynamoMessageStore {
    dynamo: Dynamo,
    table: String,
    claims: Claims,
}

impl DynamoMessageStore {
    /// The messages and claims tables of `dynamo`.
    pub fn new(dynamo: Dynamo) -> Self {
        let table = dynamo.table(&tables::MESSAGES);
        let claims = Claims::new(dynamo.clone());
        Self {
            dynamo,
            table,
            claims,
        }
    }

    /// Writes the parts of `staged` (before its item is written).
    ///
    /// # Errors
    /// As DynamoDB's.
    pub(crate) async fn write_parts(&self, staged: &Staged) -> PortResult<()> {
        parts::write(&self.dynamo, &self.table, &staged.parts).await
    }

    /// Removes the parts of `staged` after its item was not written.
    pub(crate) async fn discard_parts(&self, staged: &Staged) {
        parts::discard(&self.dynamo, &self.table, &staged.parts).await;
    }

    /// The messages `items` hold, a split one read from its parts.
    async fn to_messages(&self, items: &[Item]) -> PortResult<Vec<Message>> {
        let mut messages = Vec::with_capacity(items.len());
        for item in items {
            messages.push(self.to_message(item).await?);
        }
        Ok(messages)
    }

    async fn to_message(&self, item: &Item) -> PortResult<Message> {
        if !parts::is_split(item) {
            return message_of(item);
        }
        let body = parts::join(&self.dynamo, &self.table, item).await?;
        serde_json::from_str(&body).map_err(|e| {
            PortError::permanent(format!("reading a stored message: {e}")).with_source(e)
        })
    }

    /// A query of the messages of `session`, in id order (`forward`) or
    /// newest first. Reads are consistent: a turn's history must include
    /// the user message just stored.
    fn of_session(&self, session: &SessionId, forward: bool) -> QueryFluentBuilder {
        self.dynamo
            .client()
            .query()
            .table_name(&self.table)
            .key_condition_expression("#p = :p")
            .expression_attribute_names("#p", SESSION_ID)
            .expression_attribute_values(":p", s(session.to_string()))
            .scan_index_forward(forward)
            .consistent_read(true)
    }
}

/// A staged message as one item of a transaction (the turn journal): the
/// same item and condition as [`MessageStore::put`]. Its parts are written
/// before the transaction.
///
/// # Errors
/// `Permanent` if the request does not build (a bug).
pub(crate) fn message_put(table: &str, staged: &Staged) -> PortResult<Put> {
    Put::builder()
        .table_name(table)
        .set_item(Some(staged.item.clone()))
        .condition_expression("attribute_not_exists(#k)")
        .expression_attribute_names("#k", MESSAGE_ID)
        .build()
        .map_err(|e| PortError::permanent(format!("message put: {e}")))
}

pub(crate) use self::claims::claim_put;

#[async_trait]
impl MessageStore for DynamoMessageStore {
    async fn put(&self, message: &Message) -> PortResult<()> {
        let (session, id) = (message.session_id, message.message_id);
        let staged = stage(message)?;
        self.write_parts(&staged).await?;
        let result = self
            .dynamo
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(staged.item.clone()))
            .condition_expression("attribute_not_exists(#k)")
            .expression_attribute_names("#k", MESSAGE_ID)
            .send()
            .await;
        let written = or_condition("put message", result, || {
            PortError::conflict(format!("message {id} exists in session {session}"))
        });
        if written.is_err() {
            self.discard_parts(&staged).await;
        }
        written.map(|_| ())
    }

    async fn get(&self, session: &SessionId, id: &MessageId) -> PortResult<Option<Message>> {
        let key: Item = [
            (SESSION_ID.to_string(), s(session.to_string())),
            (MESSAGE_ID.to_string(), s(id.to_string())),
        ]
        .into();
        let output = self
            .dynamo
            .client()
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| ddb_error("get message", e))?;
        match output.item {
            Some(item) => Ok(Some(self.to_message(&item).await?)),
            None => Ok(None),
        }
    }

    async fn list(&self, session: &SessionId, page: PageRequest) -> PortResult<Page<Message>> {
        let start = match &page.cursor {
            Some(c) => {
                let key = cursor::decode(c, &KEY_ATTRS)?;
                if get_s(&key, SESSION_ID) != Some(session.to_string().as_str()) {
                    return Err(PortError::invalid("cursor was not issued for this session"));
                }
                Some(key)
            }
            None => None,
        };
        let (items, next) = query_page(
            || self.of_session(session, true),
            page.size(),
            start,
            &KEY_ATTRS,
        )
        .await?;
        Ok(Page {
            items: self.to_messages(&items).await?,
            next_cursor: next.map(|key| cursor::encode(&key)),
        })
    }

    async fn latest(&self, session: &SessionId, limit: u32) -> PortResult<Vec<Message>> {
        let want = limit as usize;
        let mut items: Vec<Item> = Vec::new();
        let mut start = None;
        // One query newest first; more only when DynamoDB stops at 1 MB.
        while items.len() < want {
            let remaining = i32::try_from(want - items.len()).unwrap_or(i32::MAX);
            let output = self
                .of_session(session, false)
                .limit(remaining)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| ddb_error("latest messages", e))?;
            items.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        items.truncate(want);
        items.reverse();
        self.to_messages(&items).await
    }

    async fn delete_session(&self, session: &SessionId) -> PortResult<()> {
        let keys = query_all(|| {
            self.of_session(session, true)
                .projection_expression("#p, #m")
                .expression_attribute_names("#m", MESSAGE_ID)
        })
        .await?;
        let mut keys: Vec<Item> = keys
            .iter()
            .map(|item| cursor::key_of(item, &KEY_ATTRS))
            .collect();
        keys.extend(parts::keys_of_session(&self.dynamo, &self.table, session).await?);
        batch_delete(self.dynamo.client(), &self.table, keys).await
    }

    async fn claim_client_message(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
        claim: &TurnClaim,
    ) -> PortResult<ClaimOutcome> {
        self.claims.claim(user, client_id, claim).await
    }

    async fn get_client_message(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
    ) -> PortResult<Option<TurnClaim>> {
        self.claims.get(user, client_id).await
    }

    async fn release_client_message(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
    ) -> PortResult<()> {
        self.claims.release(user, client_id).await
    }
}

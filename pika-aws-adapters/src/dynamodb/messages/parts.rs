//! Messages too large for one item. DynamoDB refuses an item past 400 KB,
//! and an answer carries its text, every stream event and its tool calls:
//! a long answer with large tool outputs passes that easily. Such a
//! message's JSON is cut into parts of at most [`PART_BYTES`], kept in the
//! session's parts partition (`{sessionId}#parts`) of the same table under
//! `{messageId}#{writeId}#{n}`; the message's own item keeps its key and a
//! reference to them (`bodyWrite`, `bodyParts`).
//!
//! The parts are written before the message's item, under a write id of
//! their own: a message write that is refused (the message exists, the
//! transaction fails) leaves the stored message's parts alone and removes
//! its own. Listings and `latest` read the session's partition only, so
//! parts never show as messages; deleting a session deletes both.

use crate::dynamodb::codec::{get_s, n, s, Item};
use crate::dynamodb::query::{batch_delete, batch_write, query_all};
use crate::dynamodb::Dynamo;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use pika_domain::ids::SessionId;
use pika_domain::message::Message;
use pika_domain::uuid::Uuid;
use pika_ports::{PortError, PortResult, MAX_MESSAGE_BYTES};

const SESSION_ID: &str = "sessionId";
const MESSAGE_ID: &str = "messageId";
/// On a message's item: the write id of its parts.
const BODY_WRITE: &str = "bodyWrite";
/// On a message's item: how many parts its JSON has.
const BODY_PARTS: &str = "bodyParts";
/// On a part: its slice of the message's JSON.
const BODY: &str = "body";

/// A message whose JSON is longer than this is stored in parts. Its item
/// would hold about as many bytes; the margin below 400 KB covers what the
/// JSON length does not count exactly (attribute and number encoding).
pub(crate) const INLINE_BYTES: usize = 300 * 1024;
/// The most JSON one part carries (with its key, well inside 400 KB).
pub(crate) const PART_BYTES: usize = 350 * 1024;

/// A message ready to be written: its item, and the parts (none for a
/// message that fits one item) to write before it.
#[derive(Debug, Clone)]
pub(crate) struct Staged {
    pub item: Item,
    pub parts: Vec<Item>,
}

/// The partition of `session`'s parts.
fn partition(session: &str) -> String {
    format!("{session}#parts")
}

/// `message` as a referencing item and its parts, for a message whose
/// JSON text `body` is past [`INLINE_BYTES`].
///
/// # Errors
/// `Invalid` past [`MAX_MESSAGE_BYTES`].
pub(crate) fn split(message: &Message, body: &str) -> PortResult<Staged> {
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(PortError::invalid(format!(
            "message {} is {} bytes, more than {MAX_MESSAGE_BYTES}",
            message.message_id,
            body.len(),
        )));
    }
    let chunks = chunks(body, PART_BYTES);
    let session = message.session_id.to_string();
    let id = message.message_id.to_string();
    let write = Uuid::new_v4().simple().to_string();
    let item: Item = [
        (SESSION_ID.to_string(), s(session.clone())),
        (MESSAGE_ID.to_string(), s(id.clone())),
        (BODY_WRITE.to_string(), s(write.clone())),
        (BODY_PARTS.to_string(), n(chunks.len())),
    ]
    .into();
    let parts = chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            [
                (SESSION_ID.to_string(), s(partition(&session))),
                (MESSAGE_ID.to_string(), s(format!("{id}#{write}#{i:04}"))),
                (BODY.to_string(), s(*chunk)),
            ]
            .into()
        })
        .collect();
    Ok(Staged { item, parts })
}

/// `text` in slices of at most `max` bytes, cut at character boundaries.
fn chunks(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(max);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if cut == 0 {
            // `max` is below this character's width: it goes whole.
            cut = rest.char_indices().nth(1).map_or(rest.len(), |(i, _)| i);
        }
        let (head, tail) = rest.split_at(cut);
        out.push(head);
        rest = tail;
    }
    out
}

/// Whether `item` is a message kept in parts.
pub(crate) fn is_split(item: &Item) -> bool {
    item.contains_key(BODY_PARTS)
}

/// Writes `parts` (unconditionally: their keys are new), 25 per request,
/// retrying what DynamoDB leaves unprocessed.
///
/// # Errors
/// As DynamoDB's; `Transient` if parts stay unprocessed after retries.
pub(crate) async fn write(dynamo: &Dynamo, table: &str, parts: &[Item]) -> PortResult<()> {
    let requests = parts
        .iter()
        .map(|part| {
            PutRequest::builder()
                .set_item(Some(part.clone()))
                .build()
                .map(|p| WriteRequest::builder().put_request(p).build())
                .map_err(|e| PortError::permanent(format!("part put: {e}")))
        })
        .collect::<PortResult<Vec<_>>>()?;
    batch_write(dynamo.client(), table, requests, "write message parts").await
}

/// Removes `parts` of a write that did not land. Best effort: parts left
/// behind are only bytes, removed with their session.
pub(crate) async fn discard(dynamo: &Dynamo, table: &str, parts: &[Item]) {
    if parts.is_empty() {
        return;
    }
    let keys = parts.iter().map(key_of).collect();
    if let Err(e) = batch_delete(dynamo.client(), table, keys).await {
        tracing::warn!(error = %e, "the parts of a refused message write were left behind");
    }
}

fn key_of(part: &Item) -> Item {
    part.iter()
        .filter(|(k, _)| *k == SESSION_ID || *k == MESSAGE_ID)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The JSON text of the split message `item`, read from its parts.
///
/// # Errors
/// As DynamoDB's; `Permanent` if a part is missing (the item references
/// parts that are not stored).
pub(crate) async fn join(dynamo: &Dynamo, table: &str, item: &Item) -> PortResult<String> {
    let (Some(session), Some(id), Some(write)) = (
        get_s(item, SESSION_ID),
        get_s(item, MESSAGE_ID),
        get_s(item, BODY_WRITE),
    ) else {
        return Err(PortError::permanent("a split message's item lacks its key"));
    };
    let count: usize = match item.get(BODY_PARTS).map(|v| v.as_n()) {
        Some(Ok(text)) => text
            .parse()
            .map_err(|e| PortError::permanent(format!("a message's part count: {e}")))?,
        _ => {
            return Err(PortError::permanent(
                "a message's part count is not a number",
            ))
        }
    };
    let prefix = format!("{id}#{write}#");
    let found = query_all(|| {
        dynamo
            .client()
            .query()
            .table_name(table)
            .key_condition_expression("#p = :p AND begins_with(#m, :m)")
            .expression_attribute_names("#p", SESSION_ID)
            .expression_attribute_names("#m", MESSAGE_ID)
            .expression_attribute_values(":p", s(partition(session)))
            .expression_attribute_values(":m", s(prefix.clone()))
            .consistent_read(true)
    })
    .await?;
    if found.len() != count {
        return Err(PortError::permanent(format!(
            "message {id} has {} of its {count} parts",
            found.len()
        )));
    }
    // The query returns them in key order, which is part order.
    let mut body = String::new();
    for part in &found {
        body.push_str(get_s(part, BODY).unwrap_or_default());
    }
    Ok(body)
}

/// The keys of every part of `session`'s messages.
///
/// # Errors
/// As DynamoDB's.
pub(crate) async fn keys_of_session(
    dynamo: &Dynamo,
    table: &str,
    session: &SessionId,
) -> PortResult<Vec<Item>> {
    let items = query_all(|| {
        dynamo
            .client()
            .query()
            .table_name(table)
            .key_condition_expression("#p = :p")
            .expression_attribute_names("#p", SESSION_ID)
            .expression_attribute_names("#m", MESSAGE_ID)
            .expression_attribute_values(":p", s(partition(&session.to_string())))
            .projection_expression("#p, #m")
    })
    .await?;
    Ok(items.iter().map(key_of).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cut_at_character_boundaries_and_join_back() {
        let text = "héllo wörld ✓ ".repeat(1000);
        for max in [1, 4, 7, 350] {
            let parts = chunks(&text, max);
            assert!(parts.iter().all(|p| !p.is_empty() && p.len() <= max.max(4)));
            assert_eq!(parts.concat(), text);
        }
        assert!(chunks("", 10).is_empty());
    }
}

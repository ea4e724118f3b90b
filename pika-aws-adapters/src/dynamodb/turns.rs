//! [`TurnControl`] on the `turns` table (docs/storage.md): per session, one
//! `hold` item (the running turn's message id, lease expiry, stop flag) and
//! the turn's events in batches, `ev#{messageId}#{firstSeq}` items, in
//! the order of their sort keys. Taking a session is one conditional
//! `PutItem`, so two containers never both hold it; event items expire by
//! TTL a day after the turn, and a later turn's are told apart by their
//! message id.

use super::codec::{s, time_key, ttl, Item};
use super::errors::{ddb_error, is_condition_failure};
use super::query::query_all;
use super::{tables, Dynamo};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use pika_domain::chrono::{DateTime, Duration, Utc};
use pika_domain::ids::{MessageId, SessionId};
use pika_domain::stream::SequencedEvent;
use pika_ports::{PortError, PortResult, TurnControl, TurnLease, TurnProgress};

const SESSION: &str = "sessionId";
const ITEM: &str = "item";
const HOLD: &str = "hold";
const MESSAGE: &str = "messageId";
const EXPIRES: &str = "expiresKey";
const STOP: &str = "stop";
const EVENTS: &str = "events";
const TTL: &str = "ttl";
/// How long turn items outlive their lease before DynamoDB's TTL removes them.
const TTL_GRACE_HOURS: i64 = 24;
/// The most event JSON one item carries, far below DynamoDB's 400 KB.
const BATCH_BYTES: usize = 256 * 1024;

/// Turn holds in DynamoDB (see [`TurnControl`]).
#[derive(Debug, Clone)]
pub struct DynamoTurnControl {
    dynamo: Dynamo,
    table: String,
}

impl DynamoTurnControl {
    /// The turns table of `dynamo`.
    pub fn new(dynamo: Dynamo) -> Self {
        let table = dynamo.table(&tables::TURNS);
        Self { dynamo, table }
    }

    /// The session's hold item, read consistently.
    async fn hold(&self, session: &SessionId) -> PortResult<Option<Item>> {
        Ok(self
            .dynamo
            .client()
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(session, HOLD.to_string())))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| ddb_error("read turn", e))?
            .item)
    }

    fn key(session: &SessionId, item: String) -> Item {
        [
            (SESSION.to_string(), s(session.to_string())),
            (ITEM.to_string(), s(item)),
        ]
        .into()
    }
}

/// Whether `hold` is the hold of the turn writing `message`.
fn held_by(hold: &Item, message: &MessageId) -> bool {
    hold.get(MESSAGE)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        == Some(message.to_string().as_str())
}

/// The hold item's attribute holding the answer for `tool_use_id`.
fn decision_attribute(tool_use_id: &str) -> String {
    format!("decision#{tool_use_id}")
}

fn events_prefix(message: &MessageId) -> String {
    format!("ev#{message}#")
}

/// `events` split into items' bodies of at most [`BATCH_BYTES`] each (an
/// event larger than that alone in its item), with each body's first seq.
fn batches(events: &[SequencedEvent]) -> PortResult<Vec<(u64, String)>> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut first = 0;
    let mut size = 0;
    for event in events {
        let json = serde_json::to_string(event)
            .map_err(|e| PortError::invalid(format!("an event does not serialize: {e}")))?;
        if !current.is_empty() && size + json.len() > BATCH_BYTES {
            out.push((first, format!("[{}]", current.join(","))));
            current.clear();
            size = 0;
        }
        if current.is_empty() {
            first = event.seq;
        }
        size += json.len() + 1;
        current.push(json);
    }
    if !current.is_empty() {
        out.push((first, format!("[{}]", current.join(","))));
    }
    Ok(out)
}

#[async_trait]
impl TurnControl for DynamoTurnControl {
    async fn begin(&self, lease: &TurnLease, now: DateTime<Utc>) -> PortResult<()> {
        let mut item = Self::key(&lease.session_id, HOLD.to_string());
        item.insert(
            MESSAGE.to_string(),
            s(lease.assistant_message_id.to_string()),
        );
        item.insert(EXPIRES.to_string(), s(time_key(lease.expires_at)));
        item.insert(STOP.to_string(), AttributeValue::Bool(false));
        item.insert(
            TTL.to_string(),
            ttl(lease.expires_at + Duration::hours(TTL_GRACE_HOURS)),
        );
        let result = self
            .dynamo
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(#session) OR #message = :message OR #expires <= :now",
            )
            .expression_attribute_names("#session", SESSION)
            .expression_attribute_names("#message", MESSAGE)
            .expression_attribute_names("#expires", EXPIRES)
            .expression_attribute_values(":message", s(lease.assistant_message_id.to_string()))
            .expression_attribute_values(":now", s(time_key(now)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => {
                Err(PortError::conflict("another turn holds this session"))
            }
            Err(e) => Err(ddb_error("begin turn", e)),
        }
    }

    async fn heartbeat(&self, lease: &TurnLease, events: &[SequencedEvent]) -> PortResult<bool> {
        let renewed = self
            .dynamo
            .client()
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(&lease.session_id, HOLD.to_string())))
            .update_expression("SET #expires = :expires, #ttl = :ttl")
            .condition_expression("#message = :message")
            .expression_attribute_names("#expires", EXPIRES)
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_names("#message", MESSAGE)
            .expression_attribute_values(":expires", s(time_key(lease.expires_at)))
            .expression_attribute_values(
                ":ttl",
                ttl(lease.expires_at + Duration::hours(TTL_GRACE_HOURS)),
            )
            .expression_attribute_values(":message", s(lease.assistant_message_id.to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let stop = match renewed {
            Ok(out) => out
                .attributes
                .and_then(|a| a.get(STOP).and_then(|v| v.as_bool().ok()).copied())
                .unwrap_or(false),
            Err(e) if is_condition_failure(&e) => {
                return Err(PortError::not_found(
                    "this turn no longer holds the session",
                ))
            }
            Err(e) => return Err(ddb_error("renew turn", e)),
        };
        let prefix = events_prefix(&lease.assistant_message_id);
        for (first, body) in batches(events)? {
            let mut item = Self::key(&lease.session_id, format!("{prefix}{first:020}"));
            item.insert(EVENTS.to_string(), s(body));
            item.insert(
                TTL.to_string(),
                ttl(lease.expires_at + Duration::hours(TTL_GRACE_HOURS)),
            );
            self.dynamo
                .client()
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(|e| ddb_error("append turn events", e))?;
        }
        Ok(stop)
    }

    async fn request_stop(&self, session: &SessionId, now: DateTime<Utc>) -> PortResult<bool> {
        let result = self
            .dynamo
            .client()
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(session, HOLD.to_string())))
            .update_expression("SET #stop = :yes")
            .condition_expression("attribute_exists(#session) AND #expires > :now")
            .expression_attribute_names("#stop", STOP)
            .expression_attribute_names("#session", SESSION)
            .expression_attribute_names("#expires", EXPIRES)
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":now", s(time_key(now)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(ddb_error("stop turn", e)),
        }
    }

    async fn decide(
        &self,
        session: &SessionId,
        tool_use_id: &str,
        approve: bool,
        now: DateTime<Utc>,
    ) -> PortResult<bool> {
        // An attribute of the hold item: a new turn's `PutItem` replaces
        // the item, so its answers start empty. The first answer stands.
        let result = self
            .dynamo
            .client()
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(session, HOLD.to_string())))
            .update_expression("SET #decision = if_not_exists(#decision, :approve)")
            .condition_expression("attribute_exists(#session) AND #expires > :now")
            .expression_attribute_names("#decision", decision_attribute(tool_use_id))
            .expression_attribute_names("#session", SESSION)
            .expression_attribute_names("#expires", EXPIRES)
            .expression_attribute_values(":approve", AttributeValue::Bool(approve))
            .expression_attribute_values(":now", s(time_key(now)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(ddb_error("confirm tool call", e)),
        }
    }

    async fn decision(
        &self,
        session: &SessionId,
        message: &MessageId,
        tool_use_id: &str,
    ) -> PortResult<Option<bool>> {
        let Some(hold) = self.hold(session).await? else {
            return Ok(None);
        };
        if !held_by(&hold, message) {
            return Ok(None);
        }
        Ok(hold
            .get(&decision_attribute(tool_use_id))
            .and_then(|v| v.as_bool().ok())
            .copied())
    }

    async fn progress(
        &self,
        session: &SessionId,
        message: &MessageId,
        after: Option<u64>,
        now: DateTime<Utc>,
    ) -> PortResult<Option<TurnProgress>> {
        let Some(hold) = self.hold(session).await? else {
            return Ok(None);
        };
        if !held_by(&hold, message) {
            return Ok(None);
        }
        let running = hold
            .get(EXPIRES)
            .and_then(|v| v.as_s().ok())
            .is_some_and(|expires| expires.as_str() > time_key(now).as_str());
        let prefix = events_prefix(message);
        let items = query_all(|| {
            self.dynamo
                .client()
                .query()
                .table_name(&self.table)
                .key_condition_expression("#session = :session AND begins_with(#item, :prefix)")
                .expression_attribute_names("#session", SESSION)
                .expression_attribute_names("#item", ITEM)
                .expression_attribute_values(":session", s(session.to_string()))
                .expression_attribute_values(":prefix", s(prefix.clone()))
                .consistent_read(true)
        })
        .await?;
        let mut events = Vec::new();
        for item in &items {
            let body = item
                .get(EVENTS)
                .and_then(|v| v.as_s().ok())
                .ok_or_else(|| PortError::permanent("a turn events item without events"))?;
            let batch: Vec<SequencedEvent> = serde_json::from_str(body).map_err(|e| {
                PortError::permanent(format!("stored turn events do not parse: {e}"))
            })?;
            events.extend(
                batch
                    .into_iter()
                    .filter(|e| after.is_none_or(|a| e.seq > a)),
            );
        }
        Ok(Some(TurnProgress { events, running }))
    }

    async fn end(&self, session: &SessionId, message: &MessageId) -> PortResult<()> {
        let result = self
            .dynamo
            .client()
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(session, HOLD.to_string())))
            .condition_expression("#message = :message")
            .expression_attribute_names("#message", MESSAGE)
            .expression_attribute_values(":message", s(message.to_string()))
            .send()
            .await;
        match result {
            // Held by another turn, or by none: nothing to free.
            Err(e) if is_condition_failure(&e) => Ok(()),
            other => other.map(drop).map_err(|e| ddb_error("end turn", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use pika_domain::stream::TurnEvent;

    #[test]
    fn large_event_runs_are_split_below_the_item_limit() {
        let big = "x".repeat(100 * 1024);
        let events: Vec<SequencedEvent> = (0..7)
            .map(|seq| SequencedEvent {
                seq,
                event: TurnEvent::Delta { text: big.clone() },
            })
            .collect();
        let out = batches(&events).unwrap();
        assert!(out.len() >= 3, "{}", out.len());
        assert!(out.iter().all(|(_, body)| body.len() < 400 * 1024));
        let back: Vec<SequencedEvent> = out
            .iter()
            .flat_map(|(_, body)| serde_json::from_str::<Vec<SequencedEvent>>(body).unwrap())
            .collect();
        assert_eq!(back, events);
        assert_eq!(out[0].0, 0);
    }
}

//! [`SessionStore`] on the sessions table (docs/storage.md): a conditional
//! `PutItem` to create, `GetItem` by id, newest-first `Query`s on the
//! `byUser`, `byUserApp` and `byEntity` indexes, and the sparse `byShare`,
//! `byInsightsDue` and `byExpiry` indexes for the share links and the jobs.
//! Turns and patches are one conditional `UpdateItem` each.

mod changes;
mod expr;
mod item;

use self::expr::UpdateExpr;
use self::item::{
    from_session_item, to_session_item, user_app, DUE, ENTITY_ID, EXPIRES_KEY, EXPIRY_DUE,
    INSIGHTS_DUE, SESSION_ID, SHARE_KEY, UPDATED_KEY, USER_APP, USER_ID,
};
use super::codec::{get_s, s, time_key, Item};
use super::errors::{ddb_error, or_condition};
use super::query::query_page;
use super::{cursor, tables, Dynamo};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, ReturnValue, Update};
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{ChatAppId, EntityId, SessionId, ShareId, UserId};
use pika_domain::session::Session;
use pika_ports::{
    Page, PageRequest, PortError, PortResult, SessionPatch, SessionStore, TurnRecord,
};

/// Sessions in DynamoDB (see [`SessionStore`] and docs/storage.md).
#[derive(Debug, Clone)]
pub struct DynamoSessionStore {
    dynamo: Dynamo,
    table: String,
}

impl DynamoSessionStore {
    /// The sessions table of `dynamo`.
    pub fn new(dynamo: Dynamo) -> Self {
        let table = dynamo.table(&tables::SESSIONS);
        Self { dynamo, table }
    }

    fn key(id: &SessionId) -> Item {
        [(SESSION_ID.to_string(), s(id.to_string()))].into()
    }

    /// The stored item of `id`, read consistently (a session read right
    /// after a turn must see that turn).
    async fn item(&self, id: &SessionId) -> PortResult<Option<Item>> {
        let output = self
            .dynamo
            .client()
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| ddb_error("get session", e))?;
        Ok(output.item)
    }

    /// One page, newest first, of the sessions whose `partition` attribute
    /// on `index` is `value`.
    async fn list_newest_first(
        &self,
        index: &str,
        partition: &str,
        value: String,
        page: PageRequest,
    ) -> PortResult<Page<Session>> {
        let key_attrs = [SESSION_ID, partition];
        let start = match &page.cursor {
            Some(c) => {
                let key = cursor::decode(c, &key_attrs)?;
                // A cursor of another user's (or entity's) listing.
                if get_s(&key, partition) != Some(value.as_str()) {
                    return Err(PortError::invalid("cursor was not issued for this listing"));
                }
                Some(key)
            }
            None => None,
        };
        let (items, next) = query_page(
            || {
                self.dynamo
                    .client()
                    .query()
                    .table_name(&self.table)
                    .index_name(index)
                    .key_condition_expression("#p = :p")
                    .expression_attribute_names("#p", partition)
                    .expression_attribute_values(":p", s(value.clone()))
                    .scan_index_forward(false)
            },
            page.size(),
            start,
            &key_attrs,
        )
        .await?;
        Ok(Page {
            items: items
                .iter()
                .map(from_session_item)
                .collect::<PortResult<_>>()?,
            next_cursor: next.map(|key| cursor::encode(&key)),
        })
    }

    /// Up to `limit` sessions of a sparse index whose sort key is at or
    /// before `until`, in sort key order.
    async fn list_due(
        &self,
        index: &str,
        partition: &str,
        sort: &str,
        until: DateTime<Utc>,
        limit: u32,
    ) -> PortResult<Vec<Session>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let (items, _) = query_page(
            || {
                self.dynamo
                    .client()
                    .query()
                    .table_name(&self.table)
                    .index_name(index)
                    .key_condition_expression("#p = :p AND #s <= :s")
                    .expression_attribute_names("#p", partition)
                    .expression_attribute_names("#s", sort)
                    .expression_attribute_values(":p", s(DUE))
                    .expression_attribute_values(":s", s(time_key(until)))
                    .scan_index_forward(true)
            },
            limit as usize,
            None,
            &[SESSION_ID, partition, sort],
        )
        .await?;
        items.iter().map(from_session_item).collect()
    }

    /// Runs `update` on the session `id` and returns the session after.
    /// A failed condition is `NotFound` when the session is missing and
    /// `Conflict` otherwise (told apart by a consistent read).
    async fn apply(&self, what: &str, id: &SessionId, update: UpdateExpr) -> PortResult<Session> {
        let request = self
            .dynamo
            .client()
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(id)))
            .return_values(ReturnValue::AllNew);
        let result = update.apply(request).send().await;
        let output = match result {
            Ok(output) => output,
            Err(e) if super::is_condition_failure(&e) => {
                return Err(match self.item(id).await? {
                    None => missing(id),
                    Some(_) => PortError::conflict(format!(
                        "{what} of session {id}: its newest message changed"
                    )),
                });
            }
            Err(e) => return Err(ddb_error(what, e)),
        };
        let item = output
            .attributes
            .ok_or_else(|| PortError::permanent(format!("{what}: no attributes returned")))?;
        from_session_item(&item)
    }
}

/// A session's creation as one item of a transaction (the turn journal):
/// the same item and condition as [`SessionStore::create`].
///
/// # Errors
/// `Permanent` if the session does not serialise (a bug).
pub(crate) fn create_put(table: &str, session: &Session) -> PortResult<Put> {
    Put::builder()
        .table_name(table)
        .set_item(Some(to_session_item(session)?))
        .condition_expression("attribute_not_exists(#k)")
        .expression_attribute_names("#k", SESSION_ID)
        .build()
        .map_err(|e| PortError::permanent(format!("session put: {e}")))
}

/// A finished turn on its session as one item of a transaction: the same
/// update and condition as [`SessionStore::record_turn`].
///
/// # Errors
/// `Permanent` if a value does not serialise (a bug).
pub(crate) fn turn_update(table: &str, id: &SessionId, turn: &TurnRecord) -> PortResult<Update> {
    changes::turn_update(turn)?.into_transact_update(table, DynamoSessionStore::key(id))
}

fn missing(id: &SessionId) -> PortError {
    PortError::not_found(format!("session {id} does not exist"))
}

#[async_trait]
impl SessionStore for DynamoSessionStore {
    async fn create(&self, session: &Session) -> PortResult<()> {
        let id = session.session_id;
        let result = self
            .dynamo
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_session_item(session)?))
            .condition_expression("attribute_not_exists(#k)")
            .expression_attribute_names("#k", SESSION_ID)
            .send()
            .await;
        or_condition("create session", result, || {
            PortError::conflict(format!("session {id} exists"))
        })?;
        Ok(())
    }

    async fn get(&self, id: &SessionId) -> PortResult<Option<Session>> {
        self.item(id)
            .await?
            .as_ref()
            .map(from_session_item)
            .transpose()
    }

    async fn list_by_user(
        &self,
        user: &UserId,
        chat_app: Option<ChatAppId>,
        page: PageRequest,
    ) -> PortResult<Page<Session>> {
        match chat_app {
            Some(app) => {
                let key = user_app(user.as_str(), app.as_str());
                self.list_newest_first("byUserApp", USER_APP, key, page)
                    .await
            }
            None => {
                self.list_newest_first("byUser", USER_ID, user.to_string(), page)
                    .await
            }
        }
    }

    async fn list_by_entity(
        &self,
        entity: &EntityId,
        page: PageRequest,
    ) -> PortResult<Page<Session>> {
        self.list_newest_first("byEntity", ENTITY_ID, entity.to_string(), page)
            .await
    }

    async fn get_by_share(&self, share: &ShareId) -> PortResult<Option<Session>> {
        let output = self
            .dynamo
            .client()
            .query()
            .table_name(&self.table)
            .index_name("byShare")
            .key_condition_expression("#p = :p")
            .expression_attribute_names("#p", SHARE_KEY)
            .expression_attribute_values(":p", s(share.to_string()))
            .limit(1)
            .send()
            .await
            .map_err(|e| ddb_error("get session by share", e))?;
        output
            .items
            .unwrap_or_default()
            .first()
            .map(from_session_item)
            .transpose()
    }

    async fn list_needing_insights(
        &self,
        idle_before: DateTime<Utc>,
        limit: u32,
    ) -> PortResult<Vec<Session>> {
        self.list_due(
            "byInsightsDue",
            INSIGHTS_DUE,
            UPDATED_KEY,
            idle_before,
            limit,
        )
        .await
    }

    async fn list_expired(&self, now: DateTime<Utc>, limit: u32) -> PortResult<Vec<Session>> {
        self.list_due("byExpiry", EXPIRY_DUE, EXPIRES_KEY, now, limit)
            .await
    }

    async fn record_turn(&self, id: &SessionId, turn: &TurnRecord) -> PortResult<Session> {
        // The only condition is existence, so a failed one is NotFound.
        let update = changes::turn_update(turn)?;
        self.apply("record turn", id, update).await
    }

    async fn update(&self, id: &SessionId, patch: &SessionPatch) -> PortResult<Session> {
        let update = changes::patch_update(patch)?;
        if update.changes_nothing() {
            // DynamoDB refuses an empty update; check the conditions by reading.
            let session = self.get(id).await?.ok_or_else(|| missing(id))?;
            if patch
                .if_last_message_id
                .is_some_and(|expected| session.last_message_id != Some(expected))
            {
                return Err(PortError::conflict(format!(
                    "update of session {id}: its newest message changed"
                )));
            }
            return Ok(session);
        }
        self.apply("update session", id, update).await
    }

    async fn delete(&self, id: &SessionId) -> PortResult<()> {
        self.dynamo
            .client()
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(id)))
            .send()
            .await
            .map_err(|e| ddb_error("delete session", e))?;
        Ok(())
    }
}

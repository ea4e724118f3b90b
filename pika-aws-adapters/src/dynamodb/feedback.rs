//! [`FeedbackStore`] on the `feedback` table (docs/storage.md): one item per
//! record under `feedbackId`, listed through five indexes that all sort by
//! `createdKey` = `{fixed createdAt}#{feedbackId}`:
//!
//! | listing | index | partition |
//! |---|---|---|
//! | a session's, oldest first | `bySession` | `sessionId` |
//! | all, newest first | `byAll` | `feedbackAll` (constant) |
//! | by status | `byStatus` | `status` |
//! | by chat app | `byChatApp` | `chatAppId` |
//! | by chat app and status | `byAppStatus` | `appStatus` = `{chatAppId}#{status}` |
//!
//! `sessionId`, `status` and `chatAppId` are the record's own attributes.

use super::codec::{from_item, get_s, s, time_key, to_item, Item};
use super::cursor::{decode, encode};
use super::errors::or_condition;
use super::query::{batch_delete, query_all, query_page};
use super::{ddb_error, tables, Dynamo};
use async_trait::async_trait;
use pika_domain::feedback::Feedback;
use pika_domain::ids::{FeedbackId, SessionId};
use pika_ports::{FeedbackFilter, FeedbackStore, Page, PageRequest, PortError, PortResult};

const KEY: &str = "feedbackId";
const CREATED_KEY: &str = "createdKey";
const ALL: &str = "feedbackAll";
/// The one value of `feedbackAll`.
const ALL_VALUE: &str = "all";
const APP_STATUS: &str = "appStatus";
/// What an item carries beside the record.
const ADDED: &[&str] = &[CREATED_KEY, ALL, APP_STATUS];

/// Feedback records (see [`FeedbackStore`]).
#[derive(Debug, Clone)]
pub struct DynamoFeedbackStore {
    dynamo: Dynamo,
}

/// The index a listing reads, and the value of its partition attribute.
struct Listing {
    index: &'static str,
    partition: &'static str,
    value: String,
}

impl Listing {
    /// The index that serves `filter`, so no listing filters after reading.
    fn of(filter: &FeedbackFilter) -> PortResult<Self> {
        let status = filter.status.map(status_text).transpose()?;
        let app = filter.chat_app_id.as_ref().map(|a| a.as_str().to_string());
        Ok(match (app, status) {
            (None, None) => Self {
                index: "byAll",
                partition: ALL,
                value: ALL_VALUE.to_string(),
            },
            (None, Some(status)) => Self {
                index: "byStatus",
                partition: "status",
                value: status,
            },
            (Some(app), None) => Self {
                index: "byChatApp",
                partition: "chatAppId",
                value: app,
            },
            (Some(app), Some(status)) => Self {
                index: "byAppStatus",
                partition: APP_STATUS,
                value: format!("{app}#{status}"),
            },
        })
    }

    /// The attributes of a key of this index as DynamoDB returns it.
    fn key_attrs(&self) -> [&'static str; 3] {
        [self.partition, CREATED_KEY, KEY]
    }

    /// The key a cursor stands for; `Invalid` unless it was issued for this
    /// very listing (same index and same partition value).
    fn start(&self, cursor: &pika_ports::Cursor) -> PortResult<Item> {
        let start = decode(cursor, &self.key_attrs())?;
        if get_s(&start, self.partition) == Some(self.value.as_str()) {
            Ok(start)
        } else {
            Err(PortError::invalid("cursor was not issued for this listing"))
        }
    }
}

/// A status as stored: its serde name (`open`, `in_review`, …).
fn status_text(status: pika_domain::feedback::FeedbackStatus) -> PortResult<String> {
    match serde_json::to_value(status) {
        Ok(serde_json::Value::String(text)) => Ok(text),
        _ => Err(PortError::permanent("feedback status is not a string")),
    }
}

/// The item of a record: its attributes and its index attributes.
fn item_of(feedback: &Feedback) -> PortResult<Item> {
    let mut item = to_item(feedback)?;
    let status = status_text(feedback.status)?;
    item.insert(
        CREATED_KEY.to_string(),
        s(format!(
            "{}#{}",
            time_key(feedback.created_at),
            feedback.feedback_id
        )),
    );
    item.insert(ALL.to_string(), s(ALL_VALUE));
    item.insert(
        APP_STATUS.to_string(),
        s(format!("{}#{status}", feedback.chat_app_id.as_str())),
    );
    Ok(item)
}

fn record_of(item: &Item) -> PortResult<Feedback> {
    from_item(item, ADDED)
}

impl DynamoFeedbackStore {
    /// The feedback of `dynamo`'s `feedback` table.
    pub fn new(dynamo: Dynamo) -> Self {
        Self { dynamo }
    }

    fn table(&self) -> String {
        self.dynamo.table(&tables::FEEDBACK)
    }

    /// Every item of a session, oldest first (`projection`: the attributes
    /// to read, all when `None`).
    async fn session_items(
        &self,
        session: &SessionId,
        projection: Option<&str>,
    ) -> PortResult<Vec<Item>> {
        let table = self.table();
        query_all(|| {
            self.dynamo
                .client()
                .query()
                .table_name(&table)
                .index_name("bySession")
                .key_condition_expression("sessionId = :session")
                .expression_attribute_values(":session", s(session.to_string()))
                .set_projection_expression(projection.map(str::to_string))
                .scan_index_forward(true)
        })
        .await
    }

    /// Writes `feedback` whole when `condition` holds; a failed condition
    /// is `on_fail`.
    async fn put_if(
        &self,
        feedback: &Feedback,
        condition: &str,
        what: &str,
        on_fail: impl FnOnce() -> PortError,
    ) -> PortResult<()> {
        let result = self
            .dynamo
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item_of(feedback)?))
            .condition_expression(condition)
            .send()
            .await;
        or_condition(what, result, on_fail).map(drop)
    }
}

#[async_trait]
impl FeedbackStore for DynamoFeedbackStore {
    async fn create(&self, feedback: &Feedback) -> PortResult<()> {
        self.put_if(
            feedback,
            "attribute_not_exists(feedbackId)",
            "create feedback",
            || PortError::conflict(format!("feedback {} exists", feedback.feedback_id)),
        )
        .await
    }

    async fn get(&self, id: &FeedbackId) -> PortResult<Option<Feedback>> {
        self.dynamo
            .client()
            .get_item()
            .table_name(self.table())
            .key(KEY, s(id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| ddb_error("get feedback", e))?
            .item
            .map(|item| record_of(&item))
            .transpose()
    }

    /// A whole-item `PutItem` on an existing id: the index attributes follow
    /// the new status, so the record moves between status listings at once.
    async fn update(&self, feedback: &Feedback) -> PortResult<()> {
        self.put_if(
            feedback,
            "attribute_exists(feedbackId)",
            "update feedback",
            || PortError::not_found(format!("no feedback {}", feedback.feedback_id)),
        )
        .await
    }

    async fn list_by_session(&self, session: &SessionId) -> PortResult<Vec<Feedback>> {
        self.session_items(session, None)
            .await?
            .iter()
            .map(record_of)
            .collect()
    }

    async fn list(&self, filter: &FeedbackFilter, page: PageRequest) -> PortResult<Page<Feedback>> {
        let listing = Listing::of(filter)?;
        let start = page.cursor.as_ref().map(|c| listing.start(c)).transpose()?;
        let table = self.table();
        let make = || {
            self.dynamo
                .client()
                .query()
                .table_name(&table)
                .index_name(listing.index)
                .key_condition_expression("#partition = :value")
                .expression_attribute_names("#partition", listing.partition)
                .expression_attribute_values(":value", s(listing.value.clone()))
                .scan_index_forward(false)
        };
        let (items, next) = query_page(make, page.size(), start, &listing.key_attrs()).await?;
        Ok(Page {
            items: items.iter().map(record_of).collect::<PortResult<_>>()?,
            next_cursor: next.as_ref().map(encode),
        })
    }

    /// The session's keys from `bySession`, then batched deletes.
    async fn delete_by_session(&self, session: &SessionId) -> PortResult<()> {
        let keys: Vec<Item> = self
            .session_items(session, Some(KEY))
            .await?
            .into_iter()
            .filter_map(|item| {
                item.get(KEY)
                    .map(|id| Item::from([(KEY.to_string(), id.clone())]))
            })
            .collect();
        batch_delete(self.dynamo.client(), &self.table(), keys).await
    }
}

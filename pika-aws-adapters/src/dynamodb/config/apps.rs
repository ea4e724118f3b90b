//! [`ChatAppStore`] on the `config` table: apps under `app#{id}`, their
//! overrides under `override#{id}` (without `kind`, so listings never show
//! them).

use super::versioned::{self, get_item, key, pk, Versioned, PK};
use crate::dynamodb::codec::{from_item, s, to_item};
use crate::dynamodb::errors::or_condition;
use crate::dynamodb::{ddb_error, tables, Dynamo};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem};
use pika_domain::chat_app::{ChatApp, ChatAppOverride};
use pika_domain::ids::ChatAppId;
use pika_ports::{ChatAppStore, Page, PageRequest, PortError, PortResult};

/// The key prefix of overrides.
const OVERRIDE: &str = "override";

impl Versioned for ChatApp {
    const KIND: &'static str = "app";
    const WHAT: &'static str = "chat app";
    fn id(&self) -> &str {
        self.chat_app_id.as_str()
    }
}

/// Chat apps and their overrides (see [`ChatAppStore`]).
#[derive(Debug, Clone)]
pub struct DynamoChatAppStore {
    dynamo: Dynamo,
}

impl DynamoChatAppStore {
    /// The chat apps of `dynamo`'s `config` table.
    pub fn new(dynamo: Dynamo) -> Self {
        Self { dynamo }
    }

    fn delete_of(&self, pk: String) -> PortResult<TransactWriteItem> {
        let delete = Delete::builder()
            .table_name(self.dynamo.table(&tables::CONFIG))
            .set_key(Some(key(pk)))
            .build()
            .map_err(|e| PortError::permanent(format!("delete request: {e}")))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }
}

#[async_trait]
impl ChatAppStore for DynamoChatAppStore {
    async fn get(&self, id: &ChatAppId) -> PortResult<Option<ChatApp>> {
        versioned::get(&self.dynamo, id.as_str()).await
    }

    async fn list(&self, page: PageRequest) -> PortResult<Page<ChatApp>> {
        versioned::list(&self.dynamo, page).await
    }

    async fn create(&self, app: &ChatApp) -> PortResult<()> {
        versioned::create(&self.dynamo, app).await
    }

    async fn update(&self, app: &ChatApp, expected_version: u64) -> PortResult<()> {
        versioned::update(&self.dynamo, app, expected_version).await
    }

    /// The app and its override go together, in one transaction.
    async fn delete(&self, id: &ChatAppId) -> PortResult<()> {
        let app = self.delete_of(pk(ChatApp::KIND, id.as_str()))?;
        let ovr = self.delete_of(pk(OVERRIDE, id.as_str()))?;
        self.dynamo
            .client()
            .transact_write_items()
            .transact_items(app)
            .transact_items(ovr)
            .send()
            .await
            .map(drop)
            .map_err(|e| ddb_error("delete chat app", e))
    }

    async fn get_override(&self, id: &ChatAppId) -> PortResult<Option<ChatAppOverride>> {
        get_item(&self.dynamo, pk(OVERRIDE, id.as_str()))
            .await?
            .map(|item| from_item(&item, &[PK]))
            .transpose()
    }

    /// A `ConditionCheck` that the app exists and the `Put` of the override,
    /// in one transaction: an override never outlives a concurrently deleted app.
    async fn put_override(&self, id: &ChatAppId, ovr: &ChatAppOverride) -> PortResult<()> {
        let table = self.dynamo.table(&tables::CONFIG);
        let app_exists = ConditionCheck::builder()
            .table_name(&table)
            .set_key(Some(key(pk(ChatApp::KIND, id.as_str()))))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(|e| PortError::permanent(format!("condition check: {e}")))?;
        let mut item = to_item(ovr)?;
        item.insert(PK.to_string(), s(pk(OVERRIDE, id.as_str())));
        let put = Put::builder()
            .table_name(&table)
            .set_item(Some(item))
            .build()
            .map_err(|e| PortError::permanent(format!("put request: {e}")))?;
        let result = self
            .dynamo
            .client()
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .condition_check(app_exists)
                    .build(),
            )
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await;
        or_condition("put chat app override", result, || {
            PortError::not_found(format!("no chat app {id}"))
        })
        .map(drop)
    }

    async fn delete_override(&self, id: &ChatAppId) -> PortResult<()> {
        self.dynamo
            .client()
            .delete_item()
            .table_name(self.dynamo.table(&tables::CONFIG))
            .set_key(Some(key(pk(OVERRIDE, id.as_str()))))
            .send()
            .await
            .map(drop)
            .map_err(|e| ddb_error("delete chat app override", e))
    }
}

//! [`UserStore`] on the users table (docs/storage.md): one item per
//! `userId`, the profile's own attributes, replaced whole on every put;
//! and one item per user with overrides, `overrides#{userId}`, holding
//! them as JSON.

use super::codec::{self, s, Item};
use super::errors::ddb_error;
use super::{tables, Dynamo};
use async_trait::async_trait;
use pika_domain::ids::UserId;
use pika_domain::user::User;
use pika_domain::user_data::Overrides;
use pika_ports::{PortError, PortResult, UserStore};

const USER_ID: &str = "userId";
/// The overrides item's JSON.
const BODY: &str = "body";

/// User profiles in DynamoDB (see [`UserStore`]).
#[derive(Debug, Clone)]
pub struct DynamoUserStore {
    dynamo: Dynamo,
    table: String,
}

impl DynamoUserStore {
    /// The users table of `dynamo`.
    pub fn new(dynamo: Dynamo) -> Self {
        let table = dynamo.table(&tables::USERS);
        Self { dynamo, table }
    }

    fn key(id: &UserId) -> Item {
        [(USER_ID.to_string(), s(id.to_string()))].into()
    }

    /// The item of the user's overrides: its own key in the same table (a
    /// profile `put` replaces the profile's item, never this one). User
    /// ids never contain `#`, so no profile's key can look like it.
    fn overrides_key(id: &UserId) -> Item {
        [(USER_ID.to_string(), s(format!("overrides#{id}")))].into()
    }
}

#[async_trait]
impl UserStore for DynamoUserStore {
    async fn get(&self, id: &UserId) -> PortResult<Option<User>> {
        let output = self
            .dynamo
            .client()
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| ddb_error("get user", e))?;
        output
            .item
            .map(|item| codec::from_item(&item, &[]))
            .transpose()
    }

    async fn put(&self, user: &User) -> PortResult<()> {
        // A PutItem replaces the whole item: no stale roles or custom data.
        self.dynamo
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(codec::to_item(user)?))
            .send()
            .await
            .map_err(|e| ddb_error("put user", e))?;
        Ok(())
    }

    async fn delete(&self, id: &UserId) -> PortResult<()> {
        for key in [Self::key(id), Self::overrides_key(id)] {
            self.dynamo
                .client()
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key))
                .send()
                .await
                .map_err(|e| ddb_error("delete user", e))?;
        }
        Ok(())
    }

    async fn overrides(&self, id: &UserId) -> PortResult<Overrides> {
        let output = self
            .dynamo
            .client()
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::overrides_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| ddb_error("get user overrides", e))?;
        let Some(body) = output
            .item
            .as_ref()
            .and_then(|item| item.get(BODY))
            .and_then(|v| v.as_s().ok())
        else {
            return Ok(Overrides::new());
        };
        serde_json::from_str(body)
            .map_err(|e| PortError::permanent(format!("stored overrides do not parse: {e}")))
    }

    async fn put_overrides(&self, id: &UserId, overrides: &Overrides) -> PortResult<()> {
        if overrides.is_empty() {
            self.dynamo
                .client()
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(Self::overrides_key(id)))
                .send()
                .await
                .map_err(|e| ddb_error("delete user overrides", e))?;
            return Ok(());
        }
        let body = serde_json::to_string(overrides)
            .map_err(|e| PortError::invalid(format!("overrides do not serialize: {e}")))?;
        let mut item = Self::overrides_key(id);
        item.insert(BODY.to_string(), s(body));
        self.dynamo
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| ddb_error("put user overrides", e))?;
        Ok(())
    }
}

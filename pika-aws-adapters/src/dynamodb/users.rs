//! [`UserStore`] on the users table (docs/storage.md): one item per
//! `userId`, the profile's own attributes, replaced whole on every put.

use super::codec::{self, s, Item};
use super::errors::ddb_error;
use super::{tables, Dynamo};
use async_trait::async_trait;
use pika_domain::ids::UserId;
use pika_domain::user::User;
use pika_ports::{PortResult, UserStore};

const USER_ID: &str = "userId";

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
        self.dynamo
            .client()
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(id)))
            .send()
            .await
            .map_err(|e| ddb_error("delete user", e))?;
        Ok(())
    }
}

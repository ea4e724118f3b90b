//! [`UserStore`] on SQLite.

use crate::sqlite::db::SqliteDb;
use crate::sqlite::support::{from_json, to_json, Fail};
use async_trait::async_trait;
use pika_domain::ids::UserId;
use pika_domain::user::User;
use pika_domain::user_data::Overrides;
use pika_ports::{PortResult, UserStore};
use rusqlite::{params, OptionalExtension};

/// User profiles in the `users` table, by user id (see [`UserStore`]).
#[derive(Clone, Debug)]
pub struct SqliteUserStore {
    db: SqliteDb,
}

impl SqliteUserStore {
    /// The users of `db`.
    pub fn new(db: SqliteDb) -> Self {
        Self { db }
    }
}

#[async_trait]
impl UserStore for SqliteUserStore {
    async fn get(&self, id: &UserId) -> PortResult<Option<User>> {
        let id = id.as_str().to_string();
        self.db
            .read(move |conn| {
                let body: Option<String> = conn
                    .prepare_cached("SELECT body FROM users WHERE user_id = ?1")?
                    .query_row([id], |row| row.get(0))
                    .optional()?;
                body.map(|b| from_json(&b)).transpose()
            })
            .await
    }

    async fn put(&self, user: &User) -> PortResult<()> {
        let id = user.user_id.as_str().to_string();
        let body = to_json(user).map_err(Fail::into_port)?;
        self.db
            .write(move |tx| {
                tx.prepare_cached(
                    "INSERT INTO users (user_id, body) VALUES (?1, ?2) \
                     ON CONFLICT (user_id) DO UPDATE SET body = excluded.body",
                )?
                .execute(params![id, body])?;
                Ok(())
            })
            .await
    }

    async fn delete(&self, id: &UserId) -> PortResult<()> {
        let id = id.as_str().to_string();
        self.db
            .write(move |tx| {
                tx.prepare_cached("DELETE FROM users WHERE user_id = ?1")?
                    .execute([&id])?;
                tx.prepare_cached("DELETE FROM user_overrides WHERE user_id = ?1")?
                    .execute([&id])?;
                Ok(())
            })
            .await
    }

    async fn overrides(&self, id: &UserId) -> PortResult<Overrides> {
        let id = id.as_str().to_string();
        self.db
            .read(move |conn| {
                let body: Option<String> = conn
                    .prepare_cached("SELECT body FROM user_overrides WHERE user_id = ?1")?
                    .query_row([id], |row| row.get(0))
                    .optional()?;
                Ok(body.map(|b| from_json(&b)).transpose()?.unwrap_or_default())
            })
            .await
    }

    async fn put_overrides(&self, id: &UserId, overrides: &Overrides) -> PortResult<()> {
        let id = id.as_str().to_string();
        let body = (!overrides.is_empty())
            .then(|| to_json(overrides).map_err(Fail::into_port))
            .transpose()?;
        self.db
            .write(move |tx| {
                match body {
                    Some(body) => tx
                        .prepare_cached(
                            "INSERT INTO user_overrides (user_id, body) VALUES (?1, ?2) \
                             ON CONFLICT (user_id) DO UPDATE SET body = excluded.body",
                        )?
                        .execute(params![id, body])?,
                    None => tx
                        .prepare_cached("DELETE FROM user_overrides WHERE user_id = ?1")?
                        .execute([id])?,
                };
                Ok(())
            })
            .await
    }
}

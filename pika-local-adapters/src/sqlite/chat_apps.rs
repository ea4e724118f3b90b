//! [`ChatAppStore`] on SQLite: chat apps in `chat_apps` (see `config.rs`
//! for the versioned operations) and their overrides in
//! `chat_app_overrides`, whose rows belong to an existing app.

use crate::sqlite::config::{create, get, list, update};
use crate::sqlite::db::SqliteDb;
use crate::sqlite::support::{from_json, to_json, Fail};
use async_trait::async_trait;
use pika_domain::chat_app::{ChatApp, ChatAppOverride};
use pika_domain::ids::ChatAppId;
use pika_ports::{ChatAppStore, Page, PageRequest, PortError, PortResult};
use rusqlite::{params, OptionalExtension};

/// Chat apps and their overrides (see [`ChatAppStore`]). Deleting an app
/// deletes its override in the same transaction.
#[derive(Clone, Debug)]
pub struct SqliteChatAppStore {
    db: SqliteDb,
}

impl SqliteChatAppStore {
    /// The chat apps of `db`.
    pub fn new(db: SqliteDb) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ChatAppStore for SqliteChatAppStore {
    async fn get(&self, id: &ChatAppId) -> PortResult<Option<ChatApp>> {
        get(&self.db, id.as_str()).await
    }

    async fn list(&self, page: PageRequest) -> PortResult<Page<ChatApp>> {
        list(&self.db, page).await
    }

    async fn create(&self, app: &ChatApp) -> PortResult<()> {
        create(&self.db, app).await
    }

    async fn update(&self, app: &ChatApp, expected_version: u64) -> PortResult<()> {
        update(&self.db, app, expected_version).await
    }

    async fn delete(&self, id: &ChatAppId) -> PortResult<()> {
        let id = id.as_str().to_string();
        self.db
            .write(move |tx| {
                // The foreign key cascades too; saying it keeps the intent plain.
                tx.prepare_cached("DELETE FROM chat_app_overrides WHERE id = ?1")?
                    .execute([&id])?;
                tx.prepare_cached("DELETE FROM chat_apps WHERE id = ?1")?
                    .execute([&id])?;
                Ok(())
            })
            .await
    }

    async fn get_override(&self, id: &ChatAppId) -> PortResult<Option<ChatAppOverride>> {
        let id = id.as_str().to_string();
        self.db
            .read(move |conn| {
                let body: Option<String> = conn
                    .prepare_cached("SELECT body FROM chat_app_overrides WHERE id = ?1")?
                    .query_row([id], |row| row.get(0))
                    .optional()?;
                body.map(|b| from_json(&b)).transpose()
            })
            .await
    }

    async fn put_override(&self, id: &ChatAppId, ovr: &ChatAppOverride) -> PortResult<()> {
        let id = id.as_str().to_string();
        let body = to_json(ovr).map_err(Fail::into_port)?;
        self.db
            .write(move |tx| {
                let app_exists: bool = tx
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM chat_apps WHERE id = ?1)")?
                    .query_row([&id], |row| row.get(0))?;
                if !app_exists {
                    return Err(
                        PortError::not_found(format!("chat app {id} does not exist")).into(),
                    );
                }
                tx.prepare_cached(
                    "INSERT INTO chat_app_overrides (id, body) VALUES (?1, ?2) \
                     ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                )?
                .execute(params![id, body])?;
                Ok(())
            })
            .await
    }

    async fn delete_override(&self, id: &ChatAppId) -> PortResult<()> {
        let id = id.as_str().to_string();
        self.db
            .write(move |tx| {
                tx.prepare_cached("DELETE FROM chat_app_overrides WHERE id = ?1")?
                    .execute([id])?;
                Ok(())
            })
            .await
    }
}

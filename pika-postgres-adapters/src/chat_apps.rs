//! [`ChatAppStore`] on PostgreSQL: chat apps in `chat_apps` (see
//! `config.rs` for the versioned operations) and their overrides in
//! `chat_app_overrides`, whose rows belong to an existing app (a foreign
//! key with `ON DELETE CASCADE`).

use crate::config::{create, get, list, update};
use crate::db::{begin, commit, PostgresDb};
use crate::support::{body_at, execute, query_opt, to_json};
use async_trait::async_trait;
use pika_domain::chat_app::{ChatApp, ChatAppOverride};
use pika_domain::ids::ChatAppId;
use pika_ports::{ChatAppStore, Page, PageRequest, PortError, PortResult};

/// Chat apps and their overrides (see [`ChatAppStore`]). Deleting an app
/// deletes its override in the same transaction; an override is written
/// only while its app's row is locked against deletion.
#[derive(Clone, Debug)]
pub struct PostgresChatAppStore {
    db: PostgresDb,
}

impl PostgresChatAppStore {
    /// The chat apps of `db`.
    pub fn new(db: PostgresDb) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ChatAppStore for PostgresChatAppStore {
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
        let id = id.as_str();
        let mut client = self.db.client().await?;
        let tx = begin(&mut client).await?;
        // The foreign key cascades too; saying it keeps the intent plain.
        execute(&tx, "DELETE FROM chat_app_overrides WHERE id = $1", &[&id]).await?;
        execute(&tx, "DELETE FROM chat_apps WHERE id = $1", &[&id]).await?;
        commit(tx).await
    }

    async fn get_override(&self, id: &ChatAppId) -> PortResult<Option<ChatAppOverride>> {
        let client = self.db.client().await?;
        query_opt(
            &client,
            "SELECT body FROM chat_app_overrides WHERE id = $1",
            &[&id.as_str()],
        )
        .await?
        .map(|row| body_at(&row, 0))
        .transpose()
    }

    async fn put_override(&self, id: &ChatAppId, ovr: &ChatAppOverride) -> PortResult<()> {
        let id = id.as_str();
        let body = to_json(ovr)?;
        let mut client = self.db.client().await?;
        let tx = begin(&mut client).await?;
        // `FOR KEY SHARE` holds off a concurrent delete of the app until the
        // override is written (as the foreign key check would, but here a
        // missing app is `NotFound`, not a constraint `Conflict`), while
        // leaving the app's own updates free to run.
        let app = query_opt(
            &tx,
            "SELECT 1 FROM chat_apps WHERE id = $1 FOR KEY SHARE",
            &[&id],
        )
        .await?;
        if app.is_none() {
            return Err(PortError::not_found(format!(
                "chat app {id} does not exist"
            )));
        }
        execute(
            &tx,
            "INSERT INTO chat_app_overrides (id, body) VALUES ($1, $2) \
             ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body",
            &[&id, &body],
        )
        .await?;
        commit(tx).await
    }

    async fn delete_override(&self, id: &ChatAppId) -> PortResult<()> {
        let client = self.db.client().await?;
        execute(
            &client,
            "DELETE FROM chat_app_overrides WHERE id = $1",
            &[&id.as_str()],
        )
        .await?;
        Ok(())
    }
}

//! [`UserStore`] on PostgreSQL.

use crate::db::{begin, commit, PostgresDb};
use crate::support::{body_at, execute, query_opt, to_json};
use async_trait::async_trait;
use pika_domain::ids::UserId;
use pika_domain::user::User;
use pika_domain::user_data::Overrides;
use pika_ports::{PortResult, UserStore};

/// User profiles in the `users` table and their overrides in
/// `user_overrides`, both by user id (see [`UserStore`]). Every write is one
/// upsert or delete; deleting a user removes both rows in one transaction.
#[derive(Clone, Debug)]
pub struct PostgresUserStore {
    db: PostgresDb,
}

impl PostgresUserStore {
    /// The users of `db`.
    pub fn new(db: PostgresDb) -> Self {
        Self { db }
    }
}

#[async_trait]
impl UserStore for PostgresUserStore {
    async fn get(&self, id: &UserId) -> PortResult<Option<User>> {
        let client = self.db.client().await?;
        query_opt(
            &client,
            "SELECT body FROM users WHERE user_id = $1",
            &[&id.as_str()],
        )
        .await?
        .map(|row| body_at(&row, 0))
        .transpose()
    }

    async fn put(&self, user: &User) -> PortResult<()> {
        let body = to_json(user)?;
        let client = self.db.client().await?;
        // An upsert: concurrent sign-ins of one user each replace the
        // profile whole, the last one wins, none fails on the key.
        execute(
            &client,
            "INSERT INTO users (user_id, body) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO UPDATE SET body = excluded.body",
            &[&user.user_id.as_str(), &body],
        )
        .await?;
        Ok(())
    }

    async fn delete(&self, id: &UserId) -> PortResult<()> {
        let id = id.as_str();
        let mut client = self.db.client().await?;
        // One transaction: an erasure never leaves the overrides behind
        // the profile, or the profile behind the overrides.
        let tx = begin(&mut client).await?;
        execute(&tx, "DELETE FROM users WHERE user_id = $1", &[&id]).await?;
        execute(&tx, "DELETE FROM user_overrides WHERE user_id = $1", &[&id]).await?;
        commit(tx).await
    }

    async fn overrides(&self, id: &UserId) -> PortResult<Overrides> {
        let client = self.db.client().await?;
        Ok(query_opt(
            &client,
            "SELECT body FROM user_overrides WHERE user_id = $1",
            &[&id.as_str()],
        )
        .await?
        .map(|row| body_at(&row, 0))
        .transpose()?
        .unwrap_or_default())
    }

    async fn put_overrides(&self, id: &UserId, overrides: &Overrides) -> PortResult<()> {
        let id = id.as_str();
        let client = self.db.client().await?;
        // No row stands for no overrides, so an empty map is a delete.
        if overrides.is_empty() {
            execute(
                &client,
                "DELETE FROM user_overrides WHERE user_id = $1",
                &[&id],
            )
            .await?;
        } else {
            let body = to_json(overrides)?;
            execute(
                &client,
                "INSERT INTO user_overrides (user_id, body) VALUES ($1, $2) \
                 ON CONFLICT (user_id) DO UPDATE SET body = excluded.body",
                &[&id, &body],
            )
            .await?;
        }
        Ok(())
    }
}

//! The user store port: profiles the identity provider sent, kept so admins
//! and jobs can find users without a token.

use crate::error::PortResult;
use async_trait::async_trait;
use pika_domain::ids::UserId;
use pika_domain::user::User;

/// Stores user profiles.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait UserStore: Send + Sync {
    /// The user; `Ok(None)` when unknown.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn get(&self, id: &UserId) -> PortResult<Option<User>>;

    /// Creates or replaces the profile.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn put(&self, user: &User) -> PortResult<()>;

    /// Deletes the profile; deleting an unknown user succeeds.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn delete(&self, id: &UserId) -> PortResult<()>;
}

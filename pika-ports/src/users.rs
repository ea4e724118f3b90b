//! The user store port: profiles the identity provider sent, kept so admins
//! and jobs can find users without a token.

use crate::error::PortResult;
use async_trait::async_trait;
use pika_domain::ids::UserId;
use pika_domain::user::User;
use pika_domain::user_data::Overrides;

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

    /// Deletes the profile and the user's overrides; deleting an unknown
    /// user succeeds.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn delete(&self, id: &UserId) -> PortResult<()>;

    /// The user's custom-data overrides, by chat app (empty when none).
    /// Kept apart from the profile: a `put` of the profile leaves them.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn overrides(&self, id: &UserId) -> PortResult<Overrides>;

    /// Replaces the user's overrides (an empty map removes them).
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn put_overrides(&self, id: &UserId, overrides: &Overrides) -> PortResult<()>;
}

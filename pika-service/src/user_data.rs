//! User data overrides (see [`pika_domain::user_data`]): a permitted user
//! reads, sets and clears their own override of one chat app, and a turn
//! runs as the user with it applied.

use crate::config_cache::ConfigCache;
use crate::error::ServiceError;
use crate::ports::Ports;
use crate::retry::retry_transient;
use pika_domain::access::decide_access;
use pika_domain::features::{resolve_features, ResolvedFeatures};
use pika_domain::ids::ChatAppId;
use pika_domain::user::User;
use pika_domain::user_data::{apply, OverrideRules};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The callers' own user data overrides.
#[derive(Clone)]
pub struct UserDataService {
    ports: Ports,
    config: Arc<ConfigCache>,
}

impl UserDataService {
    /// The service over `ports`, reading configuration through `config`.
    pub fn new(ports: Ports, config: Arc<ConfigCache>) -> Self {
        Self { ports, config }
    }

    /// The override rules of `app` for `caller`, when they may override.
    async fn rules(&self, caller: &User, app: &ChatAppId) -> Result<OverrideRules, ServiceError> {
        let config = self
            .config
            .chat_app(app)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("chat app {app}")))?;
        let site = self.config.site().await?;
        if !decide_access(caller, &config.app, config.ovr.as_ref(), &site).is_allowed() {
            // As for turns: an app the caller may not use is an unknown one.
            return Err(ServiceError::not_found(format!("chat app {app}")));
        }
        let features = resolve_features(caller, &config.app, config.ovr.as_ref(), &site);
        let Some(feature) = features.user_data_overrides else {
            return Err(ServiceError::Forbidden(
                "user data overrides are off for this chat app".to_string(),
            ));
        };
        let rules = OverrideRules::from_settings(&feature.settings);
        if !rules.permits(caller) {
            return Err(ServiceError::Forbidden(
                "you may not override your user data in this chat app".to_string(),
            ));
        }
        Ok(rules)
    }

    /// The caller's override of `app` (empty when none).
    ///
    /// # Errors
    /// `NotFound` for an app the caller may not use; `Forbidden` when the
    /// feature is off or does not permit the caller; store failures.
    pub async fn get(
        &self,
        caller: &User,
        app: &ChatAppId,
    ) -> Result<Map<String, Value>, ServiceError> {
        self.rules(caller, app).await?;
        let all = self.ports.users.overrides(&caller.user_id).await?;
        Ok(all.get(app).cloned().unwrap_or_default())
    }

    /// Replaces the caller's override of `app` with `data` (empty clears it).
    ///
    /// # Errors
    /// As [`Self::get`], and `Invalid` for a key the settings do not allow
    /// or an override over 8 KB.
    pub async fn set(
        &self,
        caller: &User,
        app: &ChatAppId,
        data: Map<String, Value>,
    ) -> Result<Map<String, Value>, ServiceError> {
        let rules = self.rules(caller, app).await?;
        rules
            .check(&data)
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let users = &self.ports.users;
        let mut all = retry_transient(|| users.overrides(&caller.user_id)).await?;
        if data.is_empty() {
            all.remove(app);
        } else {
            all.insert(app.clone(), data.clone());
        }
        retry_transient(|| users.put_overrides(&caller.user_id, &all)).await?;
        Ok(data)
    }
}

/// The user a turn of `caller` in `app` runs as: with their override of
/// `app` applied when the feature permits them one. Best effort: an
/// override that cannot be read is left out (with a warning).
pub(crate) async fn effective_user(
    ports: &Ports,
    caller: &User,
    app: &ChatAppId,
    features: &ResolvedFeatures,
) -> User {
    let Some(feature) = &features.user_data_overrides else {
        return caller.clone();
    };
    let rules = OverrideRules::from_settings(&feature.settings);
    if !rules.permits(caller) {
        return caller.clone();
    }
    match ports.users.overrides(&caller.user_id).await {
        Ok(all) => match all.get(app) {
            Some(data) => apply(caller, data, &rules),
            None => caller.clone(),
        },
        Err(e) => {
            tracing::warn!(error = %e, user = %caller.user_id, "user data overrides could not be read");
            caller.clone()
        }
    }
}

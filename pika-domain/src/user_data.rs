//! User data overrides (PIKA.md §4 `userDataOverrides`): a permitted user
//! sets, per chat app, values that replace keys of the custom data their
//! identity provider sent — an internal support agent acting for a
//! customer's account, say. The overridden data decides the entity of new
//! sessions, the knowledge-base filters and what tools receive; who the
//! user is (id, type, roles) never changes.
//!
//! The feature's `settings`: `{"userTypes": ["internal-user"], "roles":
//! [...], "attributes": ["accountId", ...]}` — who may override (by type,
//! or by role; internal users when neither is set) and which top-level keys
//! (all when none are listed).

use crate::ids::ChatAppId;
use crate::user::{User, UserType};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use thiserror::Error;

/// Most bytes of JSON one chat app's override may hold.
pub const MAX_OVERRIDE_BYTES: usize = 8 * 1024;

/// A user's overrides, by chat app.
pub type Overrides = BTreeMap<ChatAppId, Map<String, Value>>;

/// Who may override what (the feature's settings).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OverrideRules {
    /// User types that may override.
    pub user_types: Vec<UserType>,
    /// Roles that may override.
    pub roles: Vec<String>,
    /// The keys that may be overridden; any when empty.
    pub attributes: Vec<String>,
    /// Set when the settings did not parse: nobody may override then.
    #[serde(skip)]
    unreadable: bool,
}

/// Why an override is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidOverride {
    /// A key the settings do not allow.
    #[error("'{0}' may not be overridden in this chat app")]
    Attribute(String),
    /// Too large.
    #[error("an override holds at most {MAX_OVERRIDE_BYTES} bytes of JSON")]
    TooLarge,
}

impl OverrideRules {
    /// The rules in a feature's `settings` (none: the defaults). Settings
    /// that do not parse permit nobody: a typo must never widen who may
    /// override.
    pub fn from_settings(settings: &Value) -> Self {
        if settings.is_null() {
            return Self::default();
        }
        serde_json::from_value(settings.clone()).unwrap_or_else(|_| Self {
            unreadable: true,
            ..Self::default()
        })
    }

    /// Whether `user` may override.
    pub fn permits(&self, user: &User) -> bool {
        if self.unreadable {
            return false;
        }
        if self.user_types.is_empty() && self.roles.is_empty() {
            return user.user_type == UserType::InternalUser;
        }
        self.user_types.contains(&user.user_type) || self.roles.iter().any(|r| user.has_role(r))
    }

    /// Checks `data` against the allowed keys and the size limit.
    ///
    /// # Errors
    /// The first key not allowed, or the size.
    pub fn check(&self, data: &Map<String, Value>) -> Result<(), InvalidOverride> {
        if !self.attributes.is_empty() {
            if let Some(key) = data.keys().find(|k| !self.attributes.contains(k)) {
                return Err(InvalidOverride::Attribute(key.clone()));
            }
        }
        if Value::Object(data.clone()).to_string().len() > MAX_OVERRIDE_BYTES {
            return Err(InvalidOverride::TooLarge);
        }
        Ok(())
    }
}

/// `user` with `data`'s keys replacing those of its custom data — only the
/// keys `rules` allow now (an override stored under wider rules keeps no
/// more than the current ones allow).
pub fn apply(user: &User, data: &Map<String, Value>, rules: &OverrideRules) -> User {
    let mut effective = user.clone();
    let allowed = |k: &String| rules.attributes.is_empty() || rules.attributes.contains(k);
    for (k, v) in data.iter().filter(|(k, _)| allowed(k)) {
        effective.custom_data.insert(k.clone(), v.clone());
    }
    effective
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ids::UserId;
    use serde_json::json;

    fn user(kind: UserType, roles: &[&str]) -> User {
        let mut u = User::new(UserId::parse("u").unwrap(), kind);
        u.roles = roles.iter().map(|r| r.to_string()).collect();
        u.custom_data = json!({"accountId": "own", "region": "eu"})
            .as_object()
            .cloned()
            .unwrap();
        u
    }

    #[test]
    fn internal_users_override_by_default_others_by_type_or_role() {
        let defaults = OverrideRules::from_settings(&Value::Null);
        assert!(defaults.permits(&user(UserType::InternalUser, &[])));
        assert!(!defaults.permits(&user(UserType::ExternalUser, &[])));
        let by_role = OverrideRules::from_settings(&json!({"roles": ["support"]}));
        assert!(by_role.permits(&user(UserType::ExternalUser, &["support"])));
        assert!(!by_role.permits(&user(UserType::InternalUser, &[])));
    }

    #[test]
    fn settings_that_do_not_parse_permit_nobody() {
        let typo = OverrideRules::from_settings(&json!({"roles": "support"}));
        assert!(!typo.permits(&user(UserType::InternalUser, &["support"])));
    }

    #[test]
    fn keys_no_longer_allowed_are_not_applied() {
        let u = user(UserType::InternalUser, &[]);
        let stored = json!({"accountId": "acme", "region": "us"})
            .as_object()
            .cloned()
            .unwrap();
        let narrowed = OverrideRules::from_settings(&json!({"attributes": ["region"]}));
        let e = apply(&u, &stored, &narrowed);
        assert_eq!(e.custom_data["accountId"], "own");
        assert_eq!(e.custom_data["region"], "us");
    }

    #[test]
    fn only_listed_keys_and_bounded_size() {
        let rules = OverrideRules::from_settings(&json!({"attributes": ["accountId"]}));
        let ok = json!({"accountId": "acme"}).as_object().cloned().unwrap();
        assert_eq!(rules.check(&ok), Ok(()));
        let bad = json!({"region": "us"}).as_object().cloned().unwrap();
        assert_eq!(
            rules.check(&bad),
            Err(InvalidOverride::Attribute("region".into()))
        );
        let big = json!({"accountId": "x".repeat(MAX_OVERRIDE_BYTES)})
            .as_object()
            .cloned()
            .unwrap();
        assert_eq!(rules.check(&big), Err(InvalidOverride::TooLarge));
    }

    #[test]
    fn applying_replaces_keys_and_keeps_identity() {
        let u = user(UserType::InternalUser, &["r"]);
        let data = json!({"accountId": "acme"}).as_object().cloned().unwrap();
        let e = apply(&u, &data, &OverrideRules::default());
        assert_eq!(e.custom_data["accountId"], "acme");
        assert_eq!(e.custom_data["region"], "eu");
        assert_eq!(
            (e.user_id, e.user_type, e.roles),
            (u.user_id, u.user_type, u.roles)
        );
    }
}

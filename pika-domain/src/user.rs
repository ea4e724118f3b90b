//! Users, their type, roles and custom data (PIKA.md §2).

use crate::ids::{EntityId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Whether a user belongs to the operator's organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum UserType {
    /// `internal-user`: staff of the operator.
    InternalUser,
    /// `external-user`: a customer. A missing type means external.
    #[default]
    ExternalUser,
}

impl UserType {
    /// The wire name (`internal-user` / `external-user`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::InternalUser => "internal-user",
            Self::ExternalUser => "external-user",
        }
    }

    /// Parses a wire name; anything unknown (or missing) is external, as
    /// PIKA.md §2 says — the safer of the two.
    pub fn from_claim(raw: Option<&str>) -> Self {
        match raw {
            Some("internal-user") => Self::InternalUser,
            _ => Self::ExternalUser,
        }
    }
}

/// Reserved role: may view other users' sessions, never post into them.
pub const ROLE_CONTENT_ADMIN: &str = "pika:content-admin";
/// Reserved role: administers chat apps, agents, tools, feedback and users.
pub const ROLE_SITE_ADMIN: &str = "pika:site-admin";

/// An authenticated user as the identity provider describes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Stable id from the identity provider.
    pub user_id: UserId,
    /// Given name, if known.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Family name, if known.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Internal or external; missing means external.
    #[serde(default)]
    pub user_type: UserType,
    /// Role names; see [`ROLE_CONTENT_ADMIN`] and [`ROLE_SITE_ADMIN`].
    #[serde(default)]
    pub roles: Vec<String>,
    /// Free-form data from the identity provider, e.g. `{"accountId": "a-17"}`.
    #[serde(default)]
    pub custom_data: Map<String, Value>,
}

impl User {
    /// A user with the given id and type, no roles and no custom data.
    pub fn new(user_id: UserId, user_type: UserType) -> Self {
        Self {
            user_id,
            first_name: None,
            last_name: None,
            user_type,
            roles: Vec::new(),
            custom_data: Map::new(),
        }
    }

    /// Whether the user carries `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether the user is a site admin.
    pub fn is_site_admin(&self) -> bool {
        self.has_role(ROLE_SITE_ADMIN)
    }

    /// Whether the user may view other users' sessions (content or site admin).
    pub fn may_view_others(&self) -> bool {
        self.has_role(ROLE_CONTENT_ADMIN) || self.is_site_admin()
    }

    /// The user's entity: the value at the dotted `path` inside custom data.
    ///
    /// Strings are taken as they are; numbers are taken in their decimal form
    /// (identity providers often send account numbers as numbers). Anything
    /// else — a missing key, an object, an empty string — means "no entity".
    pub fn entity_at(&self, path: &str) -> Option<EntityId> {
        let mut segments = path.split('.');
        let first = segments.next()?;
        let mut current = self.custom_data.get(first)?;
        for segment in segments {
            current = current.as_object()?.get(segment)?;
        }
        let raw = match current {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        EntityId::parse(raw).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user_with(data: Value) -> User {
        let mut user = User::new(UserId::parse("u1").unwrap(), UserType::ExternalUser);
        user.custom_data = data.as_object().cloned().unwrap_or_default();
        user
    }

    #[test]
    fn entity_is_found_by_dotted_path() {
        let user = user_with(json!({"account": {"id": "a-17"}, "accountId": 42}));
        assert_eq!(user.entity_at("account.id").unwrap().as_str(), "a-17");
        assert_eq!(user.entity_at("accountId").unwrap().as_str(), "42");
        assert_eq!(user.entity_at("account"), None);
        assert_eq!(user.entity_at("account.missing"), None);
        assert_eq!(user.entity_at("accountId.deeper"), None);
        assert_eq!(user.entity_at(""), None);
    }

    #[test]
    fn empty_entity_is_no_entity() {
        let user = user_with(json!({"accountId": ""}));
        assert_eq!(user.entity_at("accountId"), None);
    }

    #[test]
    fn unknown_user_type_is_external() {
        assert_eq!(UserType::from_claim(None), UserType::ExternalUser);
        assert_eq!(UserType::from_claim(Some("admin")), UserType::ExternalUser);
        assert_eq!(
            UserType::from_claim(Some("internal-user")),
            UserType::InternalUser
        );
    }
}

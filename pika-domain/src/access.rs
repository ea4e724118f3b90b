//! The access decision of PIKA.md §3: may this user use this chat app?
//!
//! Deny unless a rule allows. The decision says which rule decided, so tests
//! assert the reason and logs can show it.

use crate::chat_app::{ChatApp, ChatAppOverride};
use crate::site::SiteConfig;
use crate::user::{User, UserType};
use serde::{Deserialize, Serialize};

/// How the type list and the role list combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ApplyRulesAs {
    /// Both lists must match (the default).
    #[default]
    And,
    /// Either list may match.
    Or,
}

/// Who may use a chat app or a rule-gated feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessRules {
    /// Rules switched off allow nobody.
    pub enabled: bool,
    /// User types allowed (any match); `None` or empty means unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_types: Option<Vec<UserType>>,
    /// Roles allowed (any match); `None` or empty means unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_roles: Option<Vec<String>>,
    /// How the two lists combine; `and` by default.
    #[serde(default)]
    pub apply_rules_as: ApplyRulesAs,
}

impl AccessRules {
    /// Rules allowing the given user types (and nothing said about roles).
    pub fn for_types(types: impl IntoIterator<Item = UserType>) -> Self {
        Self {
            enabled: true,
            user_types: Some(types.into_iter().collect()),
            user_roles: None,
            apply_rules_as: ApplyRulesAs::And,
        }
    }

    /// Rules allowing the given roles (and nothing said about types).
    pub fn for_roles<S: Into<String>>(roles: impl IntoIterator<Item = S>) -> Self {
        Self {
            enabled: true,
            user_types: None,
            user_roles: Some(roles.into_iter().map(Into::into).collect()),
            apply_rules_as: ApplyRulesAs::And,
        }
    }

    /// Rules that allow nobody: no types, no roles.
    pub fn nobody() -> Self {
        Self {
            enabled: true,
            user_types: None,
            user_roles: None,
            apply_rules_as: ApplyRulesAs::And,
        }
    }

    fn types(&self) -> &[UserType] {
        self.user_types.as_deref().unwrap_or(&[])
    }

    fn roles(&self) -> &[String] {
        self.user_roles.as_deref().unwrap_or(&[])
    }

    /// Whether these rules name any types or roles at all.
    pub fn names_anyone(&self) -> bool {
        !self.types().is_empty() || !self.roles().is_empty()
    }

    /// Step 3 of the access decision: the general rules.
    ///
    /// `Ok(())` when `user` passes, otherwise the reason it does not.
    pub fn evaluate(&self, user: &User) -> Result<(), DenyReason> {
        if !self.enabled {
            return Err(DenyReason::RulesDisabled);
        }
        let types = self.types();
        let roles = self.roles();
        // An empty list on one side counts as unset when the other has entries.
        let type_match = (!types.is_empty()).then(|| types.contains(&user.user_type));
        let role_match = (!roles.is_empty()).then(|| roles.iter().any(|r| user.has_role(r)));
        match (type_match, role_match) {
            (None, None) => Err(DenyReason::NoRulesSet),
            (Some(true), None) | (None, Some(true)) => Ok(()),
            (Some(false), None) => Err(DenyReason::UserTypeNotAllowed),
            (None, Some(false)) => Err(DenyReason::RoleNotAllowed),
            (Some(t), Some(r)) => match self.apply_rules_as {
                ApplyRulesAs::And if t && r => Ok(()),
                ApplyRulesAs::And if !t => Err(DenyReason::UserTypeNotAllowed),
                ApplyRulesAs::And => Err(DenyReason::RoleNotAllowed),
                ApplyRulesAs::Or if t || r => Ok(()),
                ApplyRulesAs::Or => Err(DenyReason::NeitherTypeNorRoleAllowed),
            },
        }
    }
}

/// Why access was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyReason {
    /// The chat app is disabled.
    AppDisabled,
    /// The override disables the chat app.
    OverrideDisabled,
    /// The override's exclusive user list does not name the user.
    NotInExclusiveUserList,
    /// An exclusive entity list applies but no entity could be found for the user.
    NoEntity,
    /// The user's entity is not in the exclusive entity list.
    EntityNotInExclusiveList,
    /// The rules name neither user types nor roles: nobody is allowed.
    NoRulesSet,
    /// The rules are switched off.
    RulesDisabled,
    /// The user's type is not allowed.
    UserTypeNotAllowed,
    /// None of the user's roles is allowed.
    RoleNotAllowed,
    /// With `or`, neither the type nor any role matched.
    NeitherTypeNorRoleAllowed,
}

impl DenyReason {
    /// A sentence for logs and error details.
    pub fn describe(&self) -> &'static str {
        match self {
            Self::AppDisabled => "the chat app is disabled",
            Self::OverrideDisabled => "the chat app is disabled by its override",
            Self::NotInExclusiveUserList => "the user is not in the chat app's exclusive user list",
            Self::NoEntity => "an exclusive entity list applies and the user has no entity",
            Self::EntityNotInExclusiveList => {
                "the user's entity is not in the exclusive entity list"
            }
            Self::NoRulesSet => "the access rules name neither user types nor roles",
            Self::RulesDisabled => "the access rules are disabled",
            Self::UserTypeNotAllowed => "the user's type is not allowed",
            Self::RoleNotAllowed => "none of the user's roles is allowed",
            Self::NeitherTypeNorRoleAllowed => "neither the user's type nor a role is allowed",
        }
    }
}

/// Which rule granted access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllowBasis {
    /// The override's exclusive user list names the user.
    ExclusiveUserList,
    /// The override's exclusive entity list (for the user's type) names the user's entity.
    ExclusiveEntityList,
    /// The override's own rules.
    OverrideRules,
    /// The chat app's rules.
    AppRules,
}

/// The outcome of [`decide_access`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessDecision {
    /// The user may use the chat app.
    Allow(AllowBasis),
    /// The user may not.
    Deny(DenyReason),
}

impl AccessDecision {
    /// Whether access is allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allow(_))
    }
}

/// Decides whether `user` may use `app`, following PIKA.md §3 exactly.
pub fn decide_access(
    user: &User,
    app: &ChatApp,
    ovr: Option<&ChatAppOverride>,
    site: &SiteConfig,
) -> AccessDecision {
    if !app.enabled {
        return AccessDecision::Deny(DenyReason::AppDisabled);
    }
    let Some(ovr) = ovr else {
        return from_rules(&app.access_rules, user, AllowBasis::AppRules);
    };
    if ovr.enabled == Some(false) {
        return AccessDecision::Deny(DenyReason::OverrideDisabled);
    }
    if !ovr.exclusive_user_id_access_control.is_empty() {
        return if ovr.exclusive_user_id_access_control.contains(&user.user_id) {
            AccessDecision::Allow(AllowBasis::ExclusiveUserList)
        } else {
            AccessDecision::Deny(DenyReason::NotInExclusiveUserList)
        };
    }
    let entity_list = match user.user_type {
        UserType::InternalUser => &ovr.exclusive_internal_access_control,
        UserType::ExternalUser => &ovr.exclusive_external_access_control,
    };
    if !entity_list.is_empty() {
        let entity = site
            .entity_attribute_path()
            .and_then(|path| user.entity_at(path));
        return match entity {
            None => AccessDecision::Deny(DenyReason::NoEntity),
            Some(e) if entity_list.contains(&e) => {
                AccessDecision::Allow(AllowBasis::ExclusiveEntityList)
            }
            Some(_) => AccessDecision::Deny(DenyReason::EntityNotInExclusiveList),
        };
    }
    match &ovr.access_rules {
        Some(rules) if rules.names_anyone() => from_rules(rules, user, AllowBasis::OverrideRules),
        _ => from_rules(&app.access_rules, user, AllowBasis::AppRules),
    }
}

fn from_rules(rules: &AccessRules, user: &User, basis: AllowBasis) -> AccessDecision {
    match rules.evaluate(user) {
        Ok(()) => AccessDecision::Allow(basis),
        Err(reason) => AccessDecision::Deny(reason),
    }
}

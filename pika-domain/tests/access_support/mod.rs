//! Shared by the `access_cases*` tests: builders of users, rules, overrides,
//! apps, sites and sessions, and the named rows of the access decision table
//! (PIKA.md §3), one file per step.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod exclusive_rows;
mod rule_rows;

use pika_domain::access::{AccessDecision, AccessRules, AllowBasis, ApplyRulesAs, DenyReason};
use pika_domain::chat_app::{ChatApp, ChatAppMode, ChatAppOverride};
use pika_domain::chrono::{DateTime, TimeZone, Utc};
use pika_domain::features::{EntityFeature, FeatureSet};
use pika_domain::ids::{AgentId, ChatAppId, EntityId, SessionId, ShareId, UserId};
use pika_domain::session::{Session, ShareInfo};
use pika_domain::site::SiteConfig;
use pika_domain::user::{User, UserType, ROLE_SITE_ADMIN};
use pika_domain::uuid::Uuid;
use serde_json::{json, Value};

use AccessDecision::{Allow, Deny};
use UserType::{ExternalUser as External, InternalUser as Internal};

// ---------------------------------------------------------------- builders

pub fn uid(raw: &str) -> UserId {
    UserId::parse(raw).unwrap()
}

pub fn eid(raw: &str) -> EntityId {
    EntityId::parse(raw).unwrap()
}

pub fn user(id: &str, user_type: UserType, roles: &[&str], custom_data: Value) -> User {
    let mut u = User::new(uid(id), user_type);
    u.roles = roles.iter().map(|r| (*r).to_string()).collect();
    u.custom_data = custom_data.as_object().cloned().unwrap_or_default();
    u
}

pub fn internal(id: &str) -> User {
    user(id, Internal, &[], json!({}))
}

pub fn external(id: &str) -> User {
    user(id, External, &[], json!({}))
}

/// A user whose `accountId` (the site's entity attribute in most rows) is `entity`.
pub fn in_entity(id: &str, user_type: UserType, entity: &str) -> User {
    user(id, user_type, &[], json!({ "accountId": entity }))
}

pub fn rules(
    types: Option<Vec<UserType>>,
    roles: Option<Vec<&str>>,
    apply_rules_as: ApplyRulesAs,
) -> AccessRules {
    AccessRules {
        enabled: true,
        user_types: types,
        user_roles: roles.map(|rs| rs.into_iter().map(str::to_string).collect()),
        apply_rules_as,
    }
}

pub fn types(ts: &[UserType]) -> AccessRules {
    AccessRules::for_types(ts.iter().copied())
}

pub fn roles(rs: &[&str]) -> AccessRules {
    AccessRules::for_roles(rs.iter().copied())
}

pub fn everyone() -> AccessRules {
    types(&[Internal, External])
}

pub fn disabled(mut r: AccessRules) -> AccessRules {
    r.enabled = false;
    r
}

pub fn ovr() -> ChatAppOverride {
    ChatAppOverride::default()
}

pub fn only_users(ids: &[&str]) -> ChatAppOverride {
    ChatAppOverride {
        exclusive_user_id_access_control: ids.iter().map(|i| uid(i)).collect(),
        ..ovr()
    }
}

pub fn only_internal_entities(es: &[&str]) -> ChatAppOverride {
    ChatAppOverride {
        exclusive_internal_access_control: es.iter().map(|e| eid(e)).collect(),
        ..ovr()
    }
}

pub fn only_external_entities(es: &[&str]) -> ChatAppOverride {
    ChatAppOverride {
        exclusive_external_access_control: es.iter().map(|e| eid(e)).collect(),
        ..ovr()
    }
}

pub fn with_rules(r: AccessRules) -> ChatAppOverride {
    ChatAppOverride {
        access_rules: Some(r),
        ..ovr()
    }
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
}

pub fn chat_app(enabled: bool, access_rules: AccessRules) -> ChatApp {
    ChatApp {
        chat_app_id: ChatAppId::parse("support-bot").unwrap(),
        title: "Support".to_string(),
        description: String::new(),
        agent_id: AgentId::parse("support-agent").unwrap(),
        intents: Vec::new(),
        enabled,
        access_rules,
        features: FeatureSet::default(),
        modes_supported: vec![ChatAppMode::Standalone],
        quotas: None,
        session_retention_days: None,
        version: 1,
        created_at: t0(),
        updated_at: t0(),
        updated_by: None,
    }
}

/// How the site configures the entity feature.
#[derive(Clone, Copy)]
pub enum SiteEntity {
    /// No entity feature at all.
    Absent,
    /// The feature is present but switched off (its path is ignored).
    Off(&'static str),
    /// The feature is on but names no attribute path.
    OnWithoutPath,
    /// The feature is on with this dotted path.
    On(&'static str),
}

pub fn site(entity: SiteEntity) -> SiteConfig {
    let feature = match entity {
        SiteEntity::Absent => None,
        SiteEntity::Off(path) => Some(EntityFeature {
            enabled: false,
            attribute_path: Some(path.to_string()),
        }),
        SiteEntity::OnWithoutPath => Some(EntityFeature {
            enabled: true,
            attribute_path: None,
        }),
        SiteEntity::On(path) => Some(EntityFeature {
            enabled: true,
            attribute_path: Some(path.to_string()),
        }),
    };
    let mut s = SiteConfig::default();
    s.features.entity = feature;
    s
}

// ---------------------------------------------------------------- the table

pub struct Case {
    pub name: &'static str,
    pub user: User,
    pub app_enabled: bool,
    pub app_rules: AccessRules,
    pub ovr: Option<ChatAppOverride>,
    pub site_entity: SiteEntity,
    pub expected: AccessDecision,
}

/// Shorthand for the common row: enabled app, entity at `accountId`.
pub fn case(
    name: &'static str,
    user: User,
    app_rules: AccessRules,
    ovr: Option<ChatAppOverride>,
    expected: AccessDecision,
) -> Case {
    Case {
        name,
        user,
        app_enabled: true,
        app_rules,
        ovr,
        site_entity: SiteEntity::On("accountId"),
        expected,
    }
}

/// Every row of the table: steps 1, 2a and 2b, then 2c and 3, in order.
pub fn cases() -> Vec<Case> {
    let mut rows = exclusive_rows::rows();
    rows.extend(rule_rows::rows());
    rows
}

// ---------------------------------------------------------------- sessions

pub fn session_of(owner: &str, entity: EntityId, share: Option<ShareInfo>) -> Session {
    let mut s = Session::new(
        SessionId::from_uuid(Uuid::now_v7()).unwrap(),
        uid(owner),
        ChatAppId::parse("support-bot").unwrap(),
        AgentId::parse("support-agent").unwrap(),
        entity,
        t0(),
    );
    s.share = share;
    s
}

pub fn share(revoked: bool) -> ShareInfo {
    ShareInfo {
        share_id: ShareId::from_secret(
            *Uuid::now_v7()
                .as_bytes()
                .repeat(2)
                .first_chunk::<32>()
                .unwrap(),
        ),
        shared_by: uid("owner"),
        shared_at: t0(),
        revoked_at: revoked.then(t0),
    }
}

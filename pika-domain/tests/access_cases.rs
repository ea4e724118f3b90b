#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The access decision of PIKA.md §3, one named row per rule, plus who may
//! read or post into a session (§2).

use pika_domain::access::{
    decide_access, AccessDecision, AccessRules, AllowBasis, ApplyRulesAs, DenyReason,
};
use pika_domain::chat_app::{ChatApp, ChatAppMode, ChatAppOverride};
use pika_domain::chrono::{DateTime, TimeZone, Utc};
use pika_domain::features::{EntityFeature, FeatureSet};
use pika_domain::ids::{AgentId, ChatAppId, EntityId, SessionId, ShareId, UserId};
use pika_domain::session::{may_read_shared, session_access, Session, SessionAccess, ShareInfo};
use pika_domain::site::SiteConfig;
use pika_domain::user::{User, UserType, ROLE_CONTENT_ADMIN, ROLE_SITE_ADMIN};
use pika_domain::uuid::Uuid;
use serde_json::{json, Value};

use AccessDecision::{Allow, Deny};
use UserType::{ExternalUser as External, InternalUser as Internal};

// ---------------------------------------------------------------- builders

fn uid(raw: &str) -> UserId {
    UserId::parse(raw).unwrap()
}

fn eid(raw: &str) -> EntityId {
    EntityId::parse(raw).unwrap()
}

fn user(id: &str, user_type: UserType, roles: &[&str], custom_data: Value) -> User {
    let mut u = User::new(uid(id), user_type);
    u.roles = roles.iter().map(|r| (*r).to_string()).collect();
    u.custom_data = custom_data.as_object().cloned().unwrap_or_default();
    u
}

fn internal(id: &str) -> User {
    user(id, Internal, &[], json!({}))
}

fn external(id: &str) -> User {
    user(id, External, &[], json!({}))
}

/// A user whose `accountId` (the site's entity attribute in most rows) is `entity`.
fn in_entity(id: &str, user_type: UserType, entity: &str) -> User {
    user(id, user_type, &[], json!({ "accountId": entity }))
}

fn rules(
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

fn types(ts: &[UserType]) -> AccessRules {
    AccessRules::for_types(ts.iter().copied())
}

fn roles(rs: &[&str]) -> AccessRules {
    AccessRules::for_roles(rs.iter().copied())
}

fn everyone() -> AccessRules {
    types(&[Internal, External])
}

fn disabled(mut r: AccessRules) -> AccessRules {
    r.enabled = false;
    r
}

fn ovr() -> ChatAppOverride {
    ChatAppOverride::default()
}

fn only_users(ids: &[&str]) -> ChatAppOverride {
    ChatAppOverride {
        exclusive_user_id_access_control: ids.iter().map(|i| uid(i)).collect(),
        ..ovr()
    }
}

fn only_internal_entities(es: &[&str]) -> ChatAppOverride {
    ChatAppOverride {
        exclusive_internal_access_control: es.iter().map(|e| eid(e)).collect(),
        ..ovr()
    }
}

fn only_external_entities(es: &[&str]) -> ChatAppOverride {
    ChatAppOverride {
        exclusive_external_access_control: es.iter().map(|e| eid(e)).collect(),
        ..ovr()
    }
}

fn with_rules(r: AccessRules) -> ChatAppOverride {
    ChatAppOverride {
        access_rules: Some(r),
        ..ovr()
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
}

fn chat_app(enabled: bool, access_rules: AccessRules) -> ChatApp {
    ChatApp {
        chat_app_id: ChatAppId::parse("support-bot").unwrap(),
        title: "Support".to_string(),
        description: String::new(),
        agent_id: AgentId::parse("support-agent").unwrap(),
        enabled,
        access_rules,
        features: FeatureSet::default(),
        modes_supported: vec![ChatAppMode::Standalone],
        quotas: None,
        version: 1,
        created_at: t0(),
        updated_at: t0(),
        updated_by: None,
    }
}

/// How the site configures the entity feature.
#[derive(Clone, Copy)]
enum SiteEntity {
    /// No entity feature at all.
    Absent,
    /// The feature is present but switched off (its path is ignored).
    Off(&'static str),
    /// The feature is on but names no attribute path.
    OnWithoutPath,
    /// The feature is on with this dotted path.
    On(&'static str),
}

fn site(entity: SiteEntity) -> SiteConfig {
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

struct Case {
    name: &'static str,
    user: User,
    app_enabled: bool,
    app_rules: AccessRules,
    ovr: Option<ChatAppOverride>,
    site_entity: SiteEntity,
    expected: AccessDecision,
}

/// Shorthand for the common row: enabled app, entity at `accountId`.
fn case(
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

fn cases() -> Vec<Case> {
    vec![
        // ---- step 1: disabled app / override
        Case {
            app_enabled: false,
            ..case(
                "disabled app denies even when its rules allow",
                internal("ann"),
                everyone(),
                None,
                Deny(DenyReason::AppDisabled),
            )
        },
        Case {
            app_enabled: false,
            ..case(
                "disabled app denies even a user on the exclusive list",
                internal("ann"),
                everyone(),
                Some(only_users(&["ann"])),
                Deny(DenyReason::AppDisabled),
            )
        },
        case(
            "override enabled=false denies even when app rules allow",
            internal("ann"),
            everyone(),
            Some(ChatAppOverride {
                enabled: Some(false),
                ..ovr()
            }),
            Deny(DenyReason::OverrideDisabled),
        ),
        case(
            "override enabled=false denies even a user on its exclusive list",
            internal("ann"),
            everyone(),
            Some(ChatAppOverride {
                enabled: Some(false),
                ..only_users(&["ann"])
            }),
            Deny(DenyReason::OverrideDisabled),
        ),
        case(
            "override enabled=true with nothing else falls back to app rules",
            internal("ann"),
            types(&[Internal]),
            Some(ChatAppOverride {
                enabled: Some(true),
                ..ovr()
            }),
            Allow(AllowBasis::AppRules),
        ),
        // ---- step 2a: exclusive user list
        case(
            "exclusive user list allows a listed user although app rules name nobody",
            external("bob"),
            AccessRules::nobody(),
            Some(only_users(&["ann", "bob"])),
            Allow(AllowBasis::ExclusiveUserList),
        ),
        case(
            "exclusive user list allows a listed user whose type the app rules refuse",
            external("bob"),
            types(&[Internal]),
            Some(only_users(&["bob"])),
            Allow(AllowBasis::ExclusiveUserList),
        ),
        case(
            "exclusive user list allows a listed user even with app rules disabled",
            external("bob"),
            disabled(everyone()),
            Some(only_users(&["bob"])),
            Allow(AllowBasis::ExclusiveUserList),
        ),
        case(
            "exclusive user list denies an unlisted user whom app rules allow",
            internal("carl"),
            everyone(),
            Some(only_users(&["ann", "bob"])),
            Deny(DenyReason::NotInExclusiveUserList),
        ),
        case(
            "exclusive user list denies an unlisted user whom override rules allow",
            internal("carl"),
            everyone(),
            Some(ChatAppOverride {
                access_rules: Some(everyone()),
                ..only_users(&["ann"])
            }),
            Deny(DenyReason::NotInExclusiveUserList),
        ),
        case(
            "exclusive user list wins over an entity list naming the user's entity",
            in_entity("carl", Internal, "acme"),
            everyone(),
            Some(ChatAppOverride {
                exclusive_internal_access_control: vec![eid("acme")],
                ..only_users(&["ann"])
            }),
            Deny(DenyReason::NotInExclusiveUserList),
        ),
        case(
            "user ids are compared exactly (case matters)",
            internal("Ann"),
            everyone(),
            Some(only_users(&["ann"])),
            Deny(DenyReason::NotInExclusiveUserList),
        ),
        // ---- step 2b: exclusive entity lists by user type
        case(
            "internal user whose entity is in the internal list is allowed though app rules name nobody",
            in_entity("ann", Internal, "acme"),
            AccessRules::nobody(),
            Some(only_internal_entities(&["acme", "globex"])),
            Allow(AllowBasis::ExclusiveEntityList),
        ),
        case(
            "internal user whose entity is not in the internal list is denied though app rules allow",
            in_entity("ann", Internal, "initech"),
            everyone(),
            Some(only_internal_entities(&["acme"])),
            Deny(DenyReason::EntityNotInExclusiveList),
        ),
        case(
            "external user whose entity is in the external list is allowed though app rules refuse externals",
            in_entity("bob", External, "acme"),
            types(&[Internal]),
            Some(only_external_entities(&["acme"])),
            Allow(AllowBasis::ExclusiveEntityList),
        ),
        case(
            "external user whose entity is not in the external list is denied",
            in_entity("bob", External, "initech"),
            everyone(),
            Some(only_external_entities(&["acme"])),
            Deny(DenyReason::EntityNotInExclusiveList),
        ),
        case(
            "external user is judged by the external list, not the internal one",
            in_entity("bob", External, "acme"),
            everyone(),
            Some(ChatAppOverride {
                exclusive_internal_access_control: vec![eid("acme")],
                exclusive_external_access_control: vec![eid("globex")],
                ..ovr()
            }),
            Deny(DenyReason::EntityNotInExclusiveList),
        ),
        case(
            "internal-only entity list does not restrict external users: app rules decide (allow)",
            in_entity("bob", External, "initech"),
            types(&[External]),
            Some(only_internal_entities(&["acme"])),
            Allow(AllowBasis::AppRules),
        ),
        case(
            "internal-only entity list does not restrict external users: app rules decide (no rules)",
            in_entity("bob", External, "acme"),
            AccessRules::nobody(),
            Some(only_internal_entities(&["acme"])),
            Deny(DenyReason::NoRulesSet),
        ),
        case(
            "external-only entity list does not restrict internal users: override rules decide",
            in_entity("ann", Internal, "initech"),
            AccessRules::nobody(),
            Some(ChatAppOverride {
                access_rules: Some(types(&[Internal])),
                ..only_external_entities(&["acme"])
            }),
            Allow(AllowBasis::OverrideRules),
        ),
        case(
            "entity list applies but the user has no such attribute: deny",
            user("ann", Internal, &[], json!({ "region": "eu" })),
            everyone(),
            Some(only_internal_entities(&["acme"])),
            Deny(DenyReason::NoEntity),
        ),
        case(
            "entity list applies but the user's attribute is empty: deny",
            in_entity("ann", Internal, ""),
            everyone(),
            Some(only_internal_entities(&["acme"])),
            Deny(DenyReason::NoEntity),
        ),
        Case {
            site_entity: SiteEntity::Absent,
            ..case(
                "entity list applies but the site has no entity feature: deny",
                in_entity("ann", Internal, "acme"),
                everyone(),
                Some(only_internal_entities(&["acme"])),
                Deny(DenyReason::NoEntity),
            )
        },
        Case {
            site_entity: SiteEntity::Off("accountId"),
            ..case(
                "entity list applies but the site's entity feature is off: deny",
                in_entity("ann", Internal, "acme"),
                everyone(),
                Some(only_internal_entities(&["acme"])),
                Deny(DenyReason::NoEntity),
            )
        },
        Case {
            site_entity: SiteEntity::OnWithoutPath,
            ..case(
                "entity list applies but the site names no attribute path: deny",
                in_entity("ann", Internal, "acme"),
                everyone(),
                Some(only_internal_entities(&["acme"])),
                Deny(DenyReason::NoEntity),
            )
        },
        Case {
            site_entity: SiteEntity::On("account.id"),
            ..case(
                "entity found by a dotted path is allowed when listed",
                user("ann", Internal, &[], json!({ "account": { "id": "acme" } })),
                AccessRules::nobody(),
                Some(only_internal_entities(&["acme"])),
                Allow(AllowBasis::ExclusiveEntityList),
            )
        },
        case(
            "a numeric entity attribute matches its decimal form",
            user("bob", External, &[], json!({ "accountId": 42 })),
            AccessRules::nobody(),
            Some(only_external_entities(&["42"])),
            Allow(AllowBasis::ExclusiveEntityList),
        ),
        // ---- step 2c: override rules replace the app's
        case(
            "override types replace app types: allowed by override though app refuses",
            external("bob"),
            types(&[Internal]),
            Some(with_rules(types(&[External]))),
            Allow(AllowBasis::OverrideRules),
        ),
        case(
            "override types replace app types: denied by override though app allows",
            internal("ann"),
            types(&[Internal]),
            Some(with_rules(types(&[External]))),
            Deny(DenyReason::UserTypeNotAllowed),
        ),
        case(
            "override roles replace app rules that name nobody",
            user("bob", External, &["beta-tester"], json!({})),
            AccessRules::nobody(),
            Some(with_rules(roles(&["beta-tester"]))),
            Allow(AllowBasis::OverrideRules),
        ),
        case(
            "override roles replace app rules: user lacking the role is denied though app allows",
            internal("ann"),
            everyone(),
            Some(with_rules(roles(&["beta-tester"]))),
            Deny(DenyReason::RoleNotAllowed),
        ),
        case(
            "override rules that name nobody fall back to app rules (allow)",
            internal("ann"),
            types(&[Internal]),
            Some(with_rules(AccessRules::nobody())),
            Allow(AllowBasis::AppRules),
        ),
        case(
            "override rules with empty lists fall back to app rules (deny)",
            external("bob"),
            types(&[Internal]),
            Some(with_rules(rules(
                Some(vec![]),
                Some(vec![]),
                ApplyRulesAs::Or,
            ))),
            Deny(DenyReason::UserTypeNotAllowed),
        ),
        case(
            "override with no rules at all uses app rules (no rules set)",
            internal("ann"),
            AccessRules::nobody(),
            Some(ovr()),
            Deny(DenyReason::NoRulesSet),
        ),
        case(
            "disabled override rules that name types deny",
            internal("ann"),
            everyone(),
            Some(with_rules(disabled(types(&[Internal])))),
            Deny(DenyReason::RulesDisabled),
        ),
        // ---- step 3: general rules
        case(
            "no rules set denies (secure by default)",
            user("root", Internal, &[ROLE_SITE_ADMIN], json!({})),
            AccessRules::nobody(),
            None,
            Deny(DenyReason::NoRulesSet),
        ),
        case(
            "empty type and role lists count as no rules",
            internal("ann"),
            rules(Some(vec![]), Some(vec![]), ApplyRulesAs::Or),
            None,
            Deny(DenyReason::NoRulesSet),
        ),
        case(
            "disabled rules deny a user they would match",
            internal("ann"),
            disabled(everyone()),
            None,
            Deny(DenyReason::RulesDisabled),
        ),
        case(
            "types only: matching type allows",
            external("bob"),
            types(&[External]),
            None,
            Allow(AllowBasis::AppRules),
        ),
        case(
            "types only: other type denies",
            internal("ann"),
            types(&[External]),
            None,
            Deny(DenyReason::UserTypeNotAllowed),
        ),
        case(
            "roles only: any one matching role allows",
            user("bob", External, &["viewer", "billing"], json!({})),
            roles(&["support", "billing"]),
            None,
            Allow(AllowBasis::AppRules),
        ),
        case(
            "roles only: no matching role denies",
            user("bob", Internal, &["viewer"], json!({})),
            roles(&["support", "billing"]),
            None,
            Deny(DenyReason::RoleNotAllowed),
        ),
        case(
            "and: type and role both match allows",
            user("ann", Internal, &["support"], json!({})),
            rules(
                Some(vec![Internal]),
                Some(vec!["support"]),
                ApplyRulesAs::And,
            ),
            None,
            Allow(AllowBasis::AppRules),
        ),
        case(
            "and: role matches but type does not denies",
            user("bob", External, &["support"], json!({})),
            rules(
                Some(vec![Internal]),
                Some(vec!["support"]),
                ApplyRulesAs::And,
            ),
            None,
            Deny(DenyReason::UserTypeNotAllowed),
        ),
        case(
            "and: type matches but role does not denies",
            user("ann", Internal, &["viewer"], json!({})),
            rules(
                Some(vec![Internal]),
                Some(vec!["support"]),
                ApplyRulesAs::And,
            ),
            None,
            Deny(DenyReason::RoleNotAllowed),
        ),
        case(
            "or: type alone matching allows",
            user("ann", Internal, &["viewer"], json!({})),
            rules(
                Some(vec![Internal]),
                Some(vec!["support"]),
                ApplyRulesAs::Or,
            ),
            None,
            Allow(AllowBasis::AppRules),
        ),
        case(
            "or: role alone matching allows",
            user("bob", External, &["support"], json!({})),
            rules(
                Some(vec![Internal]),
                Some(vec!["support"]),
                ApplyRulesAs::Or,
            ),
            None,
            Allow(AllowBasis::AppRules),
        ),
        case(
            "or: neither matching denies",
            user("bob", External, &["viewer"], json!({})),
            rules(
                Some(vec![Internal]),
                Some(vec!["support"]),
                ApplyRulesAs::Or,
            ),
            None,
            Deny(DenyReason::NeitherTypeNorRoleAllowed),
        ),
        case(
            "and with an empty type list: the role list alone decides (allow)",
            user("bob", External, &["support"], json!({})),
            rules(Some(vec![]), Some(vec!["support"]), ApplyRulesAs::And),
            None,
            Allow(AllowBasis::AppRules),
        ),
        case(
            "and with an empty role list: the type list alone decides (allow)",
            internal("ann"),
            rules(Some(vec![Internal]), Some(vec![]), ApplyRulesAs::And),
            None,
            Allow(AllowBasis::AppRules),
        ),
        case(
            "or with an empty role list: the type list alone decides (deny)",
            external("bob"),
            rules(Some(vec![Internal]), Some(vec![]), ApplyRulesAs::Or),
            None,
            Deny(DenyReason::UserTypeNotAllowed),
        ),
        case(
            "or with an empty type list: the role list alone decides (deny)",
            internal("ann"),
            rules(Some(vec![]), Some(vec!["support"]), ApplyRulesAs::Or),
            None,
            Deny(DenyReason::RoleNotAllowed),
        ),
        case(
            "a user without a type (from JSON) counts as external: allowed by external rule",
            serde_json::from_value(json!({ "userId": "dana", "roles": [] })).unwrap(),
            types(&[External]),
            None,
            Allow(AllowBasis::AppRules),
        ),
        case(
            "a user without a type (from JSON) counts as external: denied by internal rule",
            serde_json::from_value(json!({ "userId": "dana" })).unwrap(),
            types(&[Internal]),
            None,
            Deny(DenyReason::UserTypeNotAllowed),
        ),
        case(
            "a user without a type counts as external for the entity lists",
            serde_json::from_value(json!({ "userId": "dana", "customData": { "accountId": "acme" } }))
                .unwrap(),
            AccessRules::nobody(),
            Some(only_external_entities(&["acme"])),
            Allow(AllowBasis::ExclusiveEntityList),
        ),
    ]
}

#[test]
fn access_decision_table() {
    let table = cases();
    assert!(table.len() >= 25, "the table must keep at least 25 rows");
    let mut failures = Vec::new();
    for c in &table {
        let app = chat_app(c.app_enabled, c.app_rules.clone());
        let got = decide_access(&c.user, &app, c.ovr.as_ref(), &site(c.site_entity));
        if got != c.expected {
            failures.push(format!(
                "{}: expected {:?}, got {:?}",
                c.name, c.expected, got
            ));
        }
        assert_eq!(got.is_allowed(), matches!(got, Allow(_)), "{}", c.name);
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
}

#[test]
fn case_names_are_unique() {
    let table = cases();
    let mut names: Vec<_> = table.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), table.len());
}

#[test]
fn access_rules_from_json_default_to_and() {
    let r: AccessRules = serde_json::from_value(json!({
        "enabled": true,
        "userTypes": ["internal-user"],
        "userRoles": ["support"]
    }))
    .unwrap();
    assert_eq!(r.apply_rules_as, ApplyRulesAs::And);
    // `and`: an internal user without the role is refused.
    assert_eq!(
        r.evaluate(&internal("ann")),
        Err(DenyReason::RoleNotAllowed)
    );

    let r: AccessRules = serde_json::from_value(json!({
        "enabled": true,
        "userTypes": ["internal-user"],
        "userRoles": ["support"],
        "applyRulesAs": "or"
    }))
    .unwrap();
    assert_eq!(r.apply_rules_as, ApplyRulesAs::Or);
    assert_eq!(r.evaluate(&internal("ann")), Ok(()));
}

// ---------------------------------------------------------------- sessions

fn session_of(owner: &str, entity: EntityId, share: Option<ShareInfo>) -> Session {
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

fn share(revoked: bool) -> ShareInfo {
    ShareInfo {
        share_id: ShareId::from_uuid(Uuid::now_v7()).unwrap(),
        shared_by: uid("owner"),
        shared_at: t0(),
        revoked_at: revoked.then(t0),
    }
}

#[test]
fn session_access_by_role() {
    let s = session_of("owner", EntityId::global(), None);
    let rows: Vec<(&str, User, SessionAccess)> = vec![
        ("owner", internal("owner"), SessionAccess::Owner),
        (
            "owner who is also a site admin is still the owner",
            user("owner", Internal, &[ROLE_SITE_ADMIN], json!({})),
            SessionAccess::Owner,
        ),
        (
            "content admin views",
            user("cora", Internal, &[ROLE_CONTENT_ADMIN], json!({})),
            SessionAccess::Viewer,
        ),
        (
            "site admin views",
            user("sam", External, &[ROLE_SITE_ADMIN], json!({})),
            SessionAccess::Viewer,
        ),
        (
            "other user gets nothing",
            internal("eve"),
            SessionAccess::None,
        ),
        (
            "other user with an unrelated role gets nothing",
            user("eve", Internal, &["support", "pika:content"], json!({})),
            SessionAccess::None,
        ),
    ];
    for (name, u, expected) in rows {
        assert_eq!(session_access(&u, &s), expected, "{name}");
    }
}

#[test]
fn shared_sessions_are_readable_as_the_share_and_entity_allow() {
    let path = Some("accountId");
    let acme = eid("acme");
    let cases: Vec<(&str, Session, User, Option<&str>, bool)> = vec![
        (
            "no share: not even a same-entity user reads it",
            session_of("owner", acme.clone(), None),
            in_entity("eve", External, "acme"),
            path,
            false,
        ),
        (
            "no share: the owner does not read it through a share link",
            session_of("owner", acme.clone(), None),
            internal("owner"),
            path,
            false,
        ),
        (
            "revoked share: same-entity user refused",
            session_of("owner", acme.clone(), Some(share(true))),
            in_entity("eve", External, "acme"),
            path,
            false,
        ),
        (
            "revoked share: owner refused",
            session_of("owner", acme.clone(), Some(share(true))),
            internal("owner"),
            path,
            false,
        ),
        (
            "revoked share of a global session: anyone refused",
            session_of("owner", EntityId::global(), Some(share(true))),
            external("eve"),
            None,
            false,
        ),
        (
            "active share: owner reads",
            session_of("owner", acme.clone(), Some(share(false))),
            internal("owner"),
            path,
            true,
        ),
        (
            "active share: content admin of another entity reads",
            session_of("owner", acme.clone(), Some(share(false))),
            user(
                "cora",
                Internal,
                &[ROLE_CONTENT_ADMIN],
                json!({"accountId": "globex"}),
            ),
            path,
            true,
        ),
        (
            "active share of a global session: anyone reads",
            session_of("owner", EntityId::global(), Some(share(false))),
            external("eve"),
            None,
            true,
        ),
        (
            "active share: same-entity user reads",
            session_of("owner", acme.clone(), Some(share(false))),
            in_entity("eve", External, "acme"),
            path,
            true,
        ),
        (
            "active share: other-entity user refused",
            session_of("owner", acme.clone(), Some(share(false))),
            in_entity("eve", External, "globex"),
            path,
            false,
        ),
        (
            "active share: user without an entity refused",
            session_of("owner", acme.clone(), Some(share(false))),
            external("eve"),
            path,
            false,
        ),
        (
            "active share: no entity path configured refuses non-owners of an entity session",
            session_of("owner", acme.clone(), Some(share(false))),
            in_entity("eve", External, "acme"),
            None,
            false,
        ),
    ];
    for (name, s, u, p, expected) in cases {
        assert_eq!(may_read_shared(&u, &s, p), expected, "{name}");
    }
}

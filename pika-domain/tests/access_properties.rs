#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Properties of the access decision (PIKA.md §3) that must hold for every
//! input: deny by default, exclusive lists win, a disabled app allows nobody.

use pika_domain::access::{
    decide_access, AccessDecision, AccessRules, AllowBasis, ApplyRulesAs, DenyReason,
};
use pika_domain::chat_app::{ChatApp, ChatAppMode, ChatAppOverride};
use pika_domain::chrono::{TimeZone, Utc};
use pika_domain::features::{EntityFeature, FeatureSet};
use pika_domain::ids::{AgentId, ChatAppId, EntityId, UserId};
use pika_domain::site::SiteConfig;
use pika_domain::user::{User, UserType, ROLE_CONTENT_ADMIN, ROLE_SITE_ADMIN};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::subsequence;
use serde_json::{json, Map};

// Small alphabets, so that users, lists and rules collide often.
const USER_IDS: [&str; 4] = ["u0", "u1", "u2", "u3"];
const ENTITIES: [&str; 4] = ["e0", "e1", "e2", "e3"];
const ROLES: [&str; 5] = ["a", "b", "c", ROLE_CONTENT_ADMIN, ROLE_SITE_ADMIN];
const ENTITY_PATH: &str = "accountId";

fn user_type() -> impl Strategy<Value = UserType> {
    prop_oneof![Just(UserType::InternalUser), Just(UserType::ExternalUser)]
}

fn user_id() -> impl Strategy<Value = UserId> {
    proptest::sample::select(USER_IDS.to_vec()).prop_map(|s| UserId::parse(s).unwrap())
}

fn entity_id() -> impl Strategy<Value = EntityId> {
    proptest::sample::select(ENTITIES.to_vec()).prop_map(|s| EntityId::parse(s).unwrap())
}

fn roles() -> impl Strategy<Value = Vec<String>> {
    subsequence(ROLES.to_vec(), 0..=ROLES.len())
        .prop_map(|rs| rs.into_iter().map(str::to_string).collect())
}

/// A user with a random id, type, roles and (maybe) an entity at [`ENTITY_PATH`].
fn user() -> impl Strategy<Value = User> {
    (user_id(), user_type(), roles(), option::of(entity_id())).prop_map(
        |(id, ty, roles, entity)| {
            let mut u = User::new(id, ty);
            u.roles = roles;
            let mut data = Map::new();
            if let Some(e) = entity {
                data.insert(ENTITY_PATH.to_string(), json!(e.as_str()));
            }
            data.insert("region".to_string(), json!("eu"));
            u.custom_data = data;
            u
        },
    )
}

fn apply() -> impl Strategy<Value = ApplyRulesAs> {
    prop_oneof![Just(ApplyRulesAs::And), Just(ApplyRulesAs::Or)]
}

/// Any rules at all (possibly naming nobody, possibly disabled).
fn any_rules() -> impl Strategy<Value = AccessRules> {
    (
        any::<bool>(),
        option::of(vec(user_type(), 0..=2)),
        option::of(roles()),
        apply(),
    )
        .prop_map(
            |(enabled, user_types, user_roles, apply_rules_as)| AccessRules {
                enabled,
                user_types,
                user_roles,
                apply_rules_as,
            },
        )
}

/// Rules whose type and role lists are both unset or empty.
fn rules_naming_nobody() -> impl Strategy<Value = AccessRules> {
    let unset_types = prop_oneof![Just(None), Just(Some(Vec::<UserType>::new()))];
    let unset_roles = prop_oneof![Just(None), Just(Some(Vec::<String>::new()))];
    (any::<bool>(), unset_types, unset_roles, apply()).prop_map(
        |(enabled, user_types, user_roles, apply_rules_as)| AccessRules {
            enabled,
            user_types,
            user_roles,
            apply_rules_as,
        },
    )
}

fn entity_list() -> impl Strategy<Value = Vec<EntityId>> {
    vec(entity_id(), 0..=3)
}

/// Overrides that may or may not be enabled, with arbitrary entity lists,
/// rules and exclusive user list of the given shape.
fn override_with(
    user_ids: impl Strategy<Value = Vec<UserId>>,
    internal: impl Strategy<Value = Vec<EntityId>>,
    external: impl Strategy<Value = Vec<EntityId>>,
    enabled: impl Strategy<Value = Option<bool>>,
    rules: impl Strategy<Value = Option<AccessRules>>,
) -> impl Strategy<Value = ChatAppOverride> {
    (user_ids, internal, external, enabled, rules).prop_map(
        |(users, internal, external, enabled, access_rules)| ChatAppOverride {
            enabled,
            exclusive_user_id_access_control: users,
            exclusive_internal_access_control: internal,
            exclusive_external_access_control: external,
            access_rules,
            ..ChatAppOverride::default()
        },
    )
}

fn not_disabled() -> impl Strategy<Value = Option<bool>> {
    prop_oneof![Just(None), Just(Some(true))]
}

fn app(enabled: bool, access_rules: AccessRules) -> ChatApp {
    let t = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    ChatApp {
        chat_app_id: ChatAppId::parse("app").unwrap(),
        title: "App".to_string(),
        description: String::new(),
        agent_id: AgentId::parse("agent").unwrap(),
        intents: Vec::new(),
        enabled,
        access_rules,
        features: FeatureSet::default(),
        modes_supported: vec![ChatAppMode::Standalone],
        quotas: None,
        session_retention_days: None,
        version: 0,
        created_at: t,
        updated_at: t,
        updated_by: None,
    }
}

fn site_with_entity() -> SiteConfig {
    let mut s = SiteConfig::default();
    s.features.entity = Some(EntityFeature {
        enabled: true,
        attribute_path: Some(ENTITY_PATH.to_string()),
    });
    s
}

/// Sites with and without an entity feature.
fn any_site() -> impl Strategy<Value = SiteConfig> {
    prop_oneof![Just(SiteConfig::default()), Just(site_with_entity())]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// (a) Rules naming neither types nor roles deny everybody.
    #[test]
    fn rules_naming_nobody_deny(u in user(), rules in rules_naming_nobody()) {
        let expected = if rules.enabled { DenyReason::NoRulesSet } else { DenyReason::RulesDisabled };
        prop_assert_eq!(rules.evaluate(&u), Err(expected));
        prop_assert!(!rules.names_anyone());
    }

    /// (a) With such app rules, no override never allows.
    #[test]
    fn app_rules_naming_nobody_never_allow(
        u in user(),
        rules in rules_naming_nobody(),
        site in any_site(),
    ) {
        let decision = decide_access(&u, &app(true, rules), None, &site);
        prop_assert!(!decision.is_allowed(), "allowed: {:?}", decision);
    }

    /// (a) Nor does an override with no exclusive lists and no rules that name anyone.
    #[test]
    fn app_rules_naming_nobody_never_allow_with_empty_override(
        u in user(),
        rules in rules_naming_nobody(),
        ovr in override_with(
            Just(vec![]),
            Just(vec![]),
            Just(vec![]),
            option::of(any::<bool>()),
            option::of(rules_naming_nobody()),
        ),
        site in any_site(),
    ) {
        let decision = decide_access(&u, &app(true, rules), Some(&ovr), &site);
        prop_assert!(!decision.is_allowed(), "allowed: {:?}", decision);
    }

    /// (b) A non-empty exclusive user list decides alone: allow iff listed.
    #[test]
    fn exclusive_user_list_decides_alone(
        u in user(),
        app_rules in any_rules(),
        ovr in override_with(
            vec(user_id(), 1..=3),
            entity_list(),
            entity_list(),
            not_disabled(),
            option::of(any_rules()),
        ),
        site in any_site(),
    ) {
        let listed = ovr.exclusive_user_id_access_control.contains(&u.user_id);
        let decision = decide_access(&u, &app(true, app_rules), Some(&ovr), &site);
        let expected = if listed {
            AccessDecision::Allow(AllowBasis::ExclusiveUserList)
        } else {
            AccessDecision::Deny(DenyReason::NotInExclusiveUserList)
        };
        prop_assert_eq!(decision, expected);
    }

    /// (c) With no user list, a non-empty entity list for the user's type
    /// decides alone: allow iff the user's entity is in it.
    #[test]
    fn exclusive_entity_list_decides_alone(
        u in user(),
        app_rules in any_rules(),
        for_type in vec(entity_id(), 1..=3),
        other in entity_list(),
        enabled in not_disabled(),
        ovr_rules in option::of(any_rules()),
    ) {
        let (internal, external) = match u.user_type {
            UserType::InternalUser => (for_type.clone(), other),
            UserType::ExternalUser => (other, for_type.clone()),
        };
        let ovr = ChatAppOverride {
            enabled,
            exclusive_internal_access_control: internal,
            exclusive_external_access_control: external,
            access_rules: ovr_rules,
            ..ChatAppOverride::default()
        };
        let entity = u.entity_at(ENTITY_PATH);
        let decision = decide_access(&u, &app(true, app_rules), Some(&ovr), &site_with_entity());
        let expected = match &entity {
            Some(e) if for_type.contains(e) => AccessDecision::Allow(AllowBasis::ExclusiveEntityList),
            Some(_) => AccessDecision::Deny(DenyReason::EntityNotInExclusiveList),
            None => AccessDecision::Deny(DenyReason::NoEntity),
        };
        prop_assert_eq!(decision, expected);
        prop_assert_eq!(decision.is_allowed(), entity.is_some_and(|e| for_type.contains(&e)));
    }

    /// (c) Without an entity attribute configured at the site, such a list allows nobody.
    #[test]
    fn exclusive_entity_list_without_site_entity_allows_nobody(
        u in user(),
        app_rules in any_rules(),
        list in vec(entity_id(), 1..=3),
    ) {
        let ovr = ChatAppOverride {
            exclusive_internal_access_control: list.clone(),
            exclusive_external_access_control: list,
            ..ChatAppOverride::default()
        };
        let decision = decide_access(&u, &app(true, app_rules), Some(&ovr), &SiteConfig::default());
        prop_assert_eq!(decision, AccessDecision::Deny(DenyReason::NoEntity));
    }

    /// (d) A disabled app never allows, whatever the override says.
    #[test]
    fn disabled_app_never_allows(
        u in user(),
        app_rules in any_rules(),
        ovr in option::of(override_with(
            vec(user_id(), 0..=3),
            entity_list(),
            entity_list(),
            option::of(any::<bool>()),
            option::of(any_rules()),
        )),
        site in any_site(),
    ) {
        let decision = decide_access(&u, &app(false, app_rules), ovr.as_ref(), &site);
        prop_assert_eq!(decision, AccessDecision::Deny(DenyReason::AppDisabled));
    }

    /// Without an override, the decision is exactly the app rules' verdict.
    #[test]
    fn without_override_app_rules_decide(u in user(), rules in any_rules(), site in any_site()) {
        let decision = decide_access(&u, &app(true, rules.clone()), None, &site);
        let expected = match rules.evaluate(&u) {
            Ok(()) => AccessDecision::Allow(AllowBasis::AppRules),
            Err(reason) => AccessDecision::Deny(reason),
        };
        prop_assert_eq!(decision, expected);
    }

    /// An override with no exclusive lists whose rules name nobody leaves
    /// the decision to the app's rules, exactly as if there were no override.
    #[test]
    fn override_naming_nobody_defers_to_the_app(
        u in user(),
        app_rules in any_rules(),
        ovr in override_with(
            Just(vec![]),
            Just(vec![]),
            Just(vec![]),
            not_disabled(),
            option::of(rules_naming_nobody()),
        ),
        site in any_site(),
    ) {
        let a = app(true, app_rules);
        prop_assert_eq!(
            decide_access(&u, &a, Some(&ovr), &site),
            decide_access(&u, &a, None, &site)
        );
    }

    /// Allowing by rules needs a match: an allowed user's type or one of
    /// their roles is named by the rules that decided.
    #[test]
    fn rules_allow_only_on_a_match(u in user(), rules in any_rules()) {
        if rules.evaluate(&u).is_ok() {
            prop_assert!(rules.enabled);
            let type_named = rules.user_types.as_ref().is_some_and(|t| t.contains(&u.user_type));
            let role_named = rules
                .user_roles
                .as_ref()
                .is_some_and(|rs| rs.iter().any(|r| u.has_role(r)));
            prop_assert!(type_named || role_named);
        }
    }
}

//! Rows of steps 2c and 3: override rules replacing the app's, then the
//! general type and role rules.

use super::*;

pub fn rows() -> Vec<Case> {
    vec![
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
            serde_json::from_value(
                json!({ "userId": "dana", "customData": { "accountId": "acme" } }),
            )
            .unwrap(),
            AccessRules::nobody(),
            Some(only_external_entities(&["acme"])),
            Allow(AllowBasis::ExclusiveEntityList),
        ),
    ]
}

//! Rows of steps 1, 2a and 2b: a disabled app or override, then the
//! exclusive user list and the exclusive entity lists by user type.

use super::*;

pub fn rows() -> Vec<Case> {
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
    ]
}

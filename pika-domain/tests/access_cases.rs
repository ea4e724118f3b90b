#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The access decision of PIKA.md §3, one named row per rule (the rows are
//! in `access_support/`).

mod access_support;

use pika_domain::access::{decide_access, AccessDecision, AccessRules, ApplyRulesAs, DenyReason};
use serde_json::json;

use access_support::*;
use AccessDecision::Allow;

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

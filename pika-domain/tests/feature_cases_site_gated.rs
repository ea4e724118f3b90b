#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Feature resolution of PIKA.md §4 (site config -> chat app -> override):
//! the site-gated features and the site-wide entity path.

mod feature_support;

use feature_support::*;
use pika_domain::features::{FeatureSet, DEFAULT_PROMPT_LABEL};
use serde_json::{json, Value};

// ---------------------------------------------------------------- site-gated

#[test]
fn prompt_label_is_the_default_when_the_site_does_not_enable_it() {
    let app = label(true, Some("Ask me anything"));
    assert_eq!(
        resolve(&internal(), none(), app.clone()).prompt_input_field_label,
        "Ready to chat"
    );
    assert_eq!(
        resolve(&internal(), label(false, Some("Site label")), app).prompt_input_field_label,
        "Ready to chat"
    );
}

#[test]
fn prompt_label_comes_from_the_app_where_the_site_enables_it() {
    let r = resolve(
        &internal(),
        label(true, Some("Site label")),
        label(true, Some("Ask me anything")),
    );
    assert_eq!(r.prompt_input_field_label, "Ask me anything");
}

#[test]
fn prompt_label_comes_from_the_site_when_the_app_says_nothing() {
    let r = resolve(&internal(), label(true, Some("Site label")), none());
    assert_eq!(r.prompt_input_field_label, "Site label");
}

#[test]
fn prompt_label_falls_back_to_the_default_when_enabled_without_a_label() {
    let r = resolve(
        &internal(),
        label(true, Some("Site label")),
        label(true, None),
    );
    assert_eq!(r.prompt_input_field_label, DEFAULT_PROMPT_LABEL);
    let r = resolve(&internal(), label(true, None), label(true, Some("   ")));
    assert_eq!(r.prompt_input_field_label, DEFAULT_PROMPT_LABEL);
}

#[test]
fn prompt_label_app_switching_it_off_gives_the_default() {
    let r = resolve(
        &internal(),
        label(true, Some("Site label")),
        label(false, Some("Ask me")),
    );
    assert_eq!(r.prompt_input_field_label, DEFAULT_PROMPT_LABEL);
}

#[test]
fn chat_disclaimer_needs_the_site() {
    let app = disclaimer(true, "Answers may be wrong.");
    assert_eq!(
        resolve(&internal(), none(), app.clone()).chat_disclaimer_notice,
        None
    );
    assert_eq!(
        resolve(&internal(), disclaimer(false, "Site notice"), app.clone()).chat_disclaimer_notice,
        None
    );
    let on = resolve(&internal(), disclaimer(true, "Site notice"), app);
    assert_eq!(
        on.chat_disclaimer_notice.unwrap().notice,
        "Answers may be wrong."
    );
    let site_only = resolve(&internal(), disclaimer(true, "Site notice"), none());
    assert_eq!(
        site_only.chat_disclaimer_notice.unwrap().notice,
        "Site notice"
    );
}

#[test]
fn intent_router_session_insights_and_user_data_overrides_are_site_gated() {
    let app_on = FeatureSet {
        intent_router: simple(true, json!({"router": "app"})),
        session_insights: simple(true, Value::Null),
        user_data_overrides: simple(true, json!({"fields": ["accountId"]})),
        ..none()
    };
    let site_off = FeatureSet {
        intent_router: simple(false, Value::Null),
        session_insights: simple(false, Value::Null),
        user_data_overrides: simple(false, Value::Null),
        ..none()
    };
    let site_on = FeatureSet {
        intent_router: simple(true, json!({"router": "site"})),
        session_insights: simple(true, Value::Null),
        user_data_overrides: simple(true, Value::Null),
        ..none()
    };
    let app_off = FeatureSet {
        intent_router: simple(false, Value::Null),
        session_insights: simple(false, Value::Null),
        user_data_overrides: simple(false, Value::Null),
        ..none()
    };

    for (name, site) in [("site absent", none()), ("site off", site_off)] {
        let r = resolve(&internal(), site, app_on.clone());
        assert_eq!(r.intent_router, None, "{name}");
        assert!(!r.session_insights, "{name}");
        assert_eq!(r.user_data_overrides, None, "{name}");
    }

    let r = resolve(&internal(), site_on.clone(), app_on.clone());
    assert_eq!(r.intent_router, app_on.intent_router);
    assert!(r.session_insights);
    assert_eq!(r.user_data_overrides, app_on.user_data_overrides);

    let r = resolve(&internal(), site_on.clone(), none());
    assert_eq!(r.intent_router, site_on.intent_router);
    assert!(r.session_insights);
    assert_eq!(r.user_data_overrides, site_on.user_data_overrides);

    let r = resolve(&internal(), site_on, app_off);
    assert_eq!(r.intent_router, None);
    assert!(!r.session_insights);
    assert_eq!(r.user_data_overrides, None);
}

// ---------------------------------------------------------------- entity

#[test]
fn entity_path_is_site_wide_and_the_app_may_only_switch_it_off() {
    let site = entity(true, Some("account.id"));
    assert_eq!(
        resolve(&internal(), site.clone(), none()).entity_attribute_path,
        Some("account.id".to_string())
    );
    assert_eq!(
        resolve(&internal(), site.clone(), entity(true, Some("tenant"))).entity_attribute_path,
        Some("account.id".to_string()),
        "the app's path is ignored"
    );
    assert_eq!(
        resolve(&internal(), site.clone(), entity(true, None)).entity_attribute_path,
        Some("account.id".to_string())
    );
    assert_eq!(
        resolve(&internal(), site, entity(false, None)).entity_attribute_path,
        None,
        "the app may switch it off"
    );
}

#[test]
fn entity_cannot_be_switched_on_by_the_app() {
    let app = entity(true, Some("tenant"));
    assert_eq!(
        resolve(&internal(), none(), app.clone()).entity_attribute_path,
        None
    );
    assert_eq!(
        resolve(&internal(), entity(false, Some("account.id")), app).entity_attribute_path,
        None
    );
}

#[test]
fn override_may_switch_entity_off_but_not_move_the_path() {
    let site = entity(true, Some("account.id"));
    assert_eq!(
        resolve_ovr(site.clone(), none(), entity(false, None)).entity_attribute_path,
        None
    );
    assert_eq!(
        resolve_ovr(site, entity(false, None), entity(true, Some("x"))).entity_attribute_path,
        Some("account.id".to_string())
    );
}

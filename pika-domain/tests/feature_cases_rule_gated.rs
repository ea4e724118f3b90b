#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Feature resolution of PIKA.md §4 (site config -> chat app -> override):
//! nothing configured, and the rule-gated features.

mod feature_support;

use feature_support::*;
use pika_domain::access::AccessRules;
use pika_domain::features::{FeatureSet, ResolvedFeatures, DEFAULT_PROMPT_LABEL};
use pika_domain::user::{UserType, ROLE_SITE_ADMIN};
use pika_domain::verification::Grade;

// ---------------------------------------------------------------- nothing configured

#[test]
fn nothing_configured_means_every_feature_off_and_the_default_label() {
    let r = resolve(&internal(), none(), none());
    assert_eq!(
        r,
        ResolvedFeatures {
            prompt_input_field_label: DEFAULT_PROMPT_LABEL.to_string(),
            ..ResolvedFeatures::default()
        }
    );
    assert_eq!(DEFAULT_PROMPT_LABEL, "Ready to chat");
}

// ---------------------------------------------------------------- rule-gated

#[test]
fn verify_response_is_off_when_the_site_says_nothing_even_if_the_app_enables_it() {
    let r = resolve(
        &internal(),
        none(),
        verify_set(verify(true, everyone(), None)),
    );
    assert_eq!(r.verify_response, None);
}

#[test]
fn verify_response_is_off_when_the_site_disables_it_even_if_the_app_enables_it() {
    let r = resolve(
        &internal(),
        verify_set(verify(false, everyone(), None)),
        verify_set(verify(true, everyone(), None)),
    );
    assert_eq!(r.verify_response, None);
}

#[test]
fn verify_response_is_on_when_site_enables_and_user_passes_app_rules() {
    let app_feature = verify(true, internals(), Some(Grade::C));
    let r = resolve(
        &internal(),
        verify_set(verify(true, everyone(), Some(Grade::B))),
        verify_set(app_feature.clone()),
    );
    assert_eq!(r.verify_response, Some(app_feature));
}

#[test]
fn verify_response_is_off_for_a_user_failing_the_app_rules_even_if_site_rules_allow() {
    let r = resolve(
        &external(),
        verify_set(verify(true, everyone(), None)),
        verify_set(verify(true, internals(), None)),
    );
    assert_eq!(r.verify_response, None);
}

#[test]
fn verify_response_is_off_when_the_app_disables_it() {
    let r = resolve(
        &internal(),
        verify_set(verify(true, everyone(), None)),
        verify_set(verify(false, everyone(), None)),
    );
    assert_eq!(r.verify_response, None);
}

#[test]
fn verify_response_without_app_setting_uses_site_setting_and_rules() {
    let site_feature = verify(true, internals(), Some(Grade::F));
    let site = verify_set(site_feature.clone());
    assert_eq!(
        resolve(&internal(), site.clone(), none()).verify_response,
        Some(site_feature)
    );
    assert_eq!(resolve(&external(), site, none()).verify_response, None);
}

#[test]
fn rule_gated_features_with_rules_naming_nobody_are_usable_by_nobody() {
    let site = FeatureSet {
        verify_response: Some(verify(true, AccessRules::nobody(), None)),
        ..traces(true, AccessRules::nobody(), Some(everyone()))
    };
    let site = FeatureSet {
        logout: logout(true, AccessRules::nobody(), None).logout,
        ..site
    };
    let admin = user("root", UserType::InternalUser, &[ROLE_SITE_ADMIN]);
    for u in [internal(), external(), admin] {
        let r = resolve(&u, site.clone(), none());
        assert_eq!(r.verify_response, None, "{}", u.user_id);
        assert!(!r.traces, "{}", u.user_id);
        assert!(!r.detailed_traces, "{}", u.user_id);
        assert_eq!(r.logout, None, "{}", u.user_id);
    }
}

#[test]
fn rule_gated_feature_with_disabled_rules_is_usable_by_nobody() {
    let mut rules = everyone();
    rules.enabled = false;
    let r = resolve(
        &internal(),
        verify_set(verify(true, everyone(), None)),
        verify_set(verify(true, rules, None)),
    );
    assert_eq!(r.verify_response, None);
}

#[test]
fn traces_and_detailed_traces_follow_their_own_rules() {
    let site = traces(true, everyone(), None);
    let app = traces(
        true,
        everyone(),
        Some(AccessRules::for_roles(["developer"])),
    );
    let dev = resolve(&developer(), site.clone(), app.clone());
    assert!(dev.traces);
    assert!(dev.detailed_traces);
    let plain = resolve(&internal(), site, app);
    assert!(plain.traces);
    assert!(!plain.detailed_traces);
}

#[test]
fn detailed_traces_are_off_when_not_configured() {
    let r = resolve(
        &developer(),
        traces(true, everyone(), None),
        traces(true, everyone(), None),
    );
    assert!(r.traces);
    assert!(!r.detailed_traces);
}

#[test]
fn detailed_traces_need_traces_first() {
    // The user passes the detailed rules but not the traces rules.
    let app = traces(
        true,
        AccessRules::for_types([UserType::ExternalUser]),
        Some(AccessRules::for_roles(["developer"])),
    );
    let r = resolve(&developer(), traces(true, everyone(), None), app);
    assert!(!r.traces);
    assert!(!r.detailed_traces);
}

#[test]
fn traces_are_off_when_the_site_does_not_enable_them() {
    let app = traces(true, everyone(), Some(everyone()));
    let r = resolve(&developer(), traces(false, everyone(), None), app.clone());
    assert!(!r.traces);
    assert!(!r.detailed_traces);
    let r = resolve(&developer(), none(), app);
    assert!(!r.traces);
    assert!(!r.detailed_traces);
}

#[test]
fn logout_is_shown_only_to_users_passing_its_rules() {
    let site = logout(true, everyone(), Some("Sign out (site)"));
    let app = logout(true, internals(), Some("Sign out"));
    let r = resolve(&internal(), site.clone(), app.clone());
    assert_eq!(
        r.logout.unwrap().menu_item_title.as_deref(),
        Some("Sign out")
    );
    assert_eq!(resolve(&external(), site, app).logout, None);
}

#[test]
fn logout_is_off_when_the_site_does_not_enable_it() {
    let app = logout(true, everyone(), Some("Sign out"));
    assert_eq!(resolve(&internal(), none(), app.clone()).logout, None);
    assert_eq!(
        resolve(&internal(), logout(false, everyone(), None), app).logout,
        None
    );
}

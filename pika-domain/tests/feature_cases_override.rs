#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Feature resolution of PIKA.md §4 (site config -> chat app -> override):
//! what an override changes.

mod feature_support;

use feature_support::*;
use pika_domain::access::AccessRules;
use pika_domain::chat_app::ChatAppOverride;
use pika_domain::features::{resolve_features, FeatureSet};
use pika_domain::user::UserType;
use pika_domain::verification::Grade;
use serde_json::json;

// ---------------------------------------------------------------- override

#[test]
fn override_feature_replaces_the_app_feature_whole() {
    let app = upload_set(upload(true, &["application/pdf"], Some(1_000)));
    let ovr = upload_set(upload(true, &["image/*"], None));
    let r = resolve_ovr(none(), app, ovr);
    let f = r.file_upload.unwrap();
    assert_eq!(f.mime_types_allowed, vec!["image/*".to_string()]);
    assert_eq!(
        f.max_file_size_bytes, None,
        "the app's size limit must not leak into the override's feature"
    );
    assert!(!f.allows_mime("application/pdf"));
}

#[test]
fn override_feature_from_json_without_size_drops_the_app_size() {
    let app = upload_set(upload(true, &["*"], Some(5_000)));
    let ovr: FeatureSet = serde_json::from_value(json!({
        "fileUpload": { "enabled": true, "mimeTypesAllowed": ["text/csv"] }
    }))
    .unwrap();
    let f = resolve_ovr(none(), app, ovr).file_upload.unwrap();
    assert_eq!(f, upload(true, &["text/csv"], None));
}

#[test]
fn override_can_switch_an_app_feature_off() {
    let r = resolve_ovr(memory(true), memory(true), memory(false));
    assert!(!r.user_memory);
}

#[test]
fn override_rule_gated_feature_replaces_the_app_rules() {
    let site = verify_set(verify(true, everyone(), None));
    let app = verify_set(verify(true, everyone(), Some(Grade::B)));
    let ovr_feature = verify(true, AccessRules::for_types([UserType::ExternalUser]), None);
    let o = ChatAppOverride {
        features: Some(verify_set(ovr_feature.clone())),
        ..ChatAppOverride::default()
    };
    let a = app_with(app);
    let s = site_with(site);
    assert_eq!(
        resolve_features(&internal(), &a, Some(&o), &s).verify_response,
        None
    );
    assert_eq!(
        resolve_features(&external(), &a, Some(&o), &s).verify_response,
        Some(ovr_feature)
    );
}

#[test]
fn override_without_that_feature_keeps_the_app_feature() {
    let app_upload = upload(true, &["application/pdf"], Some(1_000));
    let app = FeatureSet {
        file_upload: Some(app_upload.clone()),
        ..memory(true)
    };
    let r = resolve_ovr(none(), app.clone(), memory(false));
    assert_eq!(r.file_upload, Some(app_upload.clone()));
    assert!(!r.user_memory);

    // An override without any features leaves them all to the app.
    let o = ChatAppOverride {
        title: Some("Renamed".to_string()),
        ..ChatAppOverride::default()
    };
    let r = resolve_features(&internal(), &app_with(app), Some(&o), &site_with(none()));
    assert_eq!(r.file_upload, Some(app_upload));
    assert!(r.user_memory);
}

#[test]
fn override_cannot_turn_on_a_site_gated_feature_the_site_disables() {
    let ovr = disclaimer(true, "Override notice");
    let r = resolve_ovr(disclaimer(false, "Site"), none(), ovr.clone());
    assert_eq!(r.chat_disclaimer_notice, None);
    let r = resolve_ovr(disclaimer(true, "Site"), disclaimer(false, "App"), ovr);
    assert_eq!(r.chat_disclaimer_notice.unwrap().notice, "Override notice");
}

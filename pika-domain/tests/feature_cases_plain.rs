#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Feature resolution of PIKA.md §4 (site config -> chat app -> override):
//! the plain features, where the app's configuration wins.

mod feature_support;

use feature_support::*;
use pika_domain::features::{
    FeatureSet, FileUploadFeature, InstructionAssistanceFeature, SuggestionsFeature,
};
use serde_json::{json, Value};

// ---------------------------------------------------------------- plain

#[test]
fn file_upload_app_config_wins_over_the_site() {
    let site = upload(true, &["*"], Some(10_000_000));
    let app = upload(true, &["application/pdf"], Some(1_000));
    assert_eq!(
        resolve(
            &internal(),
            upload_set(site.clone()),
            upload_set(app.clone())
        )
        .file_upload,
        Some(app.clone())
    );
    // The site does not gate plain features: the app turns uploads on by itself.
    assert_eq!(
        resolve(
            &internal(),
            upload_set(upload(false, &["*"], None)),
            upload_set(app.clone())
        )
        .file_upload,
        Some(app.clone())
    );
    assert_eq!(
        resolve(&internal(), none(), upload_set(app.clone())).file_upload,
        Some(app)
    );
    // ...and off by itself.
    assert_eq!(
        resolve(
            &internal(),
            upload_set(site.clone()),
            upload_set(upload(false, &["*"], None))
        )
        .file_upload,
        None
    );
    // Saying nothing inherits the site's.
    assert_eq!(
        resolve(&internal(), upload_set(site.clone()), none()).file_upload,
        Some(site)
    );
}

#[test]
fn allows_mime_understands_star_exact_and_type_wildcards() {
    let any = upload(true, &["*"], None);
    assert!(any.allows_mime("application/pdf"));
    assert!(any.allows_mime("image/png"));

    let exact = upload(true, &["application/pdf", "text/csv"], None);
    assert!(exact.allows_mime("application/pdf"));
    assert!(exact.allows_mime("Application/PDF"));
    assert!(exact.allows_mime("text/csv"));
    assert!(!exact.allows_mime("application/json"));
    assert!(!exact.allows_mime("image/png"));
    assert!(!exact.allows_mime("application/pdfx"));

    let images = upload(true, &["image/*"], None);
    assert!(images.allows_mime("image/png"));
    assert!(images.allows_mime("image/jpeg"));
    assert!(images.allows_mime("IMAGE/SVG+XML"));
    assert!(!images.allows_mime("application/png"));
    assert!(!images.allows_mime("imagex/png"));
    assert!(!images.allows_mime("text/plain"));

    let nothing = upload(true, &[], None);
    assert!(!nothing.allows_mime("image/png"));
}

#[test]
fn file_upload_from_json_allows_any_mime_by_default() {
    let f: FileUploadFeature = serde_json::from_value(json!({"enabled": true})).unwrap();
    assert_eq!(f.mime_types_allowed, vec!["*".to_string()]);
    assert_eq!(f.max_file_size_bytes, None);
    assert!(f.allows_mime("video/mp4"));
}

#[test]
fn suggestions_app_config_wins_and_max_to_show_defaults_to_5() {
    let app: SuggestionsFeature = serde_json::from_value(json!({
        "enabled": true,
        "suggestions": ["What is my balance?", "Reset my password"]
    }))
    .unwrap();
    assert_eq!(app.max_to_show, 5);
    assert!(!app.randomize);
    assert_eq!(app.randomize_after, 0);

    let site = SuggestionsFeature {
        enabled: true,
        suggestions: vec!["Site prompt".to_string()],
        max_to_show: 3,
        randomize: true,
        randomize_after: 1,
    };
    let site_set = FeatureSet {
        suggestions: Some(site.clone()),
        ..none()
    };
    let app_set = FeatureSet {
        suggestions: Some(app.clone()),
        ..none()
    };
    assert_eq!(
        resolve(&internal(), site_set.clone(), app_set).suggestions,
        Some(app)
    );
    assert_eq!(
        resolve(&internal(), site_set, none()).suggestions,
        Some(site)
    );
}

#[test]
fn user_memory_app_config_wins_over_the_site() {
    assert!(!resolve(&internal(), memory(true), memory(false)).user_memory);
    assert!(resolve(&internal(), memory(false), memory(true)).user_memory);
    assert!(resolve(&internal(), none(), memory(true)).user_memory);
    assert!(resolve(&internal(), memory(true), none()).user_memory);
    assert!(!resolve(&internal(), memory(false), none()).user_memory);
}

#[test]
fn other_plain_features_app_config_wins_over_the_site() {
    let blocks = |enabled: bool, text: &str| InstructionAssistanceFeature {
        enabled,
        blocks: vec![text.to_string()],
    };
    let site = FeatureSet {
        ui_customization: simple(true, json!({"theme": "site"})),
        tags: simple(true, json!({"tags": ["site"]})),
        agent_instruction_assistance: Some(blocks(true, "site block")),
        instruction_augmentation: simple(true, json!({"source": "site"})),
        ..none()
    };
    let app = FeatureSet {
        ui_customization: simple(true, json!({"theme": "app"})),
        tags: simple(false, Value::Null),
        agent_instruction_assistance: Some(blocks(true, "app block")),
        instruction_augmentation: simple(false, Value::Null),
        ..none()
    };
    let r = resolve(&internal(), site.clone(), app.clone());
    assert_eq!(r.ui_customization, app.ui_customization);
    assert_eq!(r.tags, None);
    assert_eq!(
        r.agent_instruction_assistance,
        app.agent_instruction_assistance
    );
    assert_eq!(r.instruction_augmentation, None);

    // The app turns them on where the site has them off.
    let site_off = FeatureSet {
        tags: simple(false, Value::Null),
        instruction_augmentation: simple(false, Value::Null),
        ..none()
    };
    let app_on = FeatureSet {
        tags: simple(true, json!({"tags": ["app"]})),
        instruction_augmentation: simple(true, json!({"source": "app"})),
        ..none()
    };
    let r = resolve(&internal(), site_off, app_on.clone());
    assert_eq!(r.tags, app_on.tags);
    assert_eq!(r.instruction_augmentation, app_on.instruction_augmentation);

    // Saying nothing inherits the site's.
    let r = resolve(&internal(), site.clone(), none());
    assert_eq!(r.ui_customization, site.ui_customization);
    assert_eq!(r.tags, site.tags);
    assert_eq!(
        r.agent_instruction_assistance,
        site.agent_instruction_assistance
    );
    assert_eq!(r.instruction_augmentation, site.instruction_augmentation);
}

//! The site configuration's rules: what an administrator may store, and its
//! wire shape (what `PUT /admin/site` and `pika.toml [site]` accept).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use pika_domain::features::{EntityFeature, FeatureSet};
use pika_domain::site::{SiteConfig, SiteRecord};
use serde_json::json;

fn with_entity(path: Option<&str>) -> SiteConfig {
    SiteConfig {
        features: FeatureSet {
            entity: Some(EntityFeature {
                enabled: true,
                attribute_path: path.map(str::to_string),
            }),
            ..FeatureSet::default()
        },
        ..SiteConfig::default()
    }
}

#[test]
fn the_defaults_are_valid() {
    assert_eq!(SiteConfig::default().validate(), Ok(()));
    assert_eq!(with_entity(Some("accountId")).validate(), Ok(()));
    assert_eq!(with_entity(Some("org.accountId")).validate(), Ok(()));
}

#[test]
fn an_entity_feature_needs_a_dotted_path() {
    for path in [None, Some(""), Some("  "), Some("org."), Some(".id")] {
        let err = with_entity(path).validate().unwrap_err();
        assert!(err.to_string().contains("attributePath"), "{path:?}: {err}");
    }
    // Off, it needs none.
    let mut off = with_entity(None);
    if let Some(e) = off.features.entity.as_mut() {
        e.enabled = false;
    }
    assert_eq!(off.validate(), Ok(()));
}

#[test]
fn zero_limits_and_empty_models_are_refused() {
    let cases: Vec<(&str, SiteConfig)> = vec![
        ("windowHours", {
            let mut s = SiteConfig::default();
            s.quotas.window_hours = Some(0);
            s
        }),
        ("maxOutputTokens", {
            let mut s = SiteConfig::default();
            s.turn.max_output_tokens = 0;
            s
        }),
        ("batchSize", {
            let mut s = SiteConfig::default();
            s.insights.batch_size = 0;
            s
        }),
        ("modelId", {
            let mut s = SiteConfig::default();
            s.insights.model_id = " ".to_string();
            s
        }),
        (
            "titleModelId",
            SiteConfig {
                title_model_id: Some(String::new()),
                ..SiteConfig::default()
            },
        ),
    ];
    for (field, site) in cases {
        let err = site.validate().unwrap_err();
        assert!(err.to_string().contains(field), "{field}: {err}");
    }
}

#[test]
fn a_partial_document_fills_in_the_defaults() {
    let site: SiteConfig = serde_json::from_value(json!({
        "features": {"entity": {"enabled": true, "attributePath": "accountId"}},
        "quotas": {"entityTokensPerWindow": 1000}
    }))
    .unwrap();
    assert_eq!(site.entity_attribute_path(), Some("accountId"));
    assert_eq!(site.quotas.entity_tokens_per_window, Some(1000));
    assert_eq!(site.turn, SiteConfig::default().turn);
}

#[test]
fn a_record_round_trips_with_its_stamps() {
    let record = SiteRecord::seed(with_entity(Some("accountId")), chrono::Utc::now());
    let text = serde_json::to_string(&record).unwrap();
    assert!(text.contains("\"version\":1"), "{text}");
    assert!(!text.contains("updatedBy"), "no author for a seed: {text}");
    let back: SiteRecord = serde_json::from_str(&text).unwrap();
    assert_eq!(back, record);
}

#[test]
fn a_partial_turn_or_insights_section_keeps_the_other_defaults() {
    let site: SiteConfig = serde_json::from_value(json!({
        "turn": {"maxToolIterations": 2},
        "insights": {"modelId": "amazon.nova-lite-v1:0"}
    }))
    .unwrap();
    assert_eq!(site.turn.max_tool_iterations, 2);
    assert_eq!(
        site.turn.max_output_tokens,
        SiteConfig::default().turn.max_output_tokens
    );
    assert_eq!(site.insights.model_id, "amazon.nova-lite-v1:0");
    assert_eq!(
        site.insights.batch_size,
        SiteConfig::default().insights.batch_size
    );
}

#[test]
fn a_misspelt_section_is_refused_not_dropped() {
    let err = serde_json::from_value::<SiteConfig>(json!({"featuers": {}})).unwrap_err();
    assert!(err.to_string().contains("featuers"), "{err}");
}

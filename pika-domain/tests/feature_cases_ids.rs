#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Feature resolution of PIKA.md §4 (site config -> chat app -> override):
//! the feature ids and the keys of a feature set.

mod feature_support;

use std::collections::HashSet;

use pika_domain::features::{FeatureId, FeatureSet, UserMemoryFeature};
use pika_domain::verification::Grade;
use serde_json::json;

// ---------------------------------------------------------------- ids

#[test]
fn feature_ids_are_sixteen_distinct_camel_case_names() {
    let expected = [
        "fileUpload",
        "promptInputFieldLabel",
        "suggestions",
        "uiCustomization",
        "verifyResponse",
        "traces",
        "chatDisclaimerNotice",
        "logout",
        "sessionInsights",
        "userDataOverrides",
        "tags",
        "agentInstructionAssistance",
        "instructionAugmentation",
        "userMemory",
        "entity",
        "intentRouter",
    ];
    assert_eq!(FeatureId::ALL.len(), 16);
    let distinct: HashSet<FeatureId> = FeatureId::ALL.iter().copied().collect();
    assert_eq!(distinct.len(), 16);
    let names: Vec<String> = FeatureId::ALL
        .iter()
        .map(|id| {
            serde_json::to_value(id)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(names, expected);
    for name in expected {
        let id: FeatureId = serde_json::from_value(json!(name)).unwrap();
        assert!(FeatureId::ALL.contains(&id));
    }
}

#[test]
fn feature_set_keys_are_the_feature_ids() {
    // A FeatureSet read from configuration uses the same camelCase ids.
    let set: FeatureSet = serde_json::from_value(json!({
        "verifyResponse": { "enabled": true, "rules": { "enabled": true, "userTypes": ["internal-user"] },
                            "autoRepromptThreshold": "C" },
        "chatDisclaimerNotice": { "enabled": true, "notice": "Be careful" },
        "userMemory": { "enabled": true }
    }))
    .unwrap();
    assert_eq!(
        set.verify_response.unwrap().auto_reprompt_threshold,
        Some(Grade::C)
    );
    assert_eq!(set.chat_disclaimer_notice.unwrap().notice, "Be careful");
    assert_eq!(set.user_memory, Some(UserMemoryFeature { enabled: true }));
}

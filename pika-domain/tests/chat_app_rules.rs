//! The rules a chat app must satisfy before it is stored.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use pika_domain::chat_app::{ChatApp, InvalidChatApp};
use serde_json::json;

fn app(extra: serde_json::Value) -> ChatApp {
    let mut base = json!({
        "chatAppId": "support",
        "title": "Support",
        "agentId": "helper",
        "enabled": true,
        "accessRules": { "enabled": true }
    });
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    serde_json::from_value(base).expect("a chat app")
}

#[test]
fn a_plain_app_is_valid() {
    assert_eq!(app(json!({})).validate(), Ok(()));
}

#[test]
fn a_quota_window_of_no_hours_is_refused_as_on_the_site() {
    let zero = app(json!({ "quotas": { "userTokensPerWindow": 10, "windowHours": 0 } }));
    assert_eq!(zero.validate(), Err(InvalidChatApp::QuotaWindow));
    let one = app(json!({ "quotas": { "userTokensPerWindow": 10, "windowHours": 1 } }));
    assert_eq!(one.validate(), Ok(()));
}

#[test]
fn titles_retention_and_intents_have_their_bounds() {
    assert_eq!(
        app(json!({ "title": "  " })).validate(),
        Err(InvalidChatApp::Title)
    );
    assert_eq!(
        app(json!({ "sessionRetentionDays": 0 })).validate(),
        Err(InvalidChatApp::Retention)
    );
    assert_eq!(
        app(json!({ "sessionRetentionDays": 3650 })).validate(),
        Ok(())
    );
    let twice = app(json!({ "intents": [
        { "agentId": "a", "description": "billing" },
        { "agentId": "a", "description": "refunds" }
    ] }));
    assert!(matches!(twice.validate(), Err(InvalidChatApp::Intents(_))));
}

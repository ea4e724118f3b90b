//! Shared by the `feature_cases_*` tests: users, rules, apps, sites and
//! feature-set builders.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pika_domain::access::AccessRules;
use pika_domain::chat_app::{ChatApp, ChatAppMode, ChatAppOverride};
use pika_domain::chrono::{TimeZone, Utc};
use pika_domain::features::{
    resolve_features, ChatDisclaimerNoticeFeature, EntityFeature, FeatureSet, FileUploadFeature,
    LogoutFeature, PromptInputFieldLabelFeature, ResolvedFeatures, SimpleFeature, TracesFeature,
    UserMemoryFeature, VerifyResponseFeature,
};
use pika_domain::ids::{AgentId, ChatAppId, UserId};
use pika_domain::site::SiteConfig;
use pika_domain::user::{User, UserType};
use pika_domain::verification::Grade;
use serde_json::Value;

// ---------------------------------------------------------------- builders

pub fn user(id: &str, user_type: UserType, roles: &[&str]) -> User {
    let mut u = User::new(UserId::parse(id).unwrap(), user_type);
    u.roles = roles.iter().map(|r| (*r).to_string()).collect();
    u
}

pub fn internal() -> User {
    user("ann", UserType::InternalUser, &[])
}

pub fn external() -> User {
    user("bob", UserType::ExternalUser, &[])
}

pub fn developer() -> User {
    user("dev", UserType::InternalUser, &["developer"])
}

pub fn everyone() -> AccessRules {
    AccessRules::for_types([UserType::InternalUser, UserType::ExternalUser])
}

pub fn internals() -> AccessRules {
    AccessRules::for_types([UserType::InternalUser])
}

pub fn app_with(features: FeatureSet) -> ChatApp {
    let t = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    ChatApp {
        chat_app_id: ChatAppId::parse("app").unwrap(),
        title: "App".to_string(),
        description: String::new(),
        agent_id: AgentId::parse("agent").unwrap(),
        intents: Vec::new(),
        enabled: true,
        access_rules: everyone(),
        features,
        modes_supported: vec![ChatAppMode::Standalone],
        quotas: None,
        session_retention_days: None,
        version: 0,
        created_at: t,
        updated_at: t,
        updated_by: None,
    }
}

pub fn site_with(features: FeatureSet) -> SiteConfig {
    SiteConfig {
        features,
        ..SiteConfig::default()
    }
}

pub fn resolve(user: &User, site: FeatureSet, app: FeatureSet) -> ResolvedFeatures {
    resolve_features(user, &app_with(app), None, &site_with(site))
}

pub fn resolve_ovr(site: FeatureSet, app: FeatureSet, ovr: FeatureSet) -> ResolvedFeatures {
    let o = ChatAppOverride {
        features: Some(ovr),
        ..ChatAppOverride::default()
    };
    resolve_features(&internal(), &app_with(app), Some(&o), &site_with(site))
}

pub fn none() -> FeatureSet {
    FeatureSet::default()
}

pub fn verify(
    enabled: bool,
    rules: AccessRules,
    threshold: Option<Grade>,
) -> VerifyResponseFeature {
    VerifyResponseFeature {
        enabled,
        rules,
        auto_reprompt_threshold: threshold,
    }
}

pub fn verify_set(f: VerifyResponseFeature) -> FeatureSet {
    FeatureSet {
        verify_response: Some(f),
        ..none()
    }
}

pub fn traces(enabled: bool, rules: AccessRules, detailed: Option<AccessRules>) -> FeatureSet {
    FeatureSet {
        traces: Some(TracesFeature {
            enabled,
            rules,
            detailed_traces: detailed,
        }),
        ..none()
    }
}

pub fn logout(enabled: bool, rules: AccessRules, title: Option<&str>) -> FeatureSet {
    FeatureSet {
        logout: Some(LogoutFeature {
            enabled,
            rules,
            menu_item_title: title.map(str::to_string),
        }),
        ..none()
    }
}

pub fn label(enabled: bool, text: Option<&str>) -> FeatureSet {
    FeatureSet {
        prompt_input_field_label: Some(PromptInputFieldLabelFeature {
            enabled,
            label: text.map(str::to_string),
        }),
        ..none()
    }
}

pub fn disclaimer(enabled: bool, notice: &str) -> FeatureSet {
    FeatureSet {
        chat_disclaimer_notice: Some(ChatDisclaimerNoticeFeature {
            enabled,
            notice: notice.to_string(),
        }),
        ..none()
    }
}

pub fn simple(enabled: bool, settings: Value) -> Option<SimpleFeature> {
    Some(SimpleFeature { enabled, settings })
}

pub fn upload(enabled: bool, mimes: &[&str], max: Option<u64>) -> FileUploadFeature {
    FileUploadFeature {
        enabled,
        mime_types_allowed: mimes.iter().map(|m| (*m).to_string()).collect(),
        max_file_size_bytes: max,
    }
}

pub fn upload_set(f: FileUploadFeature) -> FeatureSet {
    FeatureSet {
        file_upload: Some(f),
        ..none()
    }
}

pub fn memory(enabled: bool) -> FeatureSet {
    FeatureSet {
        user_memory: Some(UserMemoryFeature { enabled }),
        ..none()
    }
}

pub fn entity(enabled: bool, path: Option<&str>) -> FeatureSet {
    FeatureSet {
        entity: Some(EntityFeature {
            enabled,
            attribute_path: path.map(str::to_string),
        }),
        ..none()
    }
}

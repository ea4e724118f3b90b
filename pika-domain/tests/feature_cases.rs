#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Feature resolution of PIKA.md §4: site config -> chat app -> override.

use std::collections::HashSet;

use pika_domain::access::AccessRules;
use pika_domain::chat_app::{ChatApp, ChatAppMode, ChatAppOverride};
use pika_domain::chrono::{TimeZone, Utc};
use pika_domain::features::{
    resolve_features, ChatDisclaimerNoticeFeature, EntityFeature, FeatureId, FeatureSet,
    FileUploadFeature, InstructionAssistanceFeature, LogoutFeature, PromptInputFieldLabelFeature,
    ResolvedFeatures, SimpleFeature, SuggestionsFeature, TracesFeature, UserMemoryFeature,
    VerifyResponseFeature, DEFAULT_PROMPT_LABEL,
};
use pika_domain::ids::{AgentId, ChatAppId, UserId};
use pika_domain::site::SiteConfig;
use pika_domain::user::{User, UserType, ROLE_SITE_ADMIN};
use pika_domain::verification::Grade;
use serde_json::{json, Value};

// ---------------------------------------------------------------- builders

fn user(id: &str, user_type: UserType, roles: &[&str]) -> User {
    let mut u = User::new(UserId::parse(id).unwrap(), user_type);
    u.roles = roles.iter().map(|r| (*r).to_string()).collect();
    u
}

fn internal() -> User {
    user("ann", UserType::InternalUser, &[])
}

fn external() -> User {
    user("bob", UserType::ExternalUser, &[])
}

fn developer() -> User {
    user("dev", UserType::InternalUser, &["developer"])
}

fn everyone() -> AccessRules {
    AccessRules::for_types([UserType::InternalUser, UserType::ExternalUser])
}

fn internals() -> AccessRules {
    AccessRules::for_types([UserType::InternalUser])
}

fn app_with(features: FeatureSet) -> ChatApp {
    let t = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    ChatApp {
        chat_app_id: ChatAppId::parse("app").unwrap(),
        title: "App".to_string(),
        description: String::new(),
        agent_id: AgentId::parse("agent").unwrap(),
        enabled: true,
        access_rules: everyone(),
        features,
        modes_supported: vec![ChatAppMode::Standalone],
        quotas: None,
        version: 0,
        created_at: t,
        updated_at: t,
        updated_by: None,
    }
}

fn site_with(features: FeatureSet) -> SiteConfig {
    SiteConfig {
        features,
        ..SiteConfig::default()
    }
}

fn resolve(user: &User, site: FeatureSet, app: FeatureSet) -> ResolvedFeatures {
    resolve_features(user, &app_with(app), None, &site_with(site))
}

fn resolve_ovr(site: FeatureSet, app: FeatureSet, ovr: FeatureSet) -> ResolvedFeatures {
    let o = ChatAppOverride {
        features: Some(ovr),
        ..ChatAppOverride::default()
    };
    resolve_features(&internal(), &app_with(app), Some(&o), &site_with(site))
}

fn none() -> FeatureSet {
    FeatureSet::default()
}

fn verify(enabled: bool, rules: AccessRules, threshold: Option<Grade>) -> VerifyResponseFeature {
    VerifyResponseFeature {
        enabled,
        rules,
        auto_reprompt_threshold: threshold,
    }
}

fn verify_set(f: VerifyResponseFeature) -> FeatureSet {
    FeatureSet {
        verify_response: Some(f),
        ..none()
    }
}

fn traces(enabled: bool, rules: AccessRules, detailed: Option<AccessRules>) -> FeatureSet {
    FeatureSet {
        traces: Some(TracesFeature {
            enabled,
            rules,
            detailed_traces: detailed,
        }),
        ..none()
    }
}

fn logout(enabled: bool, rules: AccessRules, title: Option<&str>) -> FeatureSet {
    FeatureSet {
        logout: Some(LogoutFeature {
            enabled,
            rules,
            menu_item_title: title.map(str::to_string),
        }),
        ..none()
    }
}

fn label(enabled: bool, text: Option<&str>) -> FeatureSet {
    FeatureSet {
        prompt_input_field_label: Some(PromptInputFieldLabelFeature {
            enabled,
            label: text.map(str::to_string),
        }),
        ..none()
    }
}

fn disclaimer(enabled: bool, notice: &str) -> FeatureSet {
    FeatureSet {
        chat_disclaimer_notice: Some(ChatDisclaimerNoticeFeature {
            enabled,
            notice: notice.to_string(),
        }),
        ..none()
    }
}

fn simple(enabled: bool, settings: Value) -> Option<SimpleFeature> {
    Some(SimpleFeature { enabled, settings })
}

fn upload(enabled: bool, mimes: &[&str], max: Option<u64>) -> FileUploadFeature {
    FileUploadFeature {
        enabled,
        mime_types_allowed: mimes.iter().map(|m| (*m).to_string()).collect(),
        max_file_size_bytes: max,
    }
}

fn upload_set(f: FileUploadFeature) -> FeatureSet {
    FeatureSet {
        file_upload: Some(f),
        ..none()
    }
}

fn memory(enabled: bool) -> FeatureSet {
    FeatureSet {
        user_memory: Some(UserMemoryFeature { enabled }),
        ..none()
    }
}

fn entity(enabled: bool, path: Option<&str>) -> FeatureSet {
    FeatureSet {
        entity: Some(EntityFeature {
            enabled,
            attribute_path: path.map(str::to_string),
        }),
        ..none()
    }
}

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

//! Builders for the things tests need: users, a site, chat apps, agents and
//! tools with sensible defaults.
//!
//! Test support, not product code: an invalid id handed to a fixture is a
//! bug in the test, and failing loudly at once is the most useful answer.
#![allow(clippy::expect_used)]

use pika_domain::access::AccessRules;
use pika_domain::agent::Agent;
use pika_domain::chat_app::{ChatApp, ChatAppMode};
use pika_domain::chrono::{DateTime, TimeZone, Utc};
use pika_domain::fair_use::FairUseLimits;
use pika_domain::features::{EntityFeature, FeatureSet};
use pika_domain::ids::{AgentId, ChatAppId, EntityId, ToolId, ToolName, UserId};
use pika_domain::session::Session;
use pika_domain::site::SiteConfig;
use pika_domain::tool::{ExecutionType, FunctionSchema, ParameterSchema, ParameterType, Tool};
use pika_domain::user::{User, UserType, ROLE_CONTENT_ADMIN, ROLE_SITE_ADMIN};
use pika_ports::{IdGenerator, IdGeneratorExt};
use std::collections::BTreeMap;

/// The time fixtures are stamped with: 2026-01-15 09:00:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 9, 0, 0)
        .single()
        .expect("valid fixture time")
}

/// A user id. Panics on invalid text: a bad fixture id is a bug in the test.
pub fn user_id(raw: &str) -> UserId {
    UserId::parse(raw).expect("fixture user id")
}

/// A chat app id. Panics on invalid text.
pub fn chat_app_id(raw: &str) -> ChatAppId {
    ChatAppId::parse(raw).expect("fixture chat app id")
}

/// An agent id. Panics on invalid text.
pub fn agent_id(raw: &str) -> AgentId {
    AgentId::parse(raw).expect("fixture agent id")
}

/// A tool id. Panics on invalid text.
pub fn tool_id(raw: &str) -> ToolId {
    ToolId::parse(raw).expect("fixture tool id")
}

/// A tool name. Panics on invalid text.
pub fn tool_name(raw: &str) -> ToolName {
    ToolName::parse(raw).expect("fixture tool name")
}

/// An entity id. Panics on invalid text.
pub fn entity_id(raw: &str) -> EntityId {
    EntityId::parse(raw).expect("fixture entity id")
}

/// A user of `user_type`, with `accountId` in custom data when `entity` is given.
pub fn user(id: &str, user_type: UserType, entity: Option<&str>) -> User {
    let mut u = User::new(user_id(id), user_type);
    if let Some(e) = entity {
        u.custom_data.insert(
            "accountId".to_string(),
            serde_json::Value::String(e.to_string()),
        );
    }
    u
}

/// An external user with entity `acme`.
pub fn customer(id: &str) -> User {
    user(id, UserType::ExternalUser, Some("acme"))
}

/// An internal user with the content-admin role.
pub fn content_admin(id: &str) -> User {
    let mut u = user(id, UserType::InternalUser, Some("operator"));
    u.roles.push(ROLE_CONTENT_ADMIN.to_string());
    u
}

/// An internal user with the site-admin role.
pub fn site_admin(id: &str) -> User {
    let mut u = user(id, UserType::InternalUser, Some("operator"));
    u.roles.push(ROLE_SITE_ADMIN.to_string());
    u
}

/// A site with the entity feature on (path `accountId`) and nothing else;
/// the default fair-use limits with bursts large enough for scenarios that
/// send many turns at one instant of a manual clock.
pub fn site() -> SiteConfig {
    SiteConfig {
        features: FeatureSet {
            entity: Some(EntityFeature {
                enabled: true,
                attribute_path: Some("accountId".to_string()),
            }),
            ..FeatureSet::default()
        },
        fair_use: FairUseLimits {
            user_turn_burst: 1_000,
            entity_turn_burst: 10_000,
            ..FairUseLimits::default()
        },
        ..SiteConfig::default()
    }
}

/// An enabled chat app open to internal and external users.
pub fn chat_app(id: &str, agent: &str) -> ChatApp {
    ChatApp {
        chat_app_id: chat_app_id(id),
        title: format!("{id} app"),
        description: "A chat app for tests".to_string(),
        agent_id: agent_id(agent),
        intents: Vec::new(),
        enabled: true,
        access_rules: AccessRules::for_types([UserType::InternalUser, UserType::ExternalUser]),
        features: FeatureSet::default(),
        modes_supported: vec![ChatAppMode::Standalone],
        quotas: None,
        session_retention_days: None,
        version: 1,
        created_at: t0(),
        updated_at: t0(),
        updated_by: None,
    }
}

/// An agent with a short instruction, a model and the given tools.
pub fn agent(id: &str, tools: &[&str]) -> Agent {
    Agent {
        agent_id: agent_id(id),
        instruction: "You are a helpful assistant.".to_string(),
        model_id: "anthropic.claude-3-5-sonnet-20241022-v2:0".to_string(),
        verification_model_id: None,
        tool_ids: tools.iter().map(|t| tool_id(t)).collect(),
        knowledge_bases: Vec::new(),
        collaborators: Vec::new(),
        guardrail: None,
        version: 1,
        created_at: t0(),
        updated_at: t0(),
        updated_by: None,
    }
}

/// An inline tool `id` offering one function `function` with one required
/// string parameter `query`.
pub fn inline_tool(id: &str, function: &str) -> Tool {
    let mut parameters = BTreeMap::new();
    parameters.insert(
        "query".to_string(),
        ParameterSchema {
            kind: ParameterType::String,
            description: "What to look up".to_string(),
            required: true,
        },
    );
    Tool {
        tool_id: tool_id(id),
        name: tool_name(function),
        display_name: format!("{function} tool"),
        description: format!("Runs {function}"),
        execution_type: ExecutionType::Inline,
        lambda_arn: None,
        http: None,
        mcp: None,
        execution_timeout_ms: None,
        function_schema: vec![FunctionSchema {
            name: tool_name(function),
            description: format!("Runs {function}"),
            parameters,
            require_confirmation: false,
        }],
        version: 1,
        created_at: t0(),
        updated_at: t0(),
        updated_by: None,
    }
}

/// A new session of `user` in `app`, with an id from `ids`.
pub fn session(ids: &dyn IdGenerator, user: &str, app: &str, entity: &str) -> Session {
    Session::new(
        ids.session_id(),
        user_id(user),
        chat_app_id(app),
        agent_id("agent"),
        entity_id(entity),
        t0(),
    )
}

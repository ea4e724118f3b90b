//! The demo site the local server boots with: one chat app, one agent, two
//! in-process tools that do real work (PIKA.md §5: inline tools go through
//! the same tool port as Lambda tools).

use pika_domain::access::AccessRules;
use pika_domain::agent::Agent;
use pika_domain::chat_app::{ChatApp, ChatAppMode};
use pika_domain::chrono::Utc;
use pika_domain::features::{
    EntityFeature, FeatureSet, FileUploadFeature, PromptInputFieldLabelFeature, SimpleFeature,
    SuggestionsFeature, TracesFeature,
};
use pika_domain::ids::{AgentId, ChatAppId};
use pika_domain::site::SiteConfig;
use pika_domain::tool::Tool;
use pika_domain::user::UserType;
use pika_ports::{ErrorKind, Ports};

/// The demo chat app's id.
pub const DEMO_APP: &str = "demo";
/// The demo agent's id.
pub const DEMO_AGENT: &str = "demo-agent";

fn everyone() -> AccessRules {
    AccessRules::for_types([UserType::InternalUser, UserType::ExternalUser])
}

/// The local site: entities from `customData.accountId`, traces for
/// everyone, the default prompt label, tags, and uploads allowed at site level.
pub fn site() -> SiteConfig {
    SiteConfig {
        features: FeatureSet {
            entity: Some(EntityFeature {
                enabled: true,
                attribute_path: Some("accountId".to_string()),
            }),
            traces: Some(TracesFeature {
                enabled: true,
                rules: everyone(),
                detailed_traces: Some(everyone()),
            }),
            prompt_input_field_label: Some(PromptInputFieldLabelFeature {
                enabled: true,
                label: None,
            }),
            // On, with no tag defined: admins add tags with PUT /admin/tags.
            tags: Some(SimpleFeature {
                enabled: true,
                settings: serde_json::Value::Null,
            }),
            ..FeatureSet::default()
        },
        ..SiteConfig::default()
    }
}

/// The demo chat app.
pub fn demo_app() -> Result<ChatApp, String> {
    let now = Utc::now();
    Ok(ChatApp {
        chat_app_id: ChatAppId::parse(DEMO_APP).map_err(|e| e.to_string())?,
        title: "Pika demo".to_string(),
        description: "Ask anything; the agent can tell the time anywhere and convert units."
            .to_string(),
        agent_id: AgentId::parse(DEMO_AGENT).map_err(|e| e.to_string())?,
        intents: Vec::new(),
        enabled: true,
        access_rules: everyone(),
        features: FeatureSet {
            file_upload: Some(FileUploadFeature {
                enabled: true,
                mime_types_allowed: vec![
                    "text/*".into(),
                    "image/*".into(),
                    "application/pdf".into(),
                    "application/json".into(),
                ],
                max_file_size_bytes: None,
            }),
            suggestions: Some(SuggestionsFeature {
                enabled: true,
                suggestions: vec![
                    "What time is it in Tokyo?".into(),
                    "Convert 26.2 miles to kilometres".into(),
                    "What is 72 °F in Celsius?".into(),
                ],
                max_to_show: 3,
                randomize: false,
                randomize_after: 0,
            }),
            ..FeatureSet::default()
        },
        modes_supported: vec![ChatAppMode::Standalone, ChatAppMode::Embedded],
        quotas: None,
        session_retention_days: None,
        version: 1,
        created_at: now,
        updated_at: now,
        updated_by: None,
    })
}

/// The demo agent on `model_id` with the demo tools.
pub fn demo_agent(
    model_id: &str,
    verification_model: Option<&str>,
    tools: &[Tool],
) -> Result<Agent, String> {
    let now = Utc::now();
    Ok(Agent {
        agent_id: AgentId::parse(DEMO_AGENT).map_err(|e| e.to_string())?,
        instruction: "You are Pika's demo assistant. Answer briefly and accurately. \
            Use the current_time tool for the current time or date anywhere, and the \
            convert_units tool for unit conversions; never guess them."
            .to_string(),
        model_id: model_id.to_string(),
        verification_model_id: Some(verification_model.unwrap_or(model_id).to_string()),
        tool_ids: tools.iter().map(|t| t.tool_id.clone()).collect(),
        knowledge_bases: Vec::new(),
        collaborators: Vec::new(),
        guardrail: None,
        version: 1,
        created_at: now,
        updated_at: now,
        updated_by: None,
    })
}

/// Creates the demo tools, agent and chat app where missing (an existing
/// one is left as the operator changed it).
///
/// # Errors
/// Store failures other than "exists already".
pub async fn seed(
    ports: &Ports,
    tools: Vec<Tool>,
    agent: Agent,
    app: ChatApp,
) -> Result<(), String> {
    let exists = |e: &pika_ports::PortError| e.is(ErrorKind::Conflict);
    for tool in &tools {
        match ports.tools.create(tool).await {
            Err(e) if !exists(&e) => {
                return Err(format!("cannot create tool {}: {e}", tool.tool_id))
            }
            _ => {}
        }
    }
    match ports.agents.create(&agent).await {
        Err(e) if !exists(&e) => {
            return Err(format!("cannot create agent {}: {e}", agent.agent_id))
        }
        _ => {}
    }
    match ports.chat_apps.create(&app).await {
        Err(e) if !exists(&e) => {
            return Err(format!("cannot create chat app {}: {e}", app.chat_app_id))
        }
        _ => {}
    }
    Ok(())
}

//! The intent router (PIKA.md §4 `intentRouter`): one fast classification
//! call picks the agent for a message among the chat app's intents; the
//! chat app's own agent answers when none fits, or when the call fails (a
//! router that is down never stops a turn). The call's tokens are booked
//! with the turn's.

use super::ChatInner;
use pika_domain::agent::DEFAULT_SMALL_MODEL_ID;
use pika_domain::chat_app::ChatApp;
use pika_domain::cost::TokenUsage;
use pika_domain::ids::AgentId;
use pika_domain::intent::{parse_choice, router_input, ROUTER_INSTRUCTION};
use pika_domain::site::SiteConfig;
use pika_ports::{CompletionPurpose, CompletionRequest};

/// The agent for `message`, and the routing call's model and tokens when
/// one was made.
pub(super) async fn choose_agent(
    inner: &ChatInner,
    site: &SiteConfig,
    app: &ChatApp,
    message: &str,
) -> (AgentId, Option<(String, TokenUsage)>) {
    if app.intents.is_empty() {
        return (app.agent_id.clone(), None);
    }
    let model_id = site
        .router_model_id
        .clone()
        .unwrap_or_else(|| DEFAULT_SMALL_MODEL_ID.to_string());
    let request = CompletionRequest {
        model_id: model_id.clone(),
        instruction: ROUTER_INSTRUCTION.to_string(),
        input: router_input(&app.intents, message),
        max_output_tokens: 16,
        purpose: CompletionPurpose::Routing,
    };
    match inner.ports.completions.complete(request).await {
        Ok(answer) => {
            let chosen = parse_choice(&answer.text, &app.intents);
            tracing::info!(chat_app = %app.chat_app_id, agent = ?chosen, "message routed");
            (
                chosen.unwrap_or_else(|| app.agent_id.clone()),
                Some((model_id, answer.usage)),
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, chat_app = %app.chat_app_id, "the intent router failed; the chat app's agent answers");
            (app.agent_id.clone(), None)
        }
    }
}

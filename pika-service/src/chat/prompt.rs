//! Building the model invocation (PIKA.md §7 step 4): instruction with
//! assistance blocks and memory, history trimmed to the budget, files listed,
//! session attributes for tools.

use pika_domain::agent::Agent;
use pika_domain::features::ResolvedFeatures;
use pika_domain::history::{estimate_tokens, trim_to_budget};
use pika_domain::instruction::apply_instruction_assistance;
use pika_domain::message::{Message, Role};
use pika_domain::session::Session;
use pika_domain::site::SiteConfig;
use pika_domain::tag::{applying, instruction_block};
use pika_domain::user::User;
use pika_ports::ConversationMessage;
use serde_json::{Map, Value};

/// The system instruction: the agent's, with assistance blocks when the
/// feature is on, and what is remembered about the user on a first turn.
pub(super) fn instruction(
    agent: &Agent,
    features: &ResolvedFeatures,
    memory: Option<&str>,
) -> String {
    let blocks = features
        .agent_instruction_assistance
        .as_ref()
        .map(|f| f.blocks.clone())
        .unwrap_or_default();
    let mut text = apply_instruction_assistance(&agent.instruction, &blocks);
    if let Some(memory) = memory {
        text.push_str("\n\n");
        text.push_str(memory);
    }
    text
}

/// The tags the model may write in this chat app (`tags` feature), as an
/// instruction block; `None` with the feature off or no such tags.
pub(super) fn tags_block(site: &SiteConfig, features: &ResolvedFeatures) -> Option<String> {
    let feature = features.tags.as_ref()?;
    instruction_block(&applying(&site.tags, &feature.settings))
}

/// The conversation: earlier messages that fit the budget (oldest dropped
/// first), then the user's message with its files listed.
pub(super) fn conversation(
    history: &[Message],
    current: &Message,
    budget: u32,
) -> Vec<ConversationMessage> {
    let earlier: Vec<&Message> = history
        .iter()
        .filter(|m| m.message_id != current.message_id && !m.content.trim().is_empty())
        .collect();
    let current_cost = estimate_tokens(&current.content);
    let kept = trim_to_budget(
        earlier,
        budget.saturating_sub(current_cost),
        |m| estimate_tokens(&m.content),
        |m| m.role == Role::User,
    );
    let mut out: Vec<ConversationMessage> = Vec::with_capacity(kept.len() + 1);
    for m in kept {
        // Two messages of one role in a row (an answer that failed before any
        // text) are merged so the conversation alternates, as models require.
        match out.last_mut() {
            Some(last) if last.role == m.role => {
                let merged = format!("{}\n\n{}", last.joined_text(), m.content);
                *last = ConversationMessage::text(m.role, merged);
            }
            _ => out.push(ConversationMessage::text(m.role, m.content.clone())),
        }
    }
    if out.last().is_some_and(|m| m.role == Role::User) {
        out.pop();
    }
    out.push(ConversationMessage::text(
        Role::User,
        user_text_with_files(current),
    ));
    out
}

fn user_text_with_files(message: &Message) -> String {
    if message.files.is_empty() {
        return message.content.clone();
    }
    let mut text = message.content.clone();
    text.push_str("\n\nAttached files (name, type, reference):\n");
    for f in &message.files {
        text.push_str(&format!(
            "- {} ({}) ref: {}\n",
            f.name, f.content_type, f.key
        ));
    }
    text
}

/// Session attributes handed to tools (PIKA.md §5): the user's custom data,
/// then the platform's attributes (which win over custom data of the same name).
pub(super) fn session_attributes(
    caller: &User,
    session: &Session,
    user_message: &Message,
    today: &str,
) -> Map<String, Value> {
    let mut attrs = caller.custom_data.clone();
    let mut put = |k: &str, v: String| {
        attrs.insert(k.to_string(), Value::String(v));
    };
    put("userId", caller.user_id.to_string());
    put("chatAppId", session.chat_app_id.to_string());
    put("agentId", session.agent_id.to_string());
    put("sessionId", session.session_id.to_string());
    put("currentDate", today.to_string());
    put("messageId", user_message.message_id.to_string());
    // The only files a tool may open for this call: the session's own
    // uploads (a model, or a prompt injected into it, may name any key).
    put(
        "uploadPrefix",
        pika_domain::files::session_upload_prefix(&caller.user_id, &session.session_id),
    );
    attrs
}

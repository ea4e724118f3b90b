//! Tool calling for servers without native `tools` support: the shared
//! [`crate::tool_text`] format, with the history as chat-completions
//! messages.

use crate::tool_text;
use pika_domain::message::Role;
use pika_ports::ConversationMessage;
use serde_json::{json, Value};

pub(super) use crate::tool_text::{system_prompt, Piece, TextToolFilter};

/// The conversation as plain text messages: tool calls as `<tool_call>`
/// blocks in the assistant's text, results as `<tool_response>` blocks in
/// a user message.
pub(super) fn conversation(history: &[ConversationMessage], out: &mut Vec<Value>) {
    for (role, content) in tool_text::conversation(history) {
        let role = match role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        out.push(json!({ "role": role, "content": content }));
    }
}

//! The port's requests in the Converse API's shapes: system prompt,
//! messages (text, tool uses, tool results), tool configuration and
//! inference configuration.

use super::document::{output_text, to_document};
use aws_sdk_bedrockruntime::types::{
    ContentBlock as Block, ConversationRole, InferenceConfiguration, Message, SystemContentBlock,
    Tool, ToolConfiguration, ToolInputSchema, ToolResultBlock, ToolResultContentBlock,
    ToolResultStatus, ToolSpecification, ToolUseBlock,
};
use aws_smithy_types::error::operation::BuildError;
use pika_domain::message::Role;
use pika_ports::{ContentBlock, ConversationMessage, PortError, PortResult, ToolSpec};
use serde_json::Value;

/// The system prompt (none when the instruction is blank: Bedrock refuses
/// an empty system block).
pub(super) fn system(instruction: &str) -> Option<Vec<SystemContentBlock>> {
    (!instruction.trim().is_empty()).then(|| vec![SystemContentBlock::Text(instruction.into())])
}

/// The most output tokens.
pub(super) fn inference(max_output_tokens: u32) -> InferenceConfiguration {
    InferenceConfiguration::builder()
        .max_tokens(i32::try_from(max_output_tokens).unwrap_or(i32::MAX))
        .build()
}

/// The conversation as Converse messages. Converse wants roles to
/// alternate, starting with the user, and refuses blank text blocks, so
/// blank text is left out, neighbours of one role are merged, and a
/// leading assistant message (left by history trimming) is dropped.
pub(super) fn messages(history: &[ConversationMessage]) -> PortResult<Vec<Message>> {
    let mut merged: Vec<(Role, Vec<Block>)> = Vec::new();
    for message in history {
        let blocks = message
            .content
            .iter()
            .filter_map(|b| block(b).transpose())
            .collect::<PortResult<Vec<Block>>>()?;
        if blocks.is_empty() {
            continue;
        }
        match merged.last_mut() {
            Some((role, content)) if *role == message.role => content.extend(blocks),
            None if message.role == Role::Assistant => {}
            _ => merged.push((message.role, blocks)),
        }
    }
    merged
        .into_iter()
        .map(|(role, content)| {
            Message::builder()
                .role(match role {
                    Role::User => ConversationRole::User,
                    Role::Assistant => ConversationRole::Assistant,
                })
                .set_content(Some(content))
                .build()
                .map_err(refused)
        })
        .collect()
}

/// The tools offered to the model (none when there are none: Converse
/// refuses an empty tool list).
pub(super) fn tool_config(tools: &[ToolSpec]) -> PortResult<Option<ToolConfiguration>> {
    if tools.is_empty() {
        return Ok(None);
    }
    let tools = tools
        .iter()
        .map(|spec| {
            ToolSpecification::builder()
                .name(spec.name.as_str())
                .description(&spec.description)
                .input_schema(ToolInputSchema::Json(to_document(&spec.input_schema)))
                .build()
                .map(Tool::ToolSpec)
                .map_err(refused)
        })
        .collect::<PortResult<Vec<Tool>>>()?;
    ToolConfiguration::builder()
        .set_tools(Some(tools))
        .build()
        .map(Some)
        .map_err(refused)
}

/// One content block; `None` for blank text.
fn block(content: &ContentBlock) -> PortResult<Option<Block>> {
    Ok(match content {
        ContentBlock::Text { text } if text.trim().is_empty() => None,
        ContentBlock::Text { text } => Some(Block::Text(text.clone())),
        ContentBlock::ToolUse {
            tool_use_id,
            name,
            input,
        } => Some(Block::ToolUse(
            ToolUseBlock::builder()
                .tool_use_id(tool_use_id)
                .name(name)
                .input(to_document(input))
                .build()
                .map_err(refused)?,
        )),
        ContentBlock::ToolResult {
            tool_use_id,
            ok,
            output,
        } => Some(Block::ToolResult(
            ToolResultBlock::builder()
                .tool_use_id(tool_use_id)
                .content(result_content(output))
                .status(if *ok {
                    ToolResultStatus::Success
                } else {
                    ToolResultStatus::Error
                })
                .build()
                .map_err(refused)?,
        )),
    })
}

/// A tool's output: an object goes as JSON (models read its structure),
/// anything else as text (Converse takes only objects as JSON).
fn result_content(output: &Value) -> ToolResultContentBlock {
    match output {
        Value::Object(_) => ToolResultContentBlock::Json(to_document(output)),
        other => ToolResultContentBlock::Text(output_text(other)),
    }
}

fn refused(error: BuildError) -> PortError {
    PortError::invalid(format!("cannot build the Converse request: {error}")).with_source(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_text_is_dropped_and_neighbours_of_one_role_merge() {
        let history = vec![
            ConversationMessage::text(Role::Assistant, "left over from trimming"),
            ConversationMessage::text(Role::User, "hello"),
            ConversationMessage::text(Role::User, "again"),
            ConversationMessage::text(Role::Assistant, "  "),
            ConversationMessage::text(Role::Assistant, "hi"),
        ];
        let out = messages(&history).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].role, ConversationRole::User);
        assert_eq!(
            out[0].content,
            vec![Block::Text("hello".into()), Block::Text("again".into())]
        );
        assert_eq!(out[1].content, vec![Block::Text("hi".into())]);
    }
}

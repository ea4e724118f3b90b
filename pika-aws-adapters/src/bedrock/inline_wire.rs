//! The port's request in `InvokeInlineAgent`'s shapes: tools as action
//! groups that return control, the session state (attributes, history, or
//! the results of a return of control), and the ids that link a returned
//! control to its results.

use super::document::output_text;
use aws_sdk_bedrockagentruntime::types::{
    ActionGroupExecutor, AgentActionGroup, ContentBlock as Block, ContentBody, ConversationHistory,
    ConversationRole, CustomControlMethod, FunctionDefinition, FunctionResult, FunctionSchema,
    InlineSessionState, InvocationResultMember, Message, ParameterDetail, ParameterType,
};
use aws_smithy_types::error::operation::BuildError;
use pika_domain::message::Role;
use pika_ports::{
    AgentRequest, ContentBlock, ConversationMessage, PortError, PortResult, ToolSpec,
};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Separates the invocation id from the call's position in a tool-use id.
const ID_SEPARATOR: char = '#';
/// Separates the call's position from the collaborator that asked for it.
const AGENT_SEPARATOR: char = '@';

/// What one `InvokeInlineAgent` call sends besides the agent's definition.
#[derive(Debug)]
pub(super) struct InlineCall {
    /// The user's turn (absent when the call carries tool results).
    pub(super) input_text: Option<String>,
    /// Attributes, and either the history or the tool results.
    pub(super) session_state: InlineSessionState,
}

/// The id of the `index`th call of the return of control `invocation_id`,
/// asked for by the collaborator `agent` (`None`: the agent itself). Both
/// travel inside it, so the call carrying the results can name the
/// invocation and the collaborator without the adapter keeping state.
pub(super) fn tool_use_id(invocation_id: &str, index: usize, agent: Option<&str>) -> String {
    match agent.filter(|a| !a.is_empty()) {
        Some(agent) => format!("{invocation_id}{ID_SEPARATOR}{index}{AGENT_SEPARATOR}{agent}"),
        None => format!("{invocation_id}{ID_SEPARATOR}{index}"),
    }
}

/// The collaborator a tool-use id's call came from.
fn agent_of(tool_use_id: &str) -> Option<&str> {
    tool_use_id
        .rsplit_once(ID_SEPARATOR)
        .and_then(|(_, position)| position.split_once(AGENT_SEPARATOR))
        .map(|(_, agent)| agent)
        .filter(|agent| !agent.is_empty())
}

/// The invocation a tool-use id belongs to.
fn invocation_of(tool_use_id: &str) -> Option<&str> {
    tool_use_id
        .rsplit_once(ID_SEPARATOR)
        .map(|(invocation, _)| invocation)
        .filter(|invocation| !invocation.is_empty())
}

/// One action group per tool function, named after it: Bedrock invokes a
/// tool with a Lambda ARN itself (its Lambda executor; the function's
/// resource policy must allow `bedrock.amazonaws.com`), and returns control
/// for every other tool, which Pika's tool invoker then runs.
pub(super) fn action_groups(tools: &[ToolSpec]) -> PortResult<Vec<AgentActionGroup>> {
    tools
        .iter()
        .map(|spec| {
            let function = FunctionDefinition::builder()
                .name(spec.name.as_str())
                .description(&spec.description)
                .set_parameters(Some(parameters(&spec.input_schema)?))
                .build()
                .map_err(refused)?;
            AgentActionGroup::builder()
                .action_group_name(spec.name.as_str())
                .description(&spec.description)
                .action_group_executor(executor(spec))
                .function_schema(FunctionSchema::Functions(vec![function]))
                .build()
                .map_err(refused)
        })
        .collect()
}

fn executor(spec: &ToolSpec) -> ActionGroupExecutor {
    match &spec.lambda_arn {
        Some(arn) => ActionGroupExecutor::Lambda(arn.clone()),
        None => ActionGroupExecutor::CustomControl(CustomControlMethod::ReturnControl),
    }
}

/// A JSON schema's properties as Bedrock function parameters. Bedrock
/// knows string, number, integer, boolean and array; anything else is
/// offered as a string.
fn parameters(schema: &Value) -> PortResult<HashMap<String, ParameterDetail>> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Ok(HashMap::new());
    };
    properties
        .iter()
        .map(|(name, property)| {
            let kind = match property.get("type").and_then(Value::as_str) {
                Some("number") => ParameterType::Number,
                Some("integer") => ParameterType::Integer,
                Some("boolean") => ParameterType::Boolean,
                Some("array") => ParameterType::Array,
                _ => ParameterType::String,
            };
            let detail = ParameterDetail::builder()
                .r#type(kind)
                .set_description(
                    property
                        .get("description")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                )
                .required(required.contains(&name.as_str()))
                .build()
                .map_err(refused)?;
            Ok((name.clone(), detail))
        })
        .collect()
}

/// The call for `request`: the results of a return of control when the
/// conversation ends with tool results, else the user's turn with the
/// earlier conversation as history.
pub(super) fn call(request: &AgentRequest) -> PortResult<InlineCall> {
    let attributes = session_attributes(&request.session_attributes);
    let Some((last, earlier)) = request.messages.split_last() else {
        return Err(PortError::invalid("InvokeInlineAgent needs a user message"));
    };
    if last.role != Role::User {
        return Err(PortError::invalid(
            "InvokeInlineAgent needs the conversation to end with the user's turn",
        ));
    }
    let state = InlineSessionState::builder().set_session_attributes(Some(attributes));
    if let Some((invocation_id, results)) = tool_results(last, &request.messages)? {
        return Ok(InlineCall {
            input_text: None,
            session_state: state
                .invocation_id(invocation_id)
                .set_return_control_invocation_results(Some(results))
                .build(),
        });
    }
    let history = history(earlier)?;
    Ok(InlineCall {
        input_text: Some(last.joined_text()),
        session_state: state.set_conversation_history(history).build(),
    })
}

/// Session attributes as Bedrock takes them: strings as they are, other
/// values as JSON text.
fn session_attributes(attributes: &Map<String, Value>) -> HashMap<String, String> {
    attributes
        .iter()
        .map(|(k, v)| (k.clone(), output_text(v)))
        .collect()
}

/// The results in `last`, with the invocation they answer; `None` when it
/// carries no results. A failed tool is reported in the body, not as
/// `responseState: FAILURE`, which would end the agent's turn with an
/// exception instead of letting the model read the failure.
fn tool_results(
    last: &ConversationMessage,
    conversation: &[ConversationMessage],
) -> PortResult<Option<(String, Vec<InvocationResultMember>)>> {
    let mut invocation: Option<String> = None;
    let mut results = Vec::new();
    for block in &last.content {
        let ContentBlock::ToolResult {
            tool_use_id,
            output,
            ..
        } = block
        else {
            continue;
        };
        let Some(this) = invocation_of(tool_use_id) else {
            return Err(PortError::invalid(format!(
                "tool result '{tool_use_id}' does not answer a Bedrock return of control"
            )));
        };
        invocation.get_or_insert_with(|| this.to_string());
        let function = function_of(tool_use_id, conversation).ok_or_else(|| {
            PortError::invalid(format!(
                "tool result '{tool_use_id}' has no tool use before it in the conversation"
            ))
        })?;
        let body = ContentBody::builder().body(output_text(output)).build();
        let result = FunctionResult::builder()
            .action_group(function)
            .function(function)
            .response_body("TEXT", body)
            .set_agent_id(agent_of(tool_use_id).map(str::to_string))
            .build()
            .map_err(refused)?;
        results.push(InvocationResultMember::FunctionResult(result));
    }
    Ok(invocation.map(|id| (id, results)))
}

/// The function the model asked for with `tool_use_id`.
fn function_of<'a>(tool_use_id: &str, conversation: &'a [ConversationMessage]) -> Option<&'a str> {
    conversation
        .iter()
        .rev()
        .flat_map(|m| m.content.iter())
        .find_map(|block| match block {
            ContentBlock::ToolUse {
                tool_use_id: id,
                name,
                ..
            } if id == tool_use_id => Some(name.as_str()),
            _ => None,
        })
}

/// The earlier conversation as text, for when Bedrock's own session has
/// expired. It must alternate and end with the assistant (the user's turn
/// is the input text), so blank messages are left out, neighbours of one
/// role are merged, a leading assistant message and trailing unanswered
/// user messages are dropped.
fn history(earlier: &[ConversationMessage]) -> PortResult<Option<ConversationHistory>> {
    let mut turns: Vec<(Role, String)> = Vec::new();
    for message in earlier {
        let text = message.joined_text();
        if text.trim().is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((role, joined)) if *role == message.role => {
                joined.push_str("\n\n");
                joined.push_str(&text);
            }
            None if message.role == Role::Assistant => {}
            _ => turns.push((message.role, text)),
        }
    }
    while turns.last().is_some_and(|(role, _)| *role == Role::User) {
        turns.pop();
    }
    if turns.is_empty() {
        return Ok(None);
    }
    let messages = turns
        .into_iter()
        .map(|(role, text)| {
            Message::builder()
                .role(match role {
                    Role::User => ConversationRole::User,
                    Role::Assistant => ConversationRole::Assistant,
                })
                .content(Block::Text(text))
                .build()
                .map_err(refused)
        })
        .collect::<PortResult<Vec<Message>>>()?;
    Ok(Some(
        ConversationHistory::builder()
            .set_messages(Some(messages))
            .build(),
    ))
}

fn refused(error: BuildError) -> PortError {
    PortError::invalid(format!(
        "cannot build the InvokeInlineAgent request: {error}"
    ))
    .with_source(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_invocation_id_travels_in_the_tool_use_id() {
        let id = tool_use_id("a1b2-c3#d4", 2, None);
        assert_eq!(invocation_of(&id), Some("a1b2-c3#d4"));
        assert_eq!(agent_of(&id), None);
        assert_eq!(invocation_of("toolu_123"), None);
        let asked = tool_use_id("a1b2", 0, Some("AGENT01"));
        assert_eq!(invocation_of(&asked), Some("a1b2"));
        assert_eq!(agent_of(&asked), Some("AGENT01"));
    }

    #[test]
    fn history_alternates_and_ends_with_the_assistant() {
        let earlier = vec![
            ConversationMessage::text(Role::Assistant, "orphan"),
            ConversationMessage::text(Role::User, "q1"),
            ConversationMessage::text(Role::Assistant, "a1"),
            ConversationMessage::text(Role::User, "unanswered"),
        ];
        let history = history(&earlier).unwrap().unwrap();
        let messages = history.messages.unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].role, ConversationRole::User);
        assert_eq!(messages[1].content, vec![Block::Text("a1".into())]);
    }

    #[test]
    fn schema_types_become_parameter_types() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "city": { "type": "string", "description": "City" },
                "days": { "type": "integer" },
                "filter": { "type": "object" }
            },
            "required": ["city"]
        });
        let params = parameters(&schema).unwrap();
        assert_eq!(params["city"].r#type, ParameterType::String);
        assert_eq!(params["city"].required, Some(true));
        assert_eq!(params["days"].r#type, ParameterType::Integer);
        assert_eq!(params["days"].required, Some(false));
        assert_eq!(params["filter"].r#type, ParameterType::String);
    }
}

//! From a [`ToolInvocation`] to the action group event, and from the
//! function's answer to the tool's output or a classified error.

use pika_domain::tool::ParameterType;
use pika_ports::action_group::{
    ActionGroupEvent, ActionGroupResponse, AgentInfo, Parameter, ResponseState, MESSAGE_VERSION,
};
use pika_ports::{PortError, PortResult, ToolInvocation};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Inline agents have no alias or version; Bedrock reports these for them.
const AGENT_ALIAS: &str = "inline";
const AGENT_VERSION: &str = "DRAFT";

fn type_name(kind: ParameterType) -> &'static str {
    match kind {
        ParameterType::String => "string",
        ParameterType::Number => "number",
        ParameterType::Integer => "integer",
        ParameterType::Boolean => "boolean",
        ParameterType::Array => "array",
    }
}

/// The type of an argument the schema does not declare, from its value.
fn inferred_type(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::Array(_) => "array",
        _ => "string",
    }
}

/// A value as the event carries it: text as it is, anything else as JSON.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn text_attributes(attributes: &Map<String, Value>) -> BTreeMap<String, String> {
    attributes
        .iter()
        .map(|(k, v)| (k.clone(), as_text(v)))
        .collect()
}

/// The event for `call`: the model's arguments as parameters typed by the
/// function's schema, the session attributes as text.
///
/// # Errors
/// `Invalid` when the model's input is not a JSON object (or null).
pub(super) fn event_for(call: &ToolInvocation) -> PortResult<ActionGroupEvent> {
    let arguments = match &call.input {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        other => {
            return Err(PortError::invalid(format!(
                "the input of {} must be a JSON object of arguments, not {other}",
                call.function
            )))
        }
    };
    let schema = call
        .tool
        .function_schema
        .iter()
        .find(|f| f.name == call.function);
    let parameters = arguments
        .iter()
        .map(|(name, value)| Parameter {
            name: name.clone(),
            kind: schema
                .and_then(|s| s.parameters.get(name))
                .map(|p| type_name(p.kind))
                .unwrap_or_else(|| inferred_type(value))
                .to_string(),
            value: as_text(value),
        })
        .collect();
    let attribute = |name: &str| {
        call.session_attributes
            .get(name)
            .map(as_text)
            .unwrap_or_default()
    };
    let agent_id = attribute("agentId");
    Ok(ActionGroupEvent {
        message_version: MESSAGE_VERSION.to_string(),
        agent: AgentInfo {
            name: agent_id.clone(),
            id: agent_id,
            alias: AGENT_ALIAS.to_string(),
            version: AGENT_VERSION.to_string(),
        },
        // The port hands the invoker the model's arguments, not the user's
        // words; tools needing context read the session attributes.
        input_text: String::new(),
        session_id: attribute("sessionId"),
        action_group: call.tool.name.as_str().to_string(),
        function: call.function.as_str().to_string(),
        parameters,
        session_attributes: text_attributes(&call.session_attributes),
        prompt_session_attributes: BTreeMap::new(),
    })
}

/// What Lambda returns when the function itself threw.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct LambdaError {
    #[serde(default)]
    error_message: String,
    #[serde(default)]
    error_type: String,
}

/// The tool's output from the function's answer: the response body's text.
///
/// # Errors
/// - `Permanent` when the function threw (`function_error` set), answered
///   something that is not an action group response, or answered
///   `responseState: FAILURE`.
/// - `Invalid` for `responseState: REPROMPT` (the model may try again).
pub(super) fn output_of(
    function: &str,
    payload: &[u8],
    function_error: Option<&str>,
) -> PortResult<Value> {
    if let Some(kind) = function_error {
        let thrown: LambdaError = serde_json::from_slice(payload).unwrap_or_default();
        return Err(PortError::permanent(format!(
            "tool function {function} failed ({kind} {}): {}",
            thrown.error_type, thrown.error_message
        )));
    }
    let response: ActionGroupResponse = serde_json::from_slice(payload).map_err(|e| {
        PortError::permanent(format!(
            "tool function {function} did not answer an action group response: {e}"
        ))
        .with_source(e)
    })?;
    let answer = response.response.function_response;
    let body = answer.response_body.text.body;
    match answer.response_state {
        None => Ok(Value::String(body)),
        Some(ResponseState::Reprompt) => Err(PortError::invalid(body)),
        Some(ResponseState::Failure) => Err(PortError::permanent(format!(
            "tool function {function} reported a failure: {body}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pika_ports::ErrorKind;
    use serde_json::json;

    #[test]
    fn answers_become_outputs_or_classified_errors() {
        let ok = json!({"messageVersion": "1.0", "response": {"actionGroup": "t", "function": "f",
            "functionResponse": {"responseBody": {"TEXT": {"body": "42 °C"}}}}});
        assert_eq!(
            output_of("f", ok.to_string().as_bytes(), None).unwrap(),
            json!("42 °C")
        );
        let failed = json!({"messageVersion": "1.0", "response": {"actionGroup": "t", "function": "f",
            "functionResponse": {"responseState": "FAILURE", "responseBody": {"TEXT": {"body": "db down"}}}}});
        let err = output_of("f", failed.to_string().as_bytes(), None).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Permanent);
        assert!(err.message.contains("db down"), "{err}");
        let thrown = json!({"errorMessage": "boom", "errorType": "TypeError"});
        let err = output_of("f", thrown.to_string().as_bytes(), Some("Unhandled")).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Permanent);
        assert!(
            err.message.contains("boom") && err.message.contains("TypeError"),
            "{err}"
        );
        let err = output_of("f", b"{\"hello\": 1}", None).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Permanent);
    }
}

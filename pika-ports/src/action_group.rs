//! The wire shapes of a Bedrock agent action group backed by a Lambda
//! function ("function details" flavour): the event Bedrock sends the
//! function, and the response it expects back. Pika's invoker sends the
//! same event, so one tool function serves Bedrock agents and Pika alike.
//!
//! They live in the ports crate because two sides share them: the Lambda
//! tool invoker (`pika-aws-adapters`) and the tool-function helper
//! (`pika-lambda-tool`), which must not pull an AWS SDK.
//!
//! See "Configure Lambda functions to send information that an Amazon
//! Bedrock agent elicits from the user" in the Bedrock user guide.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The only message version Bedrock uses.
pub const MESSAGE_VERSION: &str = "1.0";

/// The event a tool function receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionGroupEvent {
    /// Always [`MESSAGE_VERSION`].
    pub message_version: String,
    /// The agent calling the tool.
    pub agent: AgentInfo,
    /// What the user said (Pika sends what it knows; may be empty).
    #[serde(default)]
    pub input_text: String,
    /// The chat session.
    #[serde(default)]
    pub session_id: String,
    /// The action group: the tool's name.
    pub action_group: String,
    /// The function of the action group the model called.
    pub function: String,
    /// The model's arguments, every value as text.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// Attributes that last the whole session (Pika: user, chat app, agent,
    /// session, date, message, and the user's custom data).
    #[serde(default)]
    pub session_attributes: BTreeMap<String, String>,
    /// Attributes for this prompt only.
    #[serde(default)]
    pub prompt_session_attributes: BTreeMap<String, String>,
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInfo {
    /// The agent's name.
    pub name: String,
    /// The agent's id.
    pub id: String,
    /// The agent alias.
    pub alias: String,
    /// The agent version.
    pub version: String,
}

/// One argument of the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parameter {
    /// Its name.
    pub name: String,
    /// Its declared type: `string`, `number`, `integer`, `boolean` or `array`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its value as text (strings as they are, anything else as JSON).
    pub value: String,
}

/// What a tool function returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionGroupResponse {
    /// [`MESSAGE_VERSION`].
    pub message_version: String,
    /// The function's result.
    pub response: FunctionResult,
    /// Session attributes to keep (Pika ignores them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_attributes: Option<BTreeMap<String, String>>,
    /// Prompt attributes to keep (Pika ignores them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_session_attributes: Option<BTreeMap<String, String>>,
}

/// The result of one function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionResult {
    /// The action group that was called.
    pub action_group: String,
    /// The function that was called.
    pub function: String,
    /// Its answer.
    pub function_response: FunctionResponse,
}

/// A function's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionResponse {
    /// Absent on success; otherwise how the call failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_state: Option<ResponseState>,
    /// The answer's text.
    pub response_body: ResponseBody,
}

/// How a call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResponseState {
    /// The function failed; the agent should not retry it.
    Failure,
    /// The input was unusable; the model should ask again differently.
    Reprompt,
}

/// The answer's body by content type (Bedrock knows only `TEXT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseBody {
    /// The text answer.
    #[serde(rename = "TEXT")]
    pub text: TextBody,
}

/// A text answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextBody {
    /// The text handed to the model.
    pub body: String,
}

impl ActionGroupResponse {
    /// A successful response carrying `body` (what a tool function built
    /// with these types returns).
    pub fn text(action_group: &str, function: &str, body: impl Into<String>) -> Self {
        Self {
            message_version: MESSAGE_VERSION.to_string(),
            response: FunctionResult {
                action_group: action_group.to_string(),
                function: function.to_string(),
                function_response: FunctionResponse {
                    response_state: None,
                    response_body: ResponseBody {
                        text: TextBody { body: body.into() },
                    },
                },
            },
            session_attributes: None,
            prompt_session_attributes: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_bedrock_response_parses_and_serialises_back() {
        let wire = json!({
            "messageVersion": "1.0",
            "response": {
                "actionGroup": "weather",
                "function": "forecast",
                "functionResponse": {
                    "responseState": "REPROMPT",
                    "responseBody": { "TEXT": { "body": "which city?" } }
                }
            }
        });
        let parsed: ActionGroupResponse = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(
            parsed.response.function_response.response_state,
            Some(ResponseState::Reprompt)
        );
        assert_eq!(
            parsed.response.function_response.response_body.text.body,
            "which city?"
        );
        assert_eq!(serde_json::to_value(&parsed).unwrap(), wire);
        let ok = serde_json::to_value(ActionGroupResponse::text("weather", "forecast", "sunny"))
            .unwrap();
        assert_eq!(
            ok["response"]["functionResponse"],
            json!({ "responseBody": { "TEXT": { "body": "sunny" } } })
        );
    }
}

//! A tool call as the handler sees it: the event's text parameters turned
//! into typed JSON values by their declared types.

use pika_ports::action_group::{ActionGroupEvent, Parameter};
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;
use std::fmt;

/// One call of the tool.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// The action group (the tool's name).
    pub action_group: String,
    /// The function the model called.
    pub function: String,
    /// The arguments, typed by their declared types.
    pub arguments: Map<String, Value>,
    /// The chat session.
    pub session_id: String,
    /// Session attributes: userId, chatAppId, agentId, sessionId,
    /// currentDate, messageId, uploadPrefix and the user's custom data.
    pub session_attributes: BTreeMap<String, String>,
    /// What the user said, when the caller sends it.
    pub input_text: String,
}

/// Why a call failed, as the agent is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolError {
    /// The input is unusable; the model should ask again differently
    /// (`REPROMPT`).
    Reprompt(String),
    /// The tool failed (`FAILURE`).
    Failure(String),
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reprompt(m) => write!(f, "unusable input: {m}"),
            Self::Failure(m) => write!(f, "the tool failed: {m}"),
        }
    }
}

impl std::error::Error for ToolError {}

impl ToolCall {
    /// The call an event stands for.
    ///
    /// # Errors
    /// `Reprompt` when a parameter's value does not fit its declared type.
    pub fn from_event(event: ActionGroupEvent) -> Result<Self, ToolError> {
        let arguments = event
            .parameters
            .iter()
            .map(|p| typed(p).map(|v| (p.name.clone(), v)))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            action_group: event.action_group,
            function: event.function,
            arguments,
            session_id: event.session_id,
            session_attributes: event.session_attributes,
            input_text: event.input_text,
        })
    }

    /// `key` when it names one of this session's uploads (it starts with
    /// the `uploadPrefix` session attribute and climbs no directory): open
    /// files only through it. The model chooses the arguments, and a prompt
    /// injected into it may name another user's file.
    ///
    /// # Errors
    /// `Reprompt` for any other key, or when the call carries no prefix.
    pub fn session_file<'k>(&self, key: &'k str) -> Result<&'k str, ToolError> {
        let refused = || {
            ToolError::Reprompt(format!(
                "'{key}' is not a file uploaded to this conversation"
            ))
        };
        let prefix = self
            .session_attributes
            .get("uploadPrefix")
            .filter(|p| p.starts_with("uploads/") && p.ends_with('/'))
            .ok_or_else(refused)?;
        let rest = key.strip_prefix(prefix.as_str()).ok_or_else(refused)?;
        if rest.is_empty()
            || rest
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(refused());
        }
        Ok(key)
    }

    /// The arguments as `T` (field names as the function's schema names
    /// its parameters).
    ///
    /// # Errors
    /// `Reprompt` naming what does not fit (a missing or mistyped argument).
    pub fn args<T: DeserializeOwned>(&self) -> Result<T, ToolError> {
        serde_json::from_value(Value::Object(self.arguments.clone()))
            .map_err(|e| ToolError::Reprompt(format!("arguments: {e}")))
    }
}

/// A parameter's text value as the JSON value of its declared type.
fn typed(p: &Parameter) -> Result<Value, ToolError> {
    let wrong = || {
        ToolError::Reprompt(format!(
            "parameter '{}' is not a valid {}: {:?}",
            p.name, p.kind, p.value
        ))
    };
    let text = p.value.trim();
    match p.kind.as_str() {
        "integer" => text
            .parse::<i64>()
            .map(|i| Value::Number(i.into()))
            .map_err(|_| wrong()),
        "number" => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(wrong),
        "boolean" => match text.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(wrong()),
        },
        "array" => match serde_json::from_str::<Value>(text) {
            Ok(v @ Value::Array(_)) => Ok(v),
            _ => Err(wrong()),
        },
        // `string`, and types Bedrock may add later, stay text.
        _ => Ok(Value::String(p.value.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(prefix: Option<&str>) -> ToolCall {
        ToolCall {
            action_group: "files".to_string(),
            function: "read".to_string(),
            arguments: Map::new(),
            session_id: "s".to_string(),
            session_attributes: prefix
                .map(|p| ("uploadPrefix".to_string(), p.to_string()))
                .into_iter()
                .collect(),
            input_text: String::new(),
        }
    }

    #[test]
    fn only_this_sessions_uploads_may_be_opened() {
        let c = call(Some("uploads/alice/s1/"));
        assert_eq!(
            c.session_file("uploads/alice/s1/f1/report.pdf").unwrap(),
            "uploads/alice/s1/f1/report.pdf"
        );
        for other in [
            "uploads/bob/s9/f1/secret.pdf",
            "uploads/alice/s2/f1/report.pdf",
            "uploads/alice/s1/../../bob/s9/f1/x",
            "uploads/alice/s1/",
            "uploads/alice/s1//x",
            "session-insights/app/alice/s1.json",
            "uploads/alice/s10/f1/x",
        ] {
            assert!(c.session_file(other).is_err(), "{other}");
        }
        assert!(call(None).session_file("uploads/alice/s1/f1/x").is_err());
        assert!(call(Some(""))
            .session_file("uploads/alice/s1/f1/x")
            .is_err());
    }
}

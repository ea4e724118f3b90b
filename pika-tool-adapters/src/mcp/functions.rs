//! An MCP server's tools as Pika functions: the name, the description, the
//! input schema's properties as parameters (Bedrock's five at most: the
//! required ones first, then optional ones while room is left), and
//! `requireConfirmation` where the server says a tool is destructive. A
//! tool Pika cannot offer (a name outside Bedrock's pattern, more than five
//! required parameters) is left out, with a warning.

use pika_domain::ids::ToolName;
use pika_domain::tool::{
    FunctionSchema, ParameterSchema, ParameterType, MAX_DESCRIPTION_CHARS, MAX_PARAMETERS,
};
use rmcp::model::Tool as McpTool;
use serde_json::Value;
use std::collections::BTreeMap;

/// The functions of `tools`, in the server's order.
pub(super) fn of_server(tools: &[McpTool]) -> Vec<FunctionSchema> {
    tools.iter().filter_map(function).collect()
}

fn function(tool: &McpTool) -> Option<FunctionSchema> {
    let Ok(name) = ToolName::parse(tool.name.as_ref()) else {
        tracing::warn!(tool = %tool.name, "an MCP tool's name is not a function name; left out");
        return None;
    };
    let described = tool
        .description
        .as_deref()
        .or(tool.title.as_deref())
        .filter(|d| !d.trim().is_empty())
        .unwrap_or(tool.name.as_ref());
    let Some(parameters) = parameters(&tool.input_schema) else {
        tracing::warn!(tool = %tool.name, "an MCP tool needs more than {MAX_PARAMETERS} parameters; left out");
        return None;
    };
    let destructive = tool
        .annotations
        .as_ref()
        .is_some_and(|a| a.read_only_hint != Some(true) && a.destructive_hint == Some(true));
    Some(FunctionSchema {
        name,
        description: clipped(described),
        parameters,
        require_confirmation: destructive,
    })
}

/// Text under the domain's description limit.
fn clipped(text: &str) -> String {
    text.trim()
        .chars()
        .take(MAX_DESCRIPTION_CHARS - 1)
        .collect()
}

/// The schema's properties as parameters; `None` when more are required
/// than a function may have.
fn parameters(
    schema: &serde_json::Map<String, Value>,
) -> Option<BTreeMap<String, ParameterSchema>> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut ordered: Vec<(&String, &Value)> = properties.iter().collect();
    // Required first; otherwise the server's (alphabetical) order.
    ordered.sort_by_key(|(name, _)| !required.contains(&name.as_str()));
    if ordered
        .iter()
        .filter(|(name, _)| required.contains(&name.as_str()))
        .count()
        > MAX_PARAMETERS
    {
        return None;
    }
    Some(
        ordered
            .into_iter()
            .take(MAX_PARAMETERS)
            .map(|(name, property)| {
                let kind = match property.get("type").and_then(Value::as_str) {
                    Some("number") => ParameterType::Number,
                    Some("integer") => ParameterType::Integer,
                    Some("boolean") => ParameterType::Boolean,
                    Some("array") => ParameterType::Array,
                    _ => ParameterType::String,
                };
                let description = property
                    .get("description")
                    .and_then(Value::as_str)
                    .map(clipped)
                    .unwrap_or_default();
                let parameter = ParameterSchema {
                    kind,
                    description,
                    required: required.contains(&name.as_str()),
                };
                (name.clone(), parameter)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn tool(name: &str, schema: Value) -> McpTool {
        let Value::Object(schema) = schema else {
            panic!("an object")
        };
        McpTool::new(name.to_string(), "Does things", Arc::new(schema))
    }

    #[test]
    fn required_parameters_come_first_and_at_most_five_are_kept() {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": { "type": "string" }, "b": { "type": "integer", "description": "B" },
                "c": { "type": "boolean" }, "d": { "type": "array" }, "e": { "type": "object" },
                "z": { "type": "number" },
            },
            "required": ["z"],
        });
        let f = function(&tool("lookup", schema)).expect("offered");
        assert_eq!(f.parameters.len(), 5);
        assert!(f.parameters["z"].required);
        assert_eq!(f.parameters["z"].kind, ParameterType::Number);
        assert_eq!(f.parameters["b"].description, "B");
        assert!(
            !f.parameters.contains_key("e"),
            "the last optional one did not fit"
        );
    }

    #[test]
    fn unusable_tools_are_left_out() {
        assert!(function(&tool("has space", json!({ "type": "object" }))).is_none());
        let six: serde_json::Map<String, Value> = (0..6)
            .map(|i| (format!("p{i}"), json!({ "type": "string" })))
            .collect();
        let names: Vec<String> = six.keys().cloned().collect();
        let schema = json!({ "type": "object", "properties": six, "required": names });
        assert!(function(&tool("wide", schema)).is_none());
    }
}

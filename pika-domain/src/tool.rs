//! Tools and their function schemas (PIKA.md §5), with the validation an
//! admin change must pass.

pub mod http;
pub mod output;

use crate::ids::{InvalidId, ToolId, ToolName, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// Most parameters Bedrock allows per function.
pub const MAX_PARAMETERS: usize = 5;
/// Descriptions must be shorter than this many characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// How a tool runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionType {
    /// A Lambda function tagged `agent-tool=true`.
    Lambda,
    /// An HTTP endpoint ([`Tool::http`]).
    Http,
    /// A function registered in-process by the embedding service.
    Inline,
    /// A tool of an MCP server over streamable HTTP ([`Tool::mcp`]).
    Mcp,
}

/// The JSON type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParameterType {
    /// A string.
    String,
    /// A number.
    Number,
    /// An integer.
    Integer,
    /// `true` / `false`.
    Boolean,
    /// A list.
    Array,
}

/// One parameter of a function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParameterSchema {
    /// Its JSON type.
    #[serde(rename = "type")]
    pub kind: ParameterType,
    /// What it means, for the model.
    #[serde(default)]
    pub description: String,
    /// Whether the model must supply it.
    #[serde(default)]
    pub required: bool,
}

/// One function a tool offers to the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionSchema {
    /// Function name (Bedrock's pattern).
    pub name: ToolName,
    /// What it does, for the model.
    pub description: String,
    /// Parameters by name; at most [`MAX_PARAMETERS`].
    #[serde(default)]
    pub parameters: BTreeMap<String, ParameterSchema>,
    /// Whether a person must confirm before it runs.
    #[serde(default)]
    pub require_confirmation: bool,
}

/// A tool definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    /// Its id.
    pub tool_id: ToolId,
    /// Its name as the model sees it (the action group name).
    pub name: ToolName,
    /// Shown to people.
    pub display_name: String,
    /// What it does; under 500 characters.
    pub description: String,
    /// How it runs.
    pub execution_type: ExecutionType,
    /// For `lambda` tools: the function's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_arn: Option<String>,
    /// For `http` tools: the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<http::HttpEndpoint>,
    /// For `mcp` tools: the MCP server's streamable-HTTP endpoint (`url`,
    /// `headers` as for `http` tools; `method` is POST). Each function of
    /// `functionSchema` calls the server's tool of the same name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<http::HttpEndpoint>,
    /// Longest one call may take, in milliseconds; the site default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_timeout_ms: Option<u64>,
    /// The functions it offers.
    pub function_schema: Vec<FunctionSchema>,
    /// Optimistic-concurrency version.
    #[serde(default)]
    pub version: u64,
    /// When it was created (set by the platform; clients may omit it).
    #[serde(default)]
    pub created_at: DateTime<Utc>,
    /// When it was last changed (set by the platform; clients may omit it).
    #[serde(default)]
    pub updated_at: DateTime<Utc>,
    /// Who last changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<UserId>,
}

/// Why a tool definition is rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidTool {
    /// A name does not match Bedrock's pattern.
    #[error(transparent)]
    Name(#[from] InvalidId),
    /// A description is empty or too long.
    #[error("{what} description must be 1 to 499 characters")]
    Description {
        /// Which description.
        what: String,
    },
    /// An `http` tool's endpoint is missing or wrong.
    #[error("invalid http endpoint: {0}")]
    Http(String),
    /// The execution type is not supported yet.
    #[error("execution type '{0}' is not supported yet; use 'lambda', 'inline' or 'http'")]
    UnsupportedExecutionType(&'static str),
    /// A lambda tool without an ARN, or an ARN on a non-lambda tool.
    #[error("lambda tools need lambdaArn (an arn:aws:lambda ARN); other tools must not set it")]
    LambdaArn,
    /// A function has too many parameters.
    #[error("function '{function}' has {count} parameters; at most 5 are allowed")]
    TooManyParameters {
        /// The function.
        function: String,
        /// How many it has.
        count: usize,
    },
    /// A parameter name is invalid.
    #[error("function '{function}' has an invalid parameter name '{parameter}'")]
    ParameterName {
        /// The function.
        function: String,
        /// The parameter.
        parameter: String,
    },
    /// No functions, or two functions with one name.
    #[error("a tool needs at least one function, each with a distinct name")]
    Functions,
    /// A zero timeout.
    #[error("executionTimeoutMs must be greater than zero")]
    Timeout,
}

fn check_description(what: impl Into<String>, text: &str) -> Result<(), InvalidTool> {
    let len = text.trim().chars().count();
    if len == 0 || len >= MAX_DESCRIPTION_CHARS {
        return Err(InvalidTool::Description { what: what.into() });
    }
    Ok(())
}

impl Tool {
    /// Checks the rules of PIKA.md §5.
    ///
    /// # Errors
    /// [`InvalidTool`] naming the first broken rule.
    pub fn validate(&self) -> Result<(), InvalidTool> {
        check_description("tool", &self.description)?;
        match self.execution_type {
            ExecutionType::Http => {
                let endpoint = self.http.as_ref().ok_or(InvalidTool::Http(
                    "http tools need http: {url, method, headers}".to_string(),
                ))?;
                endpoint.validate().map_err(InvalidTool::Http)?;
                if self.lambda_arn.is_some() {
                    return Err(InvalidTool::LambdaArn);
                }
            }
            ExecutionType::Mcp => {
                let endpoint = self.mcp.as_ref().ok_or(InvalidTool::Http(
                    "mcp tools need mcp: {url, headers}".to_string(),
                ))?;
                endpoint.validate().map_err(InvalidTool::Http)?;
                if self.lambda_arn.is_some() {
                    return Err(InvalidTool::LambdaArn);
                }
            }
            ExecutionType::Lambda => {
                let ok = self
                    .lambda_arn
                    .as_deref()
                    .is_some_and(|arn| arn.starts_with("arn:aws:lambda:"));
                if !ok {
                    return Err(InvalidTool::LambdaArn);
                }
            }
            ExecutionType::Inline => {
                if self.lambda_arn.is_some() {
                    return Err(InvalidTool::LambdaArn);
                }
            }
        }
        if self.http.is_some() && self.execution_type != ExecutionType::Http {
            return Err(InvalidTool::Http(
                "only http tools may set http".to_string(),
            ));
        }
        if self.mcp.is_some() && self.execution_type != ExecutionType::Mcp {
            return Err(InvalidTool::Http("only mcp tools may set mcp".to_string()));
        }
        if self.execution_timeout_ms == Some(0) {
            return Err(InvalidTool::Timeout);
        }
        if self.function_schema.is_empty() {
            return Err(InvalidTool::Functions);
        }
        let mut names = std::collections::BTreeSet::new();
        for function in &self.function_schema {
            if !names.insert(function.name.as_str()) {
                return Err(InvalidTool::Functions);
            }
            function.validate()?;
        }
        Ok(())
    }
}

impl FunctionSchema {
    /// Checks the function's description and parameters.
    ///
    /// # Errors
    /// [`InvalidTool`] naming the first broken rule.
    pub fn validate(&self) -> Result<(), InvalidTool> {
        check_description(format!("function '{}'", self.name), &self.description)?;
        if self.parameters.len() > MAX_PARAMETERS {
            return Err(InvalidTool::TooManyParameters {
                function: self.name.to_string(),
                count: self.parameters.len(),
            });
        }
        for (name, param) in &self.parameters {
            if ToolName::parse(name.clone()).is_err() {
                return Err(InvalidTool::ParameterName {
                    function: self.name.to_string(),
                    parameter: name.clone(),
                });
            }
            if param.description.chars().count() >= MAX_DESCRIPTION_CHARS {
                return Err(InvalidTool::Description {
                    what: format!("parameter '{name}'"),
                });
            }
        }
        Ok(())
    }

    /// The parameters as a JSON Schema object, the shape model APIs expect.
    pub fn json_schema(&self) -> serde_json::Value {
        let mut properties = serde_json::Map::new();
        let mut required = Vec::new();
        for (name, p) in &self.parameters {
            let kind = match p.kind {
                ParameterType::String => "string",
                ParameterType::Number => "number",
                ParameterType::Integer => "integer",
                ParameterType::Boolean => "boolean",
                ParameterType::Array => "array",
            };
            properties.insert(
                name.clone(),
                serde_json::json!({ "type": kind, "description": p.description }),
            );
            if p.required {
                required.push(serde_json::Value::String(name.clone()));
            }
        }
        serde_json::json!({ "type": "object", "properties": properties, "required": required })
    }
}

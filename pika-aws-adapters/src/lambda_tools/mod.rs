//! [`LambdaToolInvoker`]: the [`ToolInvoker`] port for `lambda` tools
//! (PIKA.md §5, §12). A call is a synchronous Lambda `Invoke` of the tool's
//! function with the Bedrock action group event ([`event`]), so the same
//! function serves Bedrock agents and Pika; the answer's text is the tool's
//! output.
//!
//! Only functions tagged `agent-tool=true` run (checked with `ListTags`,
//! remembered per function; on by default). Errors:
//!
//! | what happened | port error |
//! |---|---|
//! | not a lambda tool, no ARN, untagged, function threw (`FunctionError`), `responseState: FAILURE`, not an action group response, access denied | `Permanent` |
//! | `responseState: REPROMPT`, input not a JSON object | `Invalid` |
//! | no such function | `NotFound` |
//! | throttled (`TooManyRequestsException`), function not ready, timeouts, 5xx | `Transient` |
//!
//! The service bounds each call with the tool's timeout; this invoker adds
//! none of its own.

/// The event and response shapes, shared with tool functions.
pub use pika_ports::action_group as event;
mod mapping;
mod tag_gate;

pub use tag_gate::{TOOL_TAG_KEY, TOOL_TAG_VALUE};

use crate::aws::{classify, SdkConfig};
use async_trait::async_trait;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use aws_sdk_lambda::Client;
use pika_domain::tool::ExecutionType;
use pika_ports::{ErrorKind, PortError, PortResult, ToolInvocation, ToolInvoker};
use serde_json::Value;
use std::time::Duration;
use tag_gate::TagGate;

/// How the invoker guards and caches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaToolsConfig {
    /// Refuse functions not tagged `agent-tool=true` (default on).
    pub require_tag: bool,
    /// How long a function's tagging is remembered (default 5 minutes).
    pub tag_cache_ttl: Duration,
}

impl Default for LambdaToolsConfig {
    fn default() -> Self {
        Self {
            require_tag: true,
            tag_cache_ttl: Duration::from_secs(300),
        }
    }
}

/// A [`ToolInvoker`] running `lambda` tools.
#[derive(Debug)]
pub struct LambdaToolInvoker {
    client: Client,
    gate: Option<TagGate>,
}

/// Lambda answers that mean "not now" rather than "never": the function is
/// being updated or is still starting.
const LAMBDA_TRANSIENT_CODES: &[&str] = &["ResourceConflictException", "ResourceNotReadyException"];

impl LambdaToolInvoker {
    /// An invoker with a Lambda client built from `sdk`.
    pub fn new(sdk: &SdkConfig, config: LambdaToolsConfig) -> Self {
        Self::with_client(Client::new(sdk), config)
    }

    /// An invoker using `client` as it is.
    pub fn with_client(client: Client, config: LambdaToolsConfig) -> Self {
        Self {
            client,
            gate: config
                .require_tag
                .then(|| TagGate::new(config.tag_cache_ttl)),
        }
    }

    /// The function ARN of a lambda tool.
    fn arn_of(call: &ToolInvocation) -> PortResult<&str> {
        if call.tool.execution_type != ExecutionType::Lambda {
            return Err(PortError::permanent(format!(
                "tool '{}' is not a lambda tool; this invoker runs only lambda tools",
                call.tool.tool_id
            )));
        }
        call.tool.lambda_arn.as_deref().ok_or_else(|| {
            PortError::permanent(format!(
                "lambda tool '{}' has no lambdaArn",
                call.tool.tool_id
            ))
        })
    }
}

#[async_trait]
impl ToolInvoker for LambdaToolInvoker {
    fn kinds(&self) -> Vec<pika_domain::tool::ExecutionType> {
        use pika_domain::tool::ExecutionType;
        vec![ExecutionType::Lambda]
    }

    async fn invoke(&self, call: ToolInvocation) -> PortResult<Value> {
        let arn = Self::arn_of(&call)?;
        let event = mapping::event_for(&call)?;
        if let Some(gate) = &self.gate {
            gate.check(&self.client, arn).await?;
        }
        let payload = serde_json::to_vec(&event)
            .map_err(|e| PortError::permanent(format!("tool event: {e}")).with_source(e))?;
        let out = self
            .client
            .invoke()
            .function_name(arn)
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(payload))
            .send()
            .await
            .map_err(|e| {
                let not_now = e
                    .as_service_error()
                    .and_then(|s| aws_sdk_lambda::error::ProvideErrorMetadata::code(s))
                    .is_some_and(|code| LAMBDA_TRANSIENT_CODES.contains(&code));
                let mut err = classify("lambda Invoke", e);
                if not_now {
                    err.kind = ErrorKind::Transient;
                }
                err
            })?;
        let body = out.payload().map(Blob::as_ref).unwrap_or_default();
        mapping::output_of(call.function.as_str(), body, out.function_error())
    }
}

//! One event in, one response out: the part of [`super::run`] a test can
//! call in-process.

use super::call::{ToolCall, ToolError};
use pika_ports::action_group::{ActionGroupEvent, ActionGroupResponse, ResponseState};
use serde::Serialize;
use serde_json::Value;
use std::future::Future;

/// Answers `event` with `handler`: the result as the response body (a
/// string as it is, anything else as JSON), an error as a `FAILURE` or
/// `REPROMPT` response with its message.
pub async fn handle<F, Fut, O>(handler: &F, event: ActionGroupEvent) -> ActionGroupResponse
where
    F: Fn(ToolCall) -> Fut,
    Fut: Future<Output = Result<O, ToolError>>,
    O: Serialize,
{
    let (group, function) = (event.action_group.clone(), event.function.clone());
    let result = match ToolCall::from_event(event) {
        Ok(call) => handler(call).await,
        Err(e) => Err(e),
    };
    let body = result.and_then(|output| match serde_json::to_value(output) {
        Ok(Value::String(text)) => Ok(text),
        Ok(other) => Ok(other.to_string()),
        Err(e) => Err(ToolError::Failure(format!("the result is not JSON: {e}"))),
    });
    match body {
        Ok(text) => ActionGroupResponse::text(&group, &function, text),
        Err(error) => {
            let (state, message) = match error {
                ToolError::Reprompt(m) => (ResponseState::Reprompt, m),
                ToolError::Failure(m) => (ResponseState::Failure, m),
            };
            tracing::warn!(action_group = %group, function = %function, ?state, %message, "tool call failed");
            let mut response = ActionGroupResponse::text(&group, &function, message);
            response.response.function_response.response_state = Some(state);
            response
        }
    }
}

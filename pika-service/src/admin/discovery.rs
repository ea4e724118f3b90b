//! Tools whose functions the tool itself can list (an MCP server's
//! `tools/list`): an admin who saves one without functions gets them
//! discovered, and saving it again without functions discovers them anew.

use super::AdminService;
use crate::error::ServiceError;
use pika_domain::tool::Tool;
use pika_ports::ErrorKind;

impl AdminService {
    /// `tool` with its functions discovered when it declares none and its
    /// kind can list them; else as it is.
    pub(super) async fn with_discovered_functions(
        &self,
        mut tool: Tool,
    ) -> Result<Tool, ServiceError> {
        if !tool.function_schema.is_empty() {
            return Ok(tool);
        }
        // A kind this deployment cannot run is refused as such first.
        self.runtime_accepts(None, std::slice::from_ref(&tool))?;
        let found = self
            .ports
            .tool_invoker
            .discover(&tool)
            .await
            .map_err(|e| match e.kind {
                ErrorKind::Transient => ServiceError::Internal {
                    message: format!("the tool's functions could not be listed: {}", e.message),
                    retryable: true,
                },
                _ => ServiceError::Invalid(format!(
                    "the tool's functions could not be listed: {}",
                    e.message
                )),
            })?;
        match found {
            Some(functions) if functions.is_empty() => Err(ServiceError::Invalid(
                "the tool's server offers no function Pika can use".to_string(),
            )),
            Some(functions) => {
                tool.function_schema = functions;
                Ok(tool)
            }
            // Declared kinds: validation says what is missing.
            None => Ok(tool),
        }
    }
}

//! Bedrock failures as the model ports name them: before the stream (an
//! HTTP error answer) and inside it (an exception event, or a connection
//! that broke off).

use crate::aws::{classify, kind_of_code};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::event_stream::RawMessage;
use pika_ports::{ErrorKind, PortError};
use std::error::Error;

/// Codes Bedrock uses that mean something else here than in the shared
/// table: a conflict is two calls on one agent session at once (it clears
/// when the other call ends), and a model stream error is the model failing
/// mid-answer.
const BEDROCK_TRANSIENT_CODES: &[&str] = &["ConflictException", "ModelStreamErrorException"];

/// The error of a call Bedrock refused before any event.
pub(super) fn call_error<E>(what: &str, err: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    let code = err.code().map(str::to_string);
    let mut error = classify(what, err);
    if let Some(kind) = code.as_deref().and_then(bedrock_kind) {
        error.kind = kind;
    }
    error.kind = as_model_kind(error.kind);
    error
}

/// The error of a stream that failed: an exception event (its kind from
/// `:exception-type`), or a transport failure, which is always `Transient`
/// (the connection dropped or the body was cut).
pub(super) fn stream_error<E>(what: &str, err: SdkError<E, RawMessage>) -> PortError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let code = exception_type(service.raw())
                .or_else(|| service.err().code().map(str::to_string))
                .unwrap_or_else(|| "UnknownException".to_string());
            let message = service.err().message().unwrap_or("no message").to_string();
            let kind = kind_of_exception(&code);
            PortError::new(kind, format!("{what}: {code}: {message}"))
        }
        SdkError::ConstructionFailure(_) => PortError::permanent(format!(
            "{what}: {}",
            aws_smithy_types::error::display::DisplayErrorContext(&err)
        )),
        _ => PortError::transient(format!(
            "{what}: the stream broke off: {}",
            aws_smithy_types::error::display::DisplayErrorContext(&err)
        )),
    }
}

/// The port kind of an exception named `code` (either spelling: the stream
/// says `throttlingException`, HTTP answers `ThrottlingException`).
/// Unknown codes are `Permanent`: retrying blindly could repeat a cost.
pub(super) fn kind_of_exception(code: &str) -> ErrorKind {
    let code = pascal_case(code);
    bedrock_kind(&code)
        .or_else(|| kind_of_code(&code))
        .map(as_model_kind)
        .unwrap_or(ErrorKind::Permanent)
}

/// Whether Bedrock's message says the agent ran out of iterations (its own
/// bound on orchestration steps; it comes as an exception or a failure trace).
pub(super) fn is_max_iterations(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("max iterations") || lower.contains("maximum iterations")
}

fn bedrock_kind(code: &str) -> Option<ErrorKind> {
    BEDROCK_TRANSIENT_CODES
        .contains(&code)
        .then_some(ErrorKind::Transient)
}

/// The model ports know no `NotFound`: an unknown model, agent or guardrail
/// is misconfiguration.
fn as_model_kind(kind: ErrorKind) -> ErrorKind {
    match kind {
        ErrorKind::NotFound | ErrorKind::Conflict => ErrorKind::Permanent,
        other => other,
    }
}

fn exception_type(raw: &RawMessage) -> Option<String> {
    let RawMessage::Decoded(message) = raw else {
        return None;
    };
    message
        .headers()
        .iter()
        .find(|h| h.name().as_str() == ":exception-type")
        .and_then(|h| h.value().as_string().ok())
        .map(|s| s.as_str().to_string())
}

fn pascal_case(code: &str) -> String {
    let mut chars = code.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_exception_names_map_to_kinds() {
        let cases = [
            ("throttlingException", ErrorKind::Transient),
            ("serviceQuotaExceededException", ErrorKind::Transient),
            ("modelNotReadyException", ErrorKind::Transient),
            ("internalServerException", ErrorKind::Transient),
            ("dependencyFailedException", ErrorKind::Transient),
            ("badGatewayException", ErrorKind::Transient),
            ("conflictException", ErrorKind::Transient),
            ("modelStreamErrorException", ErrorKind::Transient),
            ("validationException", ErrorKind::Invalid),
            ("accessDeniedException", ErrorKind::Permanent),
            ("resourceNotFoundException", ErrorKind::Permanent),
            ("somethingNewException", ErrorKind::Permanent),
        ];
        for (code, kind) in cases {
            assert_eq!(kind_of_exception(code), kind, "{code}");
        }
    }

    #[test]
    fn max_iterations_is_recognised_in_either_wording() {
        assert!(is_max_iterations("Max iterations exceeded"));
        assert!(is_max_iterations("reached the maximum iterations allowed"));
        assert!(!is_max_iterations("Too many requests"));
    }
}

//! How HTTP and transport failures of an OpenAI-compatible server become
//! [`PortError`]s of the kinds the model ports name.

use pika_ports::{ErrorKind, PortError};
use serde_json::Value;

/// Longest server message quoted in an error.
const MAX_QUOTED_CHARS: usize = 300;

/// The kind of a failure answered with HTTP `status`.
pub(super) fn kind_of_status(status: u16) -> ErrorKind {
    match status {
        408 | 409 | 425 | 429 => ErrorKind::Transient,
        500..=599 => ErrorKind::Transient,
        400 | 413 | 422 => ErrorKind::Invalid,
        _ => ErrorKind::Permanent,
    }
}

/// The error of an HTTP `status` answer with `body`, for a call to `model`
/// at `url`.
pub(super) fn status_error(status: u16, body: &str, model: Option<&str>, url: &str) -> PortError {
    let said = server_message(body);
    let said = if said.is_empty() {
        String::new()
    } else {
        format!(": {said}")
    };
    let message = match (status, model) {
        (404, Some(model)) => format!(
            "{url} answered 404{said} (usually the model '{model}' is unknown to the server: \
             pull or load it, or set model_override; otherwise base_url lacks its /v1 suffix)"
        ),
        (404, None) => {
            format!("{url} answered 404{said} (is base_url right, with its /v1 suffix?)")
        }
        (401 | 403, _) => format!("{url} refused the credentials ({status}){said}; check api_key"),
        (429, _) => format!("{url} is throttling (429){said}"),
        (500..=599, _) => format!("{url} is unavailable ({status}){said}"),
        _ => format!("{url} refused the request ({status}){said}"),
    };
    PortError::new(kind_of_status(status), message)
}

/// The error of a request to `url` that got no HTTP answer.
pub(super) fn transport_error(error: reqwest::Error, url: &str) -> PortError {
    let (kind, message) = if error.is_builder() {
        (
            ErrorKind::Permanent,
            format!("cannot build a request to {url}: check base_url"),
        )
    } else if error.is_connect() {
        (
            ErrorKind::Transient,
            format!("cannot connect to {url}: is the model server running?"),
        )
    } else if error.is_timeout() {
        (
            ErrorKind::Transient,
            format!("{url} did not answer in time"),
        )
    } else if error.is_decode() {
        (
            ErrorKind::Permanent,
            format!("{url} answered with a body that is not an OpenAI chat-completions response"),
        )
    } else {
        (ErrorKind::Transient, format!("the request to {url} failed"))
    };
    PortError::new(kind, message).with_source(error)
}

/// The message of an error body: OpenAI's `{"error": {"message"}}`,
/// Ollama's `{"error": "..."}`, `{"message"}`, or the start of the text.
pub(super) fn server_message(body: &str) -> String {
    let from_json = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        let error = v.get("error");
        error
            .and_then(|e| e.get("message"))
            .or(error)
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"))
            .map(|m| match m {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
    });
    let text = from_json.unwrap_or_else(|| body.trim().to_string());
    truncate(&text, MAX_QUOTED_CHARS)
}

/// The kind of an error object the server sent inside the stream.
pub(super) fn stream_error(error: &Value) -> PortError {
    let code = error
        .get("code")
        .and_then(|c| {
            c.as_u64()
                .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
        })
        .and_then(|c| u16::try_from(c).ok());
    let kind = code.map_or(ErrorKind::Transient, kind_of_status);
    let said = server_message(&serde_json::json!({ "error": error }).to_string());
    PortError::new(
        kind,
        format!("the model server reported an error mid-stream: {said}"),
    )
}

/// `text` cut to at most `max` characters, with an ellipsis when cut.
pub(super) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_port_kinds() {
        for (status, kind) in [
            (429, ErrorKind::Transient),
            (500, ErrorKind::Transient),
            (503, ErrorKind::Transient),
            (400, ErrorKind::Invalid),
            (413, ErrorKind::Invalid),
            (422, ErrorKind::Invalid),
            (401, ErrorKind::Permanent),
            (403, ErrorKind::Permanent),
            (404, ErrorKind::Permanent),
        ] {
            assert_eq!(kind_of_status(status), kind, "{status}");
        }
    }

    #[test]
    fn server_messages_are_found_in_every_shape() {
        assert_eq!(
            server_message(r#"{"error":{"message":"too long"}}"#),
            "too long"
        );
        assert_eq!(
            server_message(r#"{"error":"model not found"}"#),
            "model not found"
        );
        assert_eq!(server_message("  plain text "), "plain text");
        assert_eq!(server_message(&"x".repeat(400)).chars().count(), 301);
    }
}

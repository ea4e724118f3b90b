//! Pika's text protocol (compatible with Pika's front end): answer text as
//! it is, platform events as inline `<trace>{json}</trace>`, `<heartbeat/>`
//! every 15 s, and a final `<pika-metadata>{json}</pika-metadata>`. Custom
//! tags in the model's text (`<answer>`, `<pika.chart>`, …) pass untouched.

use bytes::Bytes;
use pika_domain::stream::{SequencedEvent, TurnEvent};
use serde_json::{json, Value};

/// The heartbeat tag.
pub const HEARTBEAT: &[u8] = b"<heartbeat/>";

/// One event in Pika text; `None` for the `session` event (its ids travel in
/// the `x-chatbot-session-id` header and the final metadata).
pub fn encode(e: &SequencedEvent) -> Option<Bytes> {
    match &e.event {
        TurnEvent::Session { .. } => None,
        TurnEvent::Delta { text } => Some(Bytes::from(text.clone())),
        TurnEvent::Done { .. } | TurnEvent::Error { .. } => {
            Some(tagged("pika-metadata", metadata(&e.event)))
        }
        other => Some(tagged("trace", with_type(other))),
    }
}

fn with_type(event: &TurnEvent) -> Value {
    let mut data = event.data();
    if let Value::Object(map) = &mut data {
        map.insert("type".to_string(), Value::String(event.name().to_string()));
    }
    data
}

fn metadata(event: &TurnEvent) -> Value {
    match event {
        TurnEvent::Error { code, message } => {
            json!({ "error": { "code": code, "message": message } })
        }
        other => other.data(),
    }
}

fn tagged(tag: &str, value: Value) -> Bytes {
    Bytes::from(format!("<{tag}>{value}</{tag}>"))
}

/// What a Pika-text body holds, read back as a client would.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parsed {
    /// The answer text, tags removed.
    pub text: String,
    /// The `<trace>` payloads, in order.
    pub traces: Vec<Value>,
    /// The `<pika-metadata>` payload.
    pub metadata: Option<Value>,
    /// How many heartbeats.
    pub heartbeats: usize,
}

/// Reads a Pika-text body back. Tags other than Pika's own are left in the text.
pub fn parse(body: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut rest = body;
    loop {
        let next = [
            ("<trace>", "</trace>"),
            ("<pika-metadata>", "</pika-metadata>"),
            ("<heartbeat/>", ""),
        ]
        .iter()
        .filter_map(|(open, close)| rest.find(open).map(|i| (i, *open, *close)))
        .min_by_key(|(i, _, _)| *i);
        let Some((at, open, close)) = next else {
            out.text.push_str(rest);
            return out;
        };
        out.text.push_str(&rest[..at]);
        let after = &rest[at + open.len()..];
        if close.is_empty() {
            out.heartbeats += 1;
            rest = after;
            continue;
        }
        let Some(end) = after.find(close) else {
            out.text.push_str(&rest[at..]);
            return out;
        };
        let value = serde_json::from_str(&after[..end]).unwrap_or(Value::Null);
        if open == "<trace>" {
            out.traces.push(value);
        } else {
            out.metadata = Some(value);
        }
        rest = &after[end + close.len()..];
    }
}

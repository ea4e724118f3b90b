//! Pika's text protocol (compatible with Pika's front end): answer text as
//! it is, platform events as inline `<trace>{json}</trace>`, `<heartbeat/>`
//! every 15 s, and a final `<pika-metadata>{json}</pika-metadata>`. Custom
//! tags in the model's text (`<answer>`, `<pika.chart>`, …) pass untouched.
//!
//! Only the platform writes Pika's own frames. Answer text that holds one
//! of their tags (a model or a tool's output repeating one) is escaped
//! (`&lt;trace>`), also when the tag arrives split across deltas (its start
//! is held back until the rest shows it is no tag); JSON inside a frame has
//! its `<` written `\u003c`, so no payload can close its frame.

use bytes::Bytes;
use pika_domain::stream::{SequencedEvent, TurnEvent};
use serde_json::{json, Value};

/// The heartbeat tag.
pub const HEARTBEAT: &[u8] = b"<heartbeat/>";

/// The tags of Pika's own frames, which answer text may not write.
const FRAME_TAGS: [&str; 5] = [
    "<trace>",
    "</trace>",
    "<pika-metadata>",
    "</pika-metadata>",
    "<heartbeat/>",
];

/// One event in Pika text, without escaping across events; see
/// [`Encoder`] for a stream.
pub fn encode(e: &SequencedEvent) -> Option<Bytes> {
    Encoder::default().encode(e)
}

/// Encodes a stream's events: answer text escaped across deltas.
#[derive(Debug, Default)]
pub struct Encoder {
    /// The end of the text so far that may be the start of a frame tag.
    held: String,
}

impl Encoder {
    /// One event; `None` when there is nothing to write yet (the `session`
    /// event, whose ids travel in the `x-chatbot-session-id` header and the
    /// final metadata; or text held back).
    pub fn encode(&mut self, e: &SequencedEvent) -> Option<Bytes> {
        let out = match &e.event {
            TurnEvent::Session { .. } => return None,
            TurnEvent::Delta { text } => return self.text(text).map(Bytes::from),
            TurnEvent::Done { .. } | TurnEvent::Error { .. } => {
                tagged("pika-metadata", metadata(&e.event))
            }
            other => tagged("trace", with_type(other)),
        };
        match self.flush() {
            Some(held) => {
                let mut bytes = held.into_bytes();
                bytes.extend_from_slice(&out);
                Some(Bytes::from(bytes))
            }
            None => Some(out),
        }
    }

    /// A heartbeat, after any text held back.
    pub fn heartbeat(&mut self) -> Bytes {
        match self.flush() {
            Some(held) => Bytes::from(format!(
                "{held}{}",
                std::str::from_utf8(HEARTBEAT).unwrap_or("")
            )),
            None => Bytes::from_static(HEARTBEAT),
        }
    }

    fn text(&mut self, delta: &str) -> Option<String> {
        let mut text = std::mem::take(&mut self.held);
        text.push_str(delta);
        if let Some(at) = text.rfind('<') {
            let tail = &text[at..];
            if FRAME_TAGS
                .iter()
                .any(|t| t.len() > tail.len() && t.starts_with(tail))
            {
                self.held = tail.to_string();
                text.truncate(at);
            }
        }
        let escaped = escape(&text);
        (!escaped.is_empty()).then_some(escaped)
    }

    /// What was held back, written as text (escaped: it is no tag).
    fn flush(&mut self) -> Option<String> {
        let held = std::mem::take(&mut self.held);
        (!held.is_empty()).then(|| held.replacen('<', "&lt;", 1))
    }
}

/// `text` with each frame tag's `<` written `&lt;`.
fn escape(text: &str) -> String {
    let mut out = text.to_string();
    for tag in FRAME_TAGS {
        if out.contains(tag) {
            out = out.replace(tag, &format!("&lt;{}", &tag[1..]));
        }
    }
    out
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
    // `<` inside the JSON as `\u003c`: no string in it can close the frame.
    let json = value.to_string().replace('<', "\\u003c");
    Bytes::from(format!("<{tag}>{json}</{tag}>"))
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

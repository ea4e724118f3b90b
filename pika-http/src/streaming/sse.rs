//! Server-sent events: `id: {assistantMessageId}:{seq}`, `event: {name}`,
//! `data: {json}`; heartbeats are comments.

use bytes::Bytes;
use pika_domain::ids::MessageId;
use pika_domain::stream::{event_id, SequencedEvent};

/// The heartbeat comment.
pub const HEARTBEAT: &[u8] = b": heartbeat\n\n";

/// One event as an SSE frame. The data is one line of JSON (serde_json
/// escapes newlines), so a frame never breaks.
pub fn encode(assistant: MessageId, e: &SequencedEvent) -> Bytes {
    let data = serde_json::to_string(&e.event.data()).unwrap_or_else(|_| "{}".to_string());
    Bytes::from(format!(
        "id: {}\nevent: {}\ndata: {}\n\n",
        event_id(assistant, e.seq),
        e.event.name(),
        data
    ))
}

/// A frame read back from an SSE body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frame {
    /// The `id:` field.
    pub id: Option<String>,
    /// The `event:` field.
    pub event: Option<String>,
    /// The `data:` lines joined with newlines.
    pub data: String,
    /// Whether this was a comment-only frame (a heartbeat).
    pub comment: bool,
}

/// Splits an SSE body into frames (comments included), as a client would.
pub fn parse(body: &str) -> Vec<Frame> {
    let mut frames = Vec::new();
    for block in body.replace("\r\n", "\n").split("\n\n") {
        if block.trim().is_empty() {
            continue;
        }
        let mut frame = Frame::default();
        let mut data: Vec<&str> = Vec::new();
        let mut only_comments = true;
        for line in block.lines() {
            if line.starts_with(':') {
                continue;
            }
            only_comments = false;
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "id" => frame.id = Some(value.to_string()),
                "event" => frame.event = Some(value.to_string()),
                "data" => data.push(value),
                _ => {}
            }
        }
        frame.data = data.join("\n");
        frame.comment = only_comments;
        frames.push(frame);
    }
    frames
}

//! The two encodings of a turn's event stream (PIKA.md §9): SSE (the
//! default) and Pika's text protocol (`Accept: text/plain`), each with a
//! heartbeat every 15 s while the turn runs.

pub mod pika_text;
pub mod sse;

use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt};
use pika_domain::ids::MessageId;
use pika_domain::stream::SequencedEvent;
use std::convert::Infallible;
use std::time::Duration;

/// The heartbeat period of PIKA.md §9.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// How a stream is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `text/event-stream`.
    Sse,
    /// Pika's `text/plain` protocol with inline tags.
    PikaText,
}

impl Encoding {
    /// Chooses by the `Accept` header: `text/plain` (without
    /// `text/event-stream`) selects Pika text; anything else SSE.
    pub fn from_accept(accept: Option<&str>) -> Self {
        match accept {
            Some(a) if a.contains("text/plain") && !a.contains("text/event-stream") => {
                Self::PikaText
            }
            _ => Self::Sse,
        }
    }

    /// The response's content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Sse => "text/event-stream; charset=utf-8",
            Self::PikaText => "text/plain; charset=utf-8",
        }
    }

    /// One event as bytes; `None` when this encoding has nothing to write for it.
    pub fn encode(self, assistant: MessageId, event: &SequencedEvent) -> Option<Bytes> {
        match self {
            Self::Sse => Some(sse::encode(assistant, event)),
            Self::PikaText => pika_text::encode(event),
        }
    }

    /// A heartbeat.
    pub fn heartbeat(self) -> Bytes {
        match self {
            Self::Sse => Bytes::from_static(sse::HEARTBEAT),
            Self::PikaText => Bytes::from_static(pika_text::HEARTBEAT),
        }
    }
}

/// The response body: the encoded events, with a heartbeat whenever
/// `period` passes; ends after the last event.
pub fn body(
    events: BoxStream<'static, SequencedEvent>,
    encoding: Encoding,
    assistant: MessageId,
    period: Duration,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Pika text escapes answer text across deltas: one encoder per body.
    let text = pika_text::Encoder::default();
    futures::stream::unfold(
        (events, ticker, text),
        move |(mut events, mut ticker, mut text)| async move {
            loop {
                tokio::select! {
                    biased;
                    next = events.next() => {
                        let event = next?;
                        let bytes = match encoding {
                            Encoding::PikaText => text.encode(&event),
                            Encoding::Sse => encoding.encode(assistant, &event),
                        };
                        if let Some(bytes) = bytes {
                            return Some((Ok(bytes), (events, ticker, text)));
                        }
                    }
                    _ = ticker.tick() => {
                        let beat = match encoding {
                            Encoding::PikaText => text.heartbeat(),
                            Encoding::Sse => encoding.heartbeat(),
                        };
                        return Some((Ok(beat), (events, ticker, text)));
                    }
                }
            }
        },
    )
}

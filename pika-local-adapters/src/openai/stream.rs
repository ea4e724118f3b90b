//! The body of a streamed answer to runtime events: bytes through the SSE
//! decoder into the event parser, with an idle timeout between chunks.

use super::events::EventParser;
use super::sse::SseDecoder;
use futures::{Stream, StreamExt};
use pika_ports::{PortError, RuntimeStream};
use std::time::Duration;

/// The runtime stream of an SSE `body`. A gap of more than `idle` between
/// chunks fails the call (`Transient`). Dropping the stream drops `body`,
/// which cancels the request.
pub(super) fn runtime_stream<S, B, E>(body: S, parser: EventParser, idle: Duration) -> RuntimeStream
where
    S: Stream<Item = Result<B, E>> + Send + 'static,
    B: AsRef<[u8]>,
    E: std::error::Error + Send + Sync + 'static,
{
    struct State<S> {
        body: std::pin::Pin<Box<S>>,
        decoder: SseDecoder,
        parser: EventParser,
    }
    let state = State {
        body: Box::pin(body),
        decoder: SseDecoder::default(),
        parser,
    };
    futures::stream::unfold(state, move |mut s| async move {
        loop {
            if let Some(event) = s.parser.next_event() {
                return Some((event, s));
            }
            if s.parser.ended() {
                return None;
            }
            match tokio::time::timeout(idle, s.body.next()).await {
                Ok(Some(Ok(bytes))) => {
                    for data in s.decoder.push(bytes.as_ref()) {
                        s.parser.on_data(&data);
                    }
                }
                Ok(Some(Err(e))) => s.parser.fail(
                    PortError::transient("the model server's stream broke off").with_source(e),
                ),
                Ok(None) => {
                    for data in s.decoder.finish() {
                        s.parser.on_data(&data);
                    }
                    s.parser.on_end();
                }
                Err(_) => s.parser.fail(PortError::transient(format!(
                    "the model server sent nothing for {} s",
                    idle.as_secs_f64()
                ))),
            }
        }
    })
    .boxed()
}

//! An SDK event receiver to a [`RuntimeStream`]: each event through a
//! parser, with an idle timeout between events.

use super::outbox::Outbox;
use futures::future::BoxFuture;
use futures::StreamExt;
use pika_ports::{PortError, RuntimeStream};
use std::time::Duration;

/// Where events come from (an SDK `EventReceiver`).
pub(super) trait EventSource: Send + 'static {
    /// One event of the stream.
    type Event: Send;
    /// The next event; `None` at the end of the stream.
    fn recv(&mut self) -> BoxFuture<'_, Result<Option<Self::Event>, PortError>>;
}

/// Turns a provider's events into runtime events.
pub(super) trait EventParser: Send + 'static {
    /// The provider's event.
    type Event;
    /// One event arrived.
    fn on_event(&mut self, event: Self::Event);
    /// The stream ended cleanly.
    fn on_end(&mut self);
    /// The events ready to go out.
    fn outbox(&mut self) -> &mut Outbox;
    /// The stream failed; nothing follows.
    fn on_error(&mut self, error: PortError) {
        self.outbox().fail(error);
    }
}

/// The runtime stream of `source`. A gap longer than `idle` fails the call
/// (`Transient`). Dropping the stream drops the receiver, which closes the
/// connection and so cancels the call.
pub(super) fn runtime_stream<S, P>(source: S, parser: P, idle: Duration) -> RuntimeStream
where
    S: EventSource,
    P: EventParser<Event = S::Event>,
{
    futures::stream::unfold(
        (source, parser),
        move |(mut source, mut parser)| async move {
            loop {
                if let Some(event) = parser.outbox().pop() {
                    return Some((event, (source, parser)));
                }
                if parser.outbox().ended() {
                    return None;
                }
                match tokio::time::timeout(idle, source.recv()).await {
                    Ok(Ok(Some(event))) => parser.on_event(event),
                    Ok(Ok(None)) => parser.on_end(),
                    Ok(Err(error)) => parser.on_error(error),
                    Err(_) => parser.on_error(PortError::transient(format!(
                        "Bedrock sent nothing for {} s",
                        idle.as_secs_f64()
                    ))),
                }
            }
        },
    )
    .boxed()
}

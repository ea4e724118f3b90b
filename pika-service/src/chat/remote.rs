//! Following a turn that runs in another process (on Lambda, another
//! container): its events come from the store, sent there in batches by
//! the runner's heartbeat, polled until the turn ends; then the rest comes
//! from the stored answer. The client sees the same sequence as the one
//! connected to the runner.

use super::ChatInner;
use futures::stream::{self, BoxStream, StreamExt};
use pika_domain::ids::{MessageId, SessionId};
use pika_domain::stream::SequencedEvent;
use pika_ports::TurnProgress;
use std::collections::VecDeque;
use std::sync::Arc;

struct Follow {
    inner: Arc<ChatInner>,
    session: SessionId,
    message: MessageId,
    /// The last event handed out.
    last: Option<u64>,
    pending: VecDeque<SequencedEvent>,
    ended: bool,
}

/// The events after `after`, starting with `first` (what the store held).
pub(super) fn follow(
    inner: Arc<ChatInner>,
    session: SessionId,
    message: MessageId,
    after: Option<u64>,
    first: TurnProgress,
) -> BoxStream<'static, SequencedEvent> {
    let state = Follow {
        inner,
        session,
        message,
        last: after,
        pending: first.events.into(),
        ended: false,
    };
    stream::unfold(state, |mut f| async move {
        loop {
            if let Some(event) = f.pending.pop_front() {
                f.last = Some(event.seq);
                return Some((event, f));
            }
            if f.ended {
                return None;
            }
            f.poll().await;
        }
    })
    .boxed()
}

impl Follow {
    /// Fetches what came since the last event: from the store while the
    /// turn holds its session, else (ended, or its runner died) from the
    /// stored answer, after which nothing more comes.
    async fn poll(&mut self) {
        let ports = &self.inner.ports;
        let progress = ports
            .turns
            .progress(&self.session, &self.message, self.last, ports.clock.now())
            .await;
        match progress {
            Ok(Some(p)) if !p.events.is_empty() => self.pending = p.events.into(),
            Ok(Some(p)) if p.running => {
                tokio::time::sleep(self.inner.settings.turn_heartbeat / 2).await;
            }
            Ok(_) => self.tail().await,
            Err(e) => {
                tracing::warn!(error = %e, "a followed turn could not be read; retrying");
                tokio::time::sleep(self.inner.settings.turn_heartbeat).await;
            }
        }
    }

    async fn tail(&mut self) {
        self.ended = true;
        match self
            .inner
            .ports
            .messages
            .get(&self.session, &self.message)
            .await
        {
            Ok(Some(answer)) => {
                self.pending = answer
                    .stream_events
                    .into_iter()
                    .filter(|e| self.last.is_none_or(|l| e.seq > l))
                    .collect();
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "a followed turn's answer could not be read"),
        }
    }
}

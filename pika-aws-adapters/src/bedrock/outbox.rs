//! The queue of runtime events a stream parser has ready, with the rule
//! that nothing follows `Completed` or an error.

use pika_ports::{PortError, RuntimeEvent, StopReason};
use std::collections::VecDeque;

/// Events ready to go out.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    queue: VecDeque<Result<RuntimeEvent, PortError>>,
    ended: bool,
}

impl Outbox {
    /// Queues `event` unless the call already ended.
    pub(super) fn push(&mut self, event: RuntimeEvent) {
        if !self.ended {
            self.queue.push_back(Ok(event));
        }
    }

    /// Queues `Completed(stop)`; nothing follows.
    pub(super) fn complete(&mut self, stop: StopReason) {
        self.push(RuntimeEvent::Completed(stop));
        self.ended = true;
    }

    /// Queues the error; nothing follows.
    pub(super) fn fail(&mut self, error: PortError) {
        if !self.ended {
            self.queue.push_back(Err(error));
            self.ended = true;
        }
    }

    /// The next event.
    pub(super) fn pop(&mut self) -> Option<Result<RuntimeEvent, PortError>> {
        self.queue.pop_front()
    }

    /// Whether `Completed` or an error is queued.
    pub(super) fn ended(&self) -> bool {
        self.ended
    }
}

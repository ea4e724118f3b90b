//! Turns running in this process: their event logs (for the first caller and
//! for resumers) and their stop switches.
//!
//! A turn's log is kept in memory while it runs; once it ends the events are
//! stored with the assistant message and the entry is removed.

use futures::stream::{self, BoxStream, StreamExt};
use pika_domain::ids::{MessageId, SessionId};
use pika_domain::stream::{SequencedEvent, TurnEvent};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// The events of one running turn.
pub(crate) struct TurnLog {
    events: Mutex<Vec<SequencedEvent>>,
    /// Bumped on every push and on close, so followers wake up.
    changed: watch::Sender<usize>,
    closed: Mutex<bool>,
}

impl TurnLog {
    fn new() -> Self {
        let (changed, _) = watch::channel(0);
        Self {
            events: Mutex::new(Vec::new()),
            changed,
            closed: Mutex::new(false),
        }
    }

    /// Appends `event` with the next sequence number and returns it.
    pub(crate) fn push(&self, event: TurnEvent) -> SequencedEvent {
        let sequenced = {
            let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
            let seq = events.len() as u64;
            let sequenced = SequencedEvent { seq, event };
            events.push(sequenced.clone());
            sequenced
        };
        self.changed.send_modify(|n| *n += 1);
        sequenced
    }

    /// The sequence number the next event will get.
    pub(crate) fn next_seq(&self) -> u64 {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).len() as u64
    }

    /// Every event so far.
    pub(crate) fn snapshot(&self) -> Vec<SequencedEvent> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Marks the log complete: followers end after the last event.
    pub(crate) fn close(&self) {
        *self.closed.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.changed.send_modify(|n| *n += 1);
    }

    /// The events with `seq >= from` so far.
    pub(crate) fn since(&self, from: u64) -> Vec<SequencedEvent> {
        self.read_from(usize::try_from(from).unwrap_or(usize::MAX))
            .0
    }

    fn read_from(&self, from: usize) -> (Vec<SequencedEvent>, bool) {
        let events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let closed = *self.closed.lock().unwrap_or_else(|e| e.into_inner());
        (events.iter().skip(from).cloned().collect(), closed)
    }

    /// The events with `seq >= from`, then the live ones until the turn ends.
    /// Dropping the stream does not affect the turn.
    pub(crate) fn follow(self: &Arc<Self>, from: u64) -> BoxStream<'static, SequencedEvent> {
        let rx = self.changed.subscribe();
        let state = (
            Arc::clone(self),
            usize::try_from(from).unwrap_or(usize::MAX),
            rx,
            false,
        );
        stream::unfold(state, |(log, next, mut rx, done)| async move {
            if done {
                return None;
            }
            loop {
                // Mark the current version seen before reading, so a push
                // that lands after the read still wakes us.
                rx.borrow_and_update();
                let (batch, closed) = log.read_from(next);
                if !batch.is_empty() {
                    let n = next + batch.len();
                    return Some((stream::iter(batch), (log, n, rx, false)));
                }
                if closed {
                    return None;
                }
                if rx.changed().await.is_err() {
                    return None;
                }
            }
        })
        .flatten()
        .boxed()
    }
}

/// One running turn.
pub(crate) struct RunningTurn {
    pub(crate) assistant_message_id: MessageId,
    pub(crate) log: Arc<TurnLog>,
    stop: watch::Sender<bool>,
    /// Users' answers to its confirmation requests given in this process.
    decisions: watch::Sender<HashMap<String, bool>>,
}

impl RunningTurn {
    /// A receiver that sees `true` once the turn is asked to stop.
    pub(crate) fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// A receiver of the answers given here to its confirmation requests.
    pub(crate) fn decisions(&self) -> watch::Receiver<HashMap<String, bool>> {
        self.decisions.subscribe()
    }

    /// Records the user's answer for `tool_use_id`; the first one stands.
    pub(crate) fn decide(&self, tool_use_id: &str, approve: bool) {
        self.decisions.send_modify(|d| {
            d.entry(tool_use_id.to_string()).or_insert(approve);
        });
    }

    /// Asks the turn to stop (a stop that came through another process).
    pub(crate) fn request_stop(&self) {
        self.stop.send_replace(true);
    }
}

/// Why a turn could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StartRefused {
    /// A turn already runs in the session.
    Busy,
    /// The process is shutting down.
    ShuttingDown,
}

/// The turns running in this process, by session (one at a time per session).
#[derive(Default)]
pub(crate) struct RunningTurns {
    turns: Mutex<HashMap<SessionId, Arc<RunningTurn>>>,
    /// Set by [`RunningTurns::stop_all`]: no turn starts afterwards, so a
    /// request that was in flight when shutdown began cannot start a turn
    /// that nothing would stop.
    shutting_down: std::sync::atomic::AtomicBool,
}

impl RunningTurns {
    /// Reserves `session` for a new turn.
    pub(crate) fn start(
        &self,
        session: SessionId,
        assistant_message_id: MessageId,
    ) -> Result<Arc<RunningTurn>, StartRefused> {
        let mut turns = self.turns.lock().unwrap_or_else(|e| e.into_inner());
        // Checked under the lock `stop_all` takes after setting the flag: a
        // turn is either refused here or inserted in time to be stopped.
        if self.shutting_down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StartRefused::ShuttingDown);
        }
        if turns.contains_key(&session) {
            return Err(StartRefused::Busy);
        }
        let (stop, _) = watch::channel(false);
        let (decisions, _) = watch::channel(HashMap::new());
        let turn = Arc::new(RunningTurn {
            assistant_message_id,
            log: Arc::new(TurnLog::new()),
            stop,
            decisions,
        });
        turns.insert(session, Arc::clone(&turn));
        Ok(turn)
    }

    /// The running turn of `session`, if any.
    pub(crate) fn get(&self, session: &SessionId) -> Option<Arc<RunningTurn>> {
        self.turns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(session)
            .cloned()
    }

    /// Asks the turn of `session` to stop; `false` when none runs.
    pub(crate) fn stop(&self, session: &SessionId) -> bool {
        match self.get(session) {
            Some(turn) => {
                turn.stop.send_replace(true);
                true
            }
            None => false,
        }
    }

    /// Forgets the turn of `session` (it has ended and is stored).
    pub(crate) fn finish(&self, session: &SessionId) {
        self.turns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(session);
    }

    /// Forgets the turn of `session` only if it is the one answering with
    /// `assistant` (a newer turn of the same session is left alone).
    pub(crate) fn finish_if(&self, session: &SessionId, assistant: &MessageId) {
        let mut turns = self.turns.lock().unwrap_or_else(|e| e.into_inner());
        if turns
            .get(session)
            .is_some_and(|t| &t.assistant_message_id == assistant)
        {
            turns.remove(session);
        }
    }

    /// Asks every running turn to stop, and refuses new ones (shutdown).
    pub(crate) fn stop_all(&self) {
        self.shutting_down
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let turns = self.turns.lock().unwrap_or_else(|e| e.into_inner());
        for turn in turns.values() {
            turn.stop.send_replace(true);
        }
    }

    /// How many turns run.
    pub(crate) fn len(&self) -> usize {
        self.turns.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

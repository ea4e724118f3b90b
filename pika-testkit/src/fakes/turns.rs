//! The in-memory [`TurnControl`]: one hold per session with its lease, stop
//! flag and events, as the SQLite and DynamoDB adapters keep them. Two
//! services sharing one instance behave as two processes over one store.

use crate::faults::Faults;
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{MessageId, SessionId};
use pika_domain::stream::SequencedEvent;
use pika_ports::{PortError, PortResult, TurnControl, TurnLease, TurnProgress};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

struct Hold {
    lease: TurnLease,
    stop: bool,
    events: Vec<SequencedEvent>,
    /// Users' answers to confirmation requests, by tool call.
    decisions: HashMap<String, bool>,
}

/// Turn holds in memory (see [`TurnControl`]).
#[derive(Default)]
pub struct InMemoryTurnControl {
    holds: Mutex<HashMap<SessionId, Hold>>,
    faults: Arc<Faults>,
}

impl InMemoryTurnControl {
    /// An empty store without faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The fault rules and call counts of this store.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    /// How many sessions are held. Bypasses faults.
    pub fn held(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<SessionId, Hold>> {
        self.holds.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl TurnControl for InMemoryTurnControl {
    async fn begin(&self, lease: &TurnLease, now: DateTime<Utc>) -> PortResult<()> {
        self.faults.check("TurnControl::begin").await?;
        let mut holds = self.lock();
        if let Some(held) = holds.get(&lease.session_id) {
            if held.lease.assistant_message_id != lease.assistant_message_id
                && held.lease.expires_at > now
            {
                return Err(PortError::conflict("another turn holds this session"));
            }
        }
        holds.insert(
            lease.session_id,
            Hold {
                lease: lease.clone(),
                stop: false,
                events: Vec::new(),
                decisions: HashMap::new(),
            },
        );
        Ok(())
    }

    async fn heartbeat(&self, lease: &TurnLease, events: &[SequencedEvent]) -> PortResult<bool> {
        self.faults.check("TurnControl::heartbeat").await?;
        let mut holds = self.lock();
        match holds.get_mut(&lease.session_id) {
            Some(held) if held.lease.assistant_message_id == lease.assistant_message_id => {
                held.lease.expires_at = lease.expires_at;
                held.events.extend_from_slice(events);
                Ok(held.stop)
            }
            _ => Err(PortError::not_found(
                "this turn no longer holds the session",
            )),
        }
    }

    async fn request_stop(&self, session: &SessionId, now: DateTime<Utc>) -> PortResult<bool> {
        self.faults.check("TurnControl::request_stop").await?;
        let mut holds = self.lock();
        match holds.get_mut(session) {
            Some(held) if held.lease.expires_at > now => {
                held.stop = true;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn decide(
        &self,
        session: &SessionId,
        tool_use_id: &str,
        approve: bool,
        now: DateTime<Utc>,
    ) -> PortResult<bool> {
        self.faults.check("TurnControl::decide").await?;
        let mut holds = self.lock();
        match holds.get_mut(session) {
            Some(held) if held.lease.expires_at > now => {
                held.decisions
                    .entry(tool_use_id.to_string())
                    .or_insert(approve);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn decision(
        &self,
        session: &SessionId,
        message: &MessageId,
        tool_use_id: &str,
    ) -> PortResult<Option<bool>> {
        self.faults.check("TurnControl::decision").await?;
        let holds = self.lock();
        Ok(holds
            .get(session)
            .filter(|held| &held.lease.assistant_message_id == message)
            .and_then(|held| held.decisions.get(tool_use_id).copied()))
    }

    async fn progress(
        &self,
        session: &SessionId,
        message: &MessageId,
        after: Option<u64>,
        now: DateTime<Utc>,
    ) -> PortResult<Option<TurnProgress>> {
        self.faults.check("TurnControl::progress").await?;
        let holds = self.lock();
        Ok(holds
            .get(session)
            .filter(|held| &held.lease.assistant_message_id == message)
            .map(|held| TurnProgress {
                events: held
                    .events
                    .iter()
                    .filter(|e| after.is_none_or(|a| e.seq > a))
                    .cloned()
                    .collect(),
                running: held.lease.expires_at > now,
            }))
    }

    async fn end(&self, session: &SessionId, message: &MessageId) -> PortResult<()> {
        self.faults.check("TurnControl::end").await?;
        let mut holds = self.lock();
        if holds
            .get(session)
            .is_some_and(|held| &held.lease.assistant_message_id == message)
        {
            holds.remove(session);
        }
        Ok(())
    }
}

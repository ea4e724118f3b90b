//! A turn journal over the in-memory stores, so service tests cover the
//! path a DynamoDB deployment takes (two journal calls per turn) and can
//! count those calls.

use super::messages::InMemoryMessageStore;
use super::sessions::InMemorySessionStore;
use super::usage::InMemoryUsageLedger;
use async_trait::async_trait;
use pika_ports::{
    ClaimOutcome, MessageStore, PortResult, SessionStore, StartOutcome, TurnFinish, TurnJournal,
    TurnStart, UsageLedger,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Applies a turn's records to the in-memory stores, undoing the start's
/// earlier writes when a later one fails (so it is all-or-nothing as the
/// contract asks), and counts its calls.
#[derive(Clone)]
pub struct InMemoryTurnJournal {
    sessions: Arc<InMemorySessionStore>,
    messages: Arc<InMemoryMessageStore>,
    usage: Arc<InMemoryUsageLedger>,
    starts: Arc<AtomicUsize>,
    finishes: Arc<AtomicUsize>,
}

impl InMemoryTurnJournal {
    /// A journal over these stores.
    pub fn new(
        sessions: Arc<InMemorySessionStore>,
        messages: Arc<InMemoryMessageStore>,
        usage: Arc<InMemoryUsageLedger>,
    ) -> Self {
        Self {
            sessions,
            messages,
            usage,
            starts: Arc::default(),
            finishes: Arc::default(),
        }
    }

    /// How many times `start` and `finish` were called.
    pub fn calls(&self) -> (usize, usize) {
        (
            self.starts.load(Ordering::SeqCst),
            self.finishes.load(Ordering::SeqCst),
        )
    }
}

#[async_trait]
impl TurnJournal for InMemoryTurnJournal {
    async fn start(&self, start: &TurnStart) -> PortResult<StartOutcome> {
        self.starts.fetch_add(1, Ordering::SeqCst);
        if let Some(c) = &start.claim {
            let outcome = self
                .messages
                .claim_client_message(&c.user_id, &c.client_id, &c.claim)
                .await?;
            if let ClaimOutcome::Existing(previous) = outcome {
                return Ok(StartOutcome::Claimed(previous));
            }
        }
        let undo_claim = || async {
            if let Some(c) = &start.claim {
                // Best effort: the in-memory release cannot fail.
                let _ = self
                    .messages
                    .release_client_message(&c.user_id, &c.client_id)
                    .await;
            }
        };
        if let Some(session) = &start.new_session {
            if let Err(e) = self.sessions.create(session).await {
                undo_claim().await;
                return Err(e);
            }
        }
        if let Err(e) = self.messages.put(&start.user_message).await {
            if let Some(session) = &start.new_session {
                let _ = self.sessions.delete(&session.session_id).await;
            }
            undo_claim().await;
            return Err(e);
        }
        Ok(StartOutcome::Started)
    }

    async fn finish(&self, finish: &TurnFinish) -> PortResult<()> {
        self.finishes.fetch_add(1, Ordering::SeqCst);
        let session_id = finish.answer.session_id;
        if self.sessions.get(&session_id).await?.is_none() {
            return Err(pika_ports::PortError::not_found("no such session"));
        }
        self.messages.put(&finish.answer).await?;
        self.sessions
            .record_turn(&session_id, &finish.record)
            .await?;
        if let Some(ledger) = &finish.ledger {
            self.usage.record(ledger).await?;
        }
        Ok(())
    }
}

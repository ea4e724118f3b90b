//! An in-memory [`MessageStore`], including client-message claims.

use crate::fakes::keyset::{self, Direction};
use crate::faults::Faults;
use async_trait::async_trait;
use pika_domain::ids::{ClientMessageId, MessageId, SessionId, UserId};
use pika_domain::message::Message;
use pika_ports::{ClaimOutcome, MessageStore, Page, PageRequest, PortError, PortResult, TurnClaim};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

pub use pika_ports::MAX_MESSAGE_BYTES;

#[derive(Default)]
struct State {
    messages: BTreeMap<SessionId, BTreeMap<MessageId, Message>>,
    claims: HashMap<(UserId, ClientMessageId), TurnClaim>,
}

/// Messages keyed by (session, message id) and claims keyed by (user, client
/// message id), honouring the [`MessageStore`] contract as the DynamoDB
/// adapter does: conditional puts and claims, oldest-first pages with opaque
/// cursors, the port's size limit ([`MAX_MESSAGE_BYTES`]).
#[derive(Default)]
pub struct InMemoryMessageStore {
    state: Mutex<State>,
    faults: Arc<Faults>,
}

impl InMemoryMessageStore {
    /// An empty store without faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store whose calls go through `faults`.
    pub fn with_faults(faults: Arc<Faults>) -> Self {
        Self {
            faults,
            ..Self::default()
        }
    }

    /// The fault rules and call counts of this store.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    /// Every stored message, by session id, then oldest first. Bypasses faults.
    pub fn all(&self) -> Vec<Message> {
        self.lock()
            .messages
            .values()
            .flat_map(|m| m.values().cloned())
            .collect()
    }

    /// The messages of `session`, oldest first. Bypasses faults.
    pub fn of_session(&self, session: &SessionId) -> Vec<Message> {
        self.lock()
            .messages
            .get(session)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every recorded client-message claim, in no particular order. Bypasses faults.
    pub fn claims(&self) -> Vec<(UserId, ClientMessageId, TurnClaim)> {
        self.lock()
            .claims
            .iter()
            .map(|((u, c), claim)| (u.clone(), c.clone(), claim.clone()))
            .collect()
    }

    /// How many messages are stored, over all sessions.
    pub fn len(&self) -> usize {
        self.lock().messages.values().map(BTreeMap::len).sum()
    }

    /// Whether no message is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a test thread panicked; the maps are intact.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl MessageStore for InMemoryMessageStore {
    async fn put(&self, message: &Message) -> PortResult<()> {
        self.faults.check("MessageStore::put").await?;
        let size = serde_json::to_vec(message)
            .map_err(|e| PortError::permanent("message does not serialize").with_source(e))?
            .len();
        if size > MAX_MESSAGE_BYTES {
            return Err(PortError::invalid(format!(
                "message {} is {size} bytes, more than {MAX_MESSAGE_BYTES}",
                message.message_id
            )));
        }
        let mut state = self.lock();
        let session = state.messages.entry(message.session_id).or_default();
        if session.contains_key(&message.message_id) {
            return Err(PortError::conflict(format!(
                "message {} exists in session {}",
                message.message_id, message.session_id
            )));
        }
        session.insert(message.message_id, message.clone());
        Ok(())
    }

    async fn get(&self, session: &SessionId, id: &MessageId) -> PortResult<Option<Message>> {
        self.faults.check("MessageStore::get").await?;
        Ok(self
            .lock()
            .messages
            .get(session)
            .and_then(|m| m.get(id))
            .cloned())
    }

    async fn list(&self, session: &SessionId, page: PageRequest) -> PortResult<Page<Message>> {
        self.faults.check("MessageStore::list").await?;
        let items = self
            .lock()
            .messages
            .get(session)
            .map(|m| m.iter().map(|(id, msg)| (*id, msg.clone())).collect())
            .unwrap_or_default();
        keyset::paginate(
            items,
            Direction::Ascending,
            "messages",
            &page,
            MessageId::to_string,
            |raw| MessageId::parse(raw).ok(),
        )
    }

    async fn latest(&self, session: &SessionId, limit: u32) -> PortResult<Vec<Message>> {
        self.faults.check("MessageStore::latest").await?;
        let mut newest: Vec<Message> = self
            .lock()
            .messages
            .get(session)
            .map(|m| m.values().rev().take(limit as usize).cloned().collect())
            .unwrap_or_default();
        newest.reverse();
        Ok(newest)
    }

    async fn delete_session(&self, session: &SessionId) -> PortResult<()> {
        self.faults.check("MessageStore::delete_session").await?;
        self.lock().messages.remove(session);
        Ok(())
    }

    async fn claim_client_message(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
        claim: &TurnClaim,
    ) -> PortResult<ClaimOutcome> {
        self.faults
            .check("MessageStore::claim_client_message")
            .await?;
        let mut state = self.lock();
        let key = (user.clone(), client_id.clone());
        if let Some(existing) = state.claims.get(&key) {
            return Ok(ClaimOutcome::Existing(existing.clone()));
        }
        state.claims.insert(key, claim.clone());
        Ok(ClaimOutcome::Claimed)
    }

    async fn get_client_message(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
    ) -> PortResult<Option<TurnClaim>> {
        self.faults
            .check("MessageStore::get_client_message")
            .await?;
        Ok(self
            .lock()
            .claims
            .get(&(user.clone(), client_id.clone()))
            .cloned())
    }

    async fn release_client_message(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
    ) -> PortResult<()> {
        self.faults
            .check("MessageStore::release_client_message")
            .await?;
        self.lock()
            .claims
            .remove(&(user.clone(), client_id.clone()));
        Ok(())
    }
}

//! The message store port, including the idempotency claims of client
//! message ids (PIKA.md §7 "Idempotency").

use crate::error::PortResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{ClientMessageId, MessageId, SessionId, UserId};
use pika_domain::message::Message;

/// The largest message (as JSON bytes) a [`MessageStore`] must hold: a
/// long answer with its stream events and tool calls (tool outputs are
/// capped well below, see `TurnLimits::max_tool_output_bytes`). Past it a
/// store refuses the message as `Invalid`, and the turn keeps its answer
/// shortened.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// The ids a client message id stands for: recorded before a turn starts,
/// so a retry finds the same session and messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnClaim {
    /// The session the turn runs in (possibly created by the turn).
    pub session_id: SessionId,
    /// The user message.
    pub user_message_id: MessageId,
    /// The answer.
    pub assistant_message_id: MessageId,
    /// When it was claimed.
    pub claimed_at: DateTime<Utc>,
}

/// The result of [`MessageStore::claim_client_message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The id was new; the claim is recorded.
    Claimed,
    /// The id was claimed before; here is that claim.
    Existing(TurnClaim),
}

/// Stores messages, ordered by message id within a session (ids are UUIDv7,
/// so that is creation order). A message is identified by (session id,
/// message id). A `limit` of zero reads nothing.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Stores `message`.
    ///
    /// # Errors
    /// - `Conflict` if a message with this id exists in the session (so a
    ///   retried write never duplicates a message; nothing is changed).
    /// - `Invalid` past [`MAX_MESSAGE_BYTES`]; any message up to it is
    ///   stored whole, whatever the backend's item limit.
    /// - `Transient` / `Permanent`.
    async fn put(&self, message: &Message) -> PortResult<()>;

    /// One message; `Ok(None)` when there is none.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn get(&self, session: &SessionId, id: &MessageId) -> PortResult<Option<Message>>;

    /// The messages of a session, oldest first, however many pages that
    /// takes (no backend page-size limit shows through).
    ///
    /// # Errors
    /// - `Invalid` for a foreign cursor.
    /// - `Transient` / `Permanent`.
    async fn list(&self, session: &SessionId, page: PageRequest) -> PortResult<Page<Message>>;

    /// The newest `limit` messages of a session, returned oldest first: the
    /// history of a turn in one read.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn latest(&self, session: &SessionId, limit: u32) -> PortResult<Vec<Message>>;

    /// Deletes every message of a session. Succeeds when there are none.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn delete_session(&self, session: &SessionId) -> PortResult<()>;

    /// Records that `user`'s `client_id` stands for `claim`, unless it was
    /// claimed before (a conditional write).
    ///
    /// # Errors
    /// `Transient` / `Permanent`. A claim that exists is not an error: it is
    /// [`ClaimOutcome::Existing`].
    async fn claim_client_message(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
        claim: &TurnClaim,
    ) -> PortResult<ClaimOutcome>;

    /// The claim of `user`'s `client_id`, if any.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn get_client_message(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
    ) -> PortResult<Option<TurnClaim>>;

    /// Removes a claim whose turn was refused before anything was stored,
    /// so the client may try again. Removing a missing claim succeeds.
    ///
    /// # Errors
    /// `Transient` / `Permanent`.
    async fn release_client_message(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
    ) -> PortResult<()>;
}

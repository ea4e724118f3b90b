//! The turn journal port: the writes of a chat turn grouped into two
//! all-or-nothing requests, for stores that can apply several records in one
//! request (DynamoDB `TransactWriteItems`). A shell that has no such store
//! leaves [`crate::Ports::journal`] empty and the service writes the same
//! records one by one through the stores.

use crate::error::PortResult;
use crate::messages::TurnClaim;
use crate::sessions::TurnRecord;
use crate::usage::UsageRecord;
use async_trait::async_trait;
use pika_domain::ids::{ClientMessageId, UserId};
use pika_domain::message::Message;
use pika_domain::session::Session;

/// A user's client message id and the ids it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientClaim {
    /// Whose id.
    pub user_id: UserId,
    /// The id the client sent.
    pub client_id: ClientMessageId,
    /// What it stands for.
    pub claim: TurnClaim,
}

/// What starts a turn: the claim of the client's id (when it sent one), the
/// session (when the turn creates it) and the user's message.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnStart {
    /// Claimed unless claimed before.
    pub claim: Option<ClientClaim>,
    /// Created when the turn opens a session.
    pub new_session: Option<Session>,
    /// The user's message, stored once.
    pub user_message: Message,
}

/// The result of [`TurnJournal::start`].
#[derive(Debug, Clone, PartialEq)]
pub enum StartOutcome {
    /// Everything was stored.
    Started,
    /// The client id was claimed before: nothing was stored; here is that claim.
    Claimed(TurnClaim),
}

/// What ends a turn: the answer, the session's totals, the ledger's counts.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnFinish {
    /// The assistant's message, stored once.
    pub answer: Message,
    /// Applied to the answer's session as [`crate::SessionStore::record_turn`] does.
    pub record: TurnRecord,
    /// Counted as [`crate::UsageLedger::record`] does, when the turn used tokens.
    pub ledger: Option<UsageRecord>,
}

/// Writes a turn's records in two all-or-nothing requests. Retrying a call
/// that failed `Transient` is safe: the store makes the retry of the same
/// request idempotent.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait TurnJournal: Send + Sync {
    /// Stores the claim, the new session and the user's message, all or none.
    ///
    /// # Errors
    /// - `Conflict` if the session (when new) or the message exists already;
    ///   nothing is stored. A claimed client id is not an error: it is
    ///   [`StartOutcome::Claimed`].
    /// - `Invalid` if the backend refuses a record's size.
    /// - `Transient` / `Permanent`.
    async fn start(&self, start: &TurnStart) -> PortResult<StartOutcome>;

    /// Stores the answer, adds the turn to its session and counts its usage,
    /// all or none.
    ///
    /// # Errors
    /// - `NotFound` if the session does not exist.
    /// - `Conflict` if the answer exists already; nothing is changed.
    /// - `Invalid` if the backend refuses the answer's size.
    /// - `Transient` / `Permanent`.
    async fn finish(&self, finish: &TurnFinish) -> PortResult<()>;
}

//! When a turn's answer cannot be stored as it is. No answer is lost
//! silently and no token goes uncounted:
//!
//! - the session was deleted (or its owner erased) while the turn ran: keep
//!   nothing of the turn (an answer already written is removed), count its
//!   tokens;
//! - the session is there but the answer was refused (too large for the
//!   store, say): store it shortened, without its stream events and tool
//!   calls, marked with an error; and count its tokens;
//! - even that fails: count the tokens alone.

use super::ChatInner;
use crate::retry::retry_transient;
use pika_domain::ids::SessionId;
use pika_domain::message::{Message, MessageError};
use pika_ports::{PortError, TurnFinish, UsageRecord};

/// The most characters of a shortened answer's text.
pub(super) const SHORTENED_CHARS: usize = 32 * 1024;

/// How a turn's end was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stored {
    /// As it was.
    Whole,
    /// Shortened, with an error (see [`shortened`]).
    Shortened,
    /// The session is gone: nothing kept, tokens counted.
    SessionGone,
    /// Nothing could be stored; tokens counted.
    Lost,
}

/// Stores the answer, the session's totals and the ledger record: with a
/// journal in one request, else one by one.
///
/// # Errors
/// The store's refusal; then nothing of the answer is stored (a journal is
/// all-or-nothing; without one the answer is the first write).
pub(super) async fn store_end(inner: &ChatInner, end: &TurnFinish) -> Result<Stored, PortError> {
    let ports = &inner.ports;
    if let Some(journal) = &ports.journal {
        return retry_transient(|| journal.finish(end))
            .await
            .map(|()| Stored::Whole);
    }
    let session_id = end.answer.session_id;
    retry_transient(|| ports.messages.put(&end.answer)).await?;
    let mut stored = Stored::Whole;
    match retry_transient(|| ports.sessions.record_turn(&session_id, &end.record)).await {
        Ok(_) => {}
        Err(e) if e.kind == pika_ports::ErrorKind::NotFound => {
            // Deleted while the turn ran: the answer just written (stores
            // without foreign keys keep it) must not outlive the session.
            remove_leftovers(inner, &session_id).await;
            stored = Stored::SessionGone;
        }
        Err(e) => {
            tracing::error!(error = %e, session = %session_id, "session totals could not be updated");
        }
    }
    count(inner, end.ledger.as_ref()).await;
    Ok(stored)
}

/// After [`store_end`] failed with `error`: what can still be kept.
pub(super) async fn after_refusal(
    inner: &ChatInner,
    error: &PortError,
    end: &TurnFinish,
) -> Stored {
    let ports = &inner.ports;
    let session_id = end.answer.session_id;
    let ledger = end.ledger.as_ref();
    tracing::error!(error = %error, session = %session_id, "the answer could not be stored");
    match retry_transient(|| ports.sessions.get(&session_id)).await {
        Ok(None) => {
            remove_leftovers(inner, &session_id).await;
            count(inner, ledger).await;
            Stored::SessionGone
        }
        Ok(Some(_)) => {
            let short = TurnFinish {
                answer: shortened(&end.answer),
                record: end.record.clone(),
                ledger: end.ledger.clone(),
            };
            match store_end(inner, &short).await {
                Ok(stored) => match stored {
                    Stored::Whole => Stored::Shortened,
                    other => other,
                },
                Err(e) => {
                    tracing::error!(error = %e, session = %session_id, "not even the shortened answer could be stored");
                    count(inner, ledger).await;
                    Stored::Lost
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, session = %session_id, "the session could not be read after a refused answer");
            count(inner, ledger).await;
            Stored::Lost
        }
    }
}

/// `answer` cut to what any store accepts: its text (at most
/// [`SHORTENED_CHARS`] characters, the cut marked), its usage and grades;
/// no stream events, no tool calls; an error saying so.
pub(super) fn shortened(answer: &Message) -> Message {
    let mut short = answer.clone();
    short.stream_events = Vec::new();
    short.tool_calls = Vec::new();
    if let Some((cut, _)) = short.content.char_indices().nth(SHORTENED_CHARS) {
        short.content.truncate(cut);
        short.content.push_str("\n\n[…]");
    }
    short.error = Some(MessageError {
        code: "internal".to_string(),
        message: "the full answer could not be stored; it was kept shortened, without its tool calls and events"
            .to_string(),
    });
    short
}

async fn remove_leftovers(inner: &ChatInner, session_id: &SessionId) {
    if let Err(e) = retry_transient(|| inner.ports.messages.delete_session(session_id)).await {
        tracing::error!(error = %e, session = %session_id, "the messages of a deleted session could not be removed");
    }
}

async fn count(inner: &ChatInner, ledger: Option<&UsageRecord>) {
    if let Some(ledger) = ledger {
        if let Err(e) = retry_transient(|| inner.ports.usage.record(ledger)).await {
            tracing::error!(error = %e, "usage could not be recorded in the ledger");
        }
    }
}

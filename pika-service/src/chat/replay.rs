//! A client message id seen before (PIKA.md §7: idempotent retries): replay
//! the stored turn, answer `conflict` while it still runs — or, when the
//! turn was abandoned (the process running it died: a crash, an out-of-
//! memory kill, a Lambda container gone), close it with an error answer and
//! free the client id, so the retry starts afresh instead of being refused
//! for the claim's whole lifetime.
//!
//! A turn counts as abandoned when no answer is stored and it no longer
//! holds its session ([`pika_ports::TurnControl`]): every turn takes the
//! hold before its client id is claimed and keeps it, renewed, until its
//! answer is stored, so a claim without an answer or a live hold is one
//! whose process died (its hold ran out, 30 s after the last renewal).

use super::{ChatInner, SendMessage, TurnStream};
use crate::error::ServiceError;
use crate::retry::retry_transient;
use futures::stream::{self, StreamExt};
use pika_domain::cost::Usage;
use pika_domain::message::{Message, MessageError};
use pika_domain::stream::{SequencedEvent, TurnEvent};
use pika_domain::user::User;
use pika_ports::{TurnClaim, TurnRecord};

/// What an attempt to send came to.
pub(super) enum Attempt {
    /// A turn streams (a new one, or a replay of a stored one).
    Streaming(TurnStream),
    /// An abandoned turn of the same client message was closed; the
    /// message may be sent again.
    Recovered,
}

/// The claim of the message's client id, if it has one and it was claimed.
pub(super) async fn claim_of(
    inner: &ChatInner,
    caller: &User,
    message: &SendMessage,
) -> Result<Option<TurnClaim>, ServiceError> {
    match &message.client_message_id {
        Some(client_id) => Ok(inner
            .ports
            .messages
            .get_client_message(&caller.user_id, client_id)
            .await?),
        None => Ok(None),
    }
}

/// Replays the claimed turn, recovers it when abandoned, or answers conflict.
pub(super) async fn replay(
    inner: &ChatInner,
    caller: &User,
    message: &SendMessage,
    claim: TurnClaim,
) -> Result<Attempt, ServiceError> {
    let stored = inner
        .ports
        .messages
        .get(&claim.session_id, &claim.assistant_message_id)
        .await?;
    match stored {
        Some(answer) if !answer.stream_events.is_empty() => Ok(Attempt::Streaming(TurnStream {
            session_id: claim.session_id,
            user_message_id: claim.user_message_id,
            assistant_message_id: claim.assistant_message_id,
            replayed: true,
            events: stream::iter(answer.stream_events).boxed(),
        })),
        None if abandoned(inner, &claim).await? => {
            recover(inner, caller, message, &claim).await?;
            Ok(Attempt::Recovered)
        }
        _ => Err(ServiceError::Conflict(
            "this message is still being answered; resume its stream instead".to_string(),
        )),
    }
}

async fn abandoned(inner: &ChatInner, claim: &TurnClaim) -> Result<bool, ServiceError> {
    let running_here = inner
        .running
        .get(&claim.session_id)
        .is_some_and(|turn| turn.assistant_message_id == claim.assistant_message_id);
    if running_here {
        return Ok(false);
    }
    let ports = &inner.ports;
    // `u64::MAX`: whether it runs, not its events.
    let progress = ports
        .turns
        .progress(
            &claim.session_id,
            &claim.assistant_message_id,
            Some(u64::MAX),
            ports.clock.now(),
        )
        .await?;
    Ok(!progress.is_some_and(|p| p.running))
}

/// Stores the abandoned turn's answer as an error (so its session reads as
/// it happened: a question, then an interrupted answer), then frees the
/// client id.
async fn recover(
    inner: &ChatInner,
    caller: &User,
    message: &SendMessage,
    claim: &TurnClaim,
) -> Result<(), ServiceError> {
    let ports = &inner.ports;
    let now = ports.clock.now();
    tracing::warn!(session = %claim.session_id, message = %claim.assistant_message_id, "closing an abandoned turn");
    if retry_transient(|| ports.sessions.get(&claim.session_id))
        .await?
        .is_some()
    {
        let error = MessageError {
            code: "internal".to_string(),
            message: "this answer was interrupted before it finished; send the message again"
                .to_string(),
        };
        let mut answer = Message::assistant(claim.session_id, claim.assistant_message_id, now);
        answer.stream_events = vec![SequencedEvent {
            seq: 0,
            event: TurnEvent::Error {
                code: error.code.clone(),
                message: error.message.clone(),
            },
        }];
        answer.error = Some(error);
        retry_transient(|| ports.messages.put(&answer)).await?;
        let record = TurnRecord {
            usage: Usage::default(),
            last_message_id: claim.assistant_message_id,
            at: now,
            mark_for_insights: false,
        };
        retry_transient(|| ports.sessions.record_turn(&claim.session_id, &record))
            .await
            .map(drop)
            .or_else(|e| match e.kind {
                // Deleted meanwhile: nothing left to close.
                pika_ports::ErrorKind::NotFound => Ok(()),
                _ => Err(e),
            })?;
    }
    if let Some(client_id) = &message.client_message_id {
        retry_transient(|| {
            ports
                .messages
                .release_client_message(&caller.user_id, client_id)
        })
        .await?;
    }
    Ok(())
}

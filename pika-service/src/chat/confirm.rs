//! Tools that ask for the user's consent (`requireConfirmation`): the turn
//! announces the call with a `confirmation_required` event and waits for
//! the answer of `POST /sessions/{id}/confirm`, given in this process (at
//! once) or in another (read from the store, as a stop is), for at most the
//! site's `turn.confirmationTimeoutMs`.

use super::ChatInner;
use pika_domain::ids::{MessageId, SessionId};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::watch;

/// How a turn hears its answers.
#[derive(Clone)]
pub(super) struct Confirmations {
    /// Answers given in this process.
    pub(super) local: watch::Receiver<HashMap<String, bool>>,
    pub(super) session: SessionId,
    pub(super) message: MessageId,
    /// How long one request waits.
    pub(super) timeout: Duration,
}

/// What came of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    Approved,
    Declined,
    /// Nobody answered in time: as declined.
    TimedOut,
}

/// Waits for the answer to `tool_use_id`. The caller races it with the
/// turn's stop and deadline.
pub(super) async fn answer(inner: &ChatInner, cx: &Confirmations, tool_use_id: &str) -> Answer {
    let mut local = cx.local.clone();
    let poll = inner.settings.turn_heartbeat;
    let wait = async {
        loop {
            if let Some(approve) = local.borrow_and_update().get(tool_use_id).copied() {
                return approve;
            }
            match inner
                .ports
                .turns
                .decision(&cx.session, &cx.message, tool_use_id)
                .await
            {
                Ok(Some(approve)) => return approve,
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "a confirmation could not be read; retrying"),
            }
            // Woken at once by an answer given here; else the store is
            // read again after a heartbeat's time.
            if let Ok(Err(_)) = tokio::time::timeout(poll, local.changed()).await {
                tokio::time::sleep(poll).await;
            }
        }
    };
    match tokio::time::timeout(cx.timeout, wait).await {
        Ok(true) => Answer::Approved,
        Ok(false) => Answer::Declined,
        Err(_) => Answer::TimedOut,
    }
}

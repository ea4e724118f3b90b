//! The chat turn (PIKA.md §7): access, quotas, idempotency, the streamed
//! answer with tools and self-correction, persistence, stop and resume.
//!
//! [`ChatService::send`] does everything that can refuse a turn *before* the
//! first event (so the HTTP layer can answer with a problem document), stores
//! the user's message, then runs the rest of the turn on its own task. The
//! returned [`TurnStream`] follows that task's event log; dropping it does not
//! stop the turn — only [`ChatService::stop`] or [`ChatService::shutdown`] do.

mod collaborate;
mod confirm;
mod emitter;
mod knowledge;
mod model_loop;
mod persist;
mod prepare;
mod prompt;
mod recover;
mod registry;
mod remote;
mod replay;
mod route;
mod runner;
mod verify;

use crate::config_cache::ConfigCache;
use crate::error::ServiceError;
use crate::ports::{Ports, ServiceSettings};
use futures::stream::{self, BoxStream, StreamExt};
use pika_domain::ids::{ChatAppId, ClientMessageId, MessageId, SessionId};
use pika_domain::stream::SequencedEvent;
use pika_domain::user::User;
use registry::RunningTurns;
use std::sync::Arc;
use std::time::Duration;

/// The functions of `tools` as the runtime sees them.
pub(crate) fn tool_specs(tools: &[pika_domain::tool::Tool]) -> Vec<pika_ports::ToolSpec> {
    model_loop::LoopContext::tool_specs(tools).0
}

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnTarget {
    /// The first message of a new session in this chat app.
    NewSession(ChatAppId),
    /// A message in an existing session.
    Session(SessionId),
}

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendMessage {
    /// Where.
    pub target: TurnTarget,
    /// The text.
    pub text: String,
    /// Makes the request idempotent for this user (PIKA.md §7).
    pub client_message_id: Option<ClientMessageId>,
    /// Uploaded files to attach: the `fileRef`s the upload service returned.
    pub file_refs: Vec<String>,
    /// How long the turn may run before it is cut short and stored with a
    /// `turn_timeout` error (a Lambda function's remaining time, less a
    /// margin); `None`: no limit.
    pub time_limit: Option<std::time::Duration>,
}

impl SendMessage {
    /// A plain message to `target`.
    pub fn new(target: TurnTarget, text: impl Into<String>) -> Self {
        Self {
            target,
            text: text.into(),
            client_message_id: None,
            file_refs: Vec::new(),
            time_limit: None,
        }
    }

    /// The same message with a time limit.
    pub fn with_time_limit(mut self, limit: std::time::Duration) -> Self {
        self.time_limit = Some(limit);
        self
    }

    /// The same message with a client message id.
    pub fn with_client_id(mut self, id: ClientMessageId) -> Self {
        self.client_message_id = Some(id);
        self
    }
}

/// A turn's events as they happen (or, for a replay, as they were stored).
pub struct TurnStream {
    /// The session (new or existing).
    pub session_id: SessionId,
    /// The stored user message.
    pub user_message_id: MessageId,
    /// The answer.
    pub assistant_message_id: MessageId,
    /// Whether this replays a completed turn (an idempotent retry).
    pub replayed: bool,
    /// The events, starting with `session`, ending with `done` or `error`.
    pub events: BoxStream<'static, SequencedEvent>,
}

pub(crate) struct ChatInner {
    pub(crate) ports: Ports,
    pub(crate) settings: ServiceSettings,
    pub(crate) config: Arc<ConfigCache>,
    pub(crate) running: RunningTurns,
}

/// The chat use case.
#[derive(Clone)]
pub struct ChatService {
    inner: Arc<ChatInner>,
}

impl ChatService {
    /// A chat service over `ports`, reading configuration through `config`.
    pub fn new(ports: Ports, settings: ServiceSettings, config: Arc<ConfigCache>) -> Self {
        Self {
            inner: Arc::new(ChatInner {
                ports,
                settings,
                config,
                running: RunningTurns::default(),
            }),
        }
    }

    /// Sends a message and starts the turn.
    ///
    /// # Errors
    /// Before anything is stored: `Invalid` (empty or oversized text, unknown
    /// file), `NotFound` (session or chat app the caller may not see),
    /// `Forbidden` (access denied; a content admin posting into another
    /// user's session), `QuotaExceeded`, `Conflict` (a turn already runs in
    /// the session, or the client message id is still being answered),
    /// `Internal` when the stores fail.
    pub async fn send(
        &self,
        caller: &User,
        message: SendMessage,
    ) -> Result<TurnStream, ServiceError> {
        prepare::send(&self.inner, caller, message).await
    }

    /// Asks the running turn of a session to stop, wherever it runs (here
    /// at once; in another process at its next heartbeat). `Ok(false)` when
    /// no turn runs there.
    ///
    /// # Errors
    /// `NotFound` for a session the caller may not read; `Forbidden` for a
    /// viewer who is not the owner; store failures.
    pub async fn stop(&self, caller: &User, session: &SessionId) -> Result<bool, ServiceError> {
        let ports = &self.inner.ports;
        crate::sessions::owned(ports, caller, session).await?;
        if self.inner.running.stop(session) {
            return Ok(true);
        }
        Ok(ports.turns.request_stop(session, ports.clock.now()).await?)
    }

    /// Answers the running turn's request to confirm the tool call
    /// `tool_use_id` (a `confirmation_required` event): it runs the tool
    /// when `approve`, else tells the model the user declined. Reaches the
    /// turn wherever it runs (here at once; in another process within a
    /// heartbeat). `Ok(false)` when no turn runs in the session. The first
    /// answer to a call stands.
    ///
    /// # Errors
    /// `Invalid` for an empty or overlong `tool_use_id`; `NotFound` for a
    /// session the caller may not read; `Forbidden` for a viewer who is not
    /// the owner; store failures.
    pub async fn confirm(
        &self,
        caller: &User,
        session: &SessionId,
        tool_use_id: &str,
        approve: bool,
    ) -> Result<bool, ServiceError> {
        if tool_use_id.trim().is_empty() || tool_use_id.len() > 256 {
            return Err(ServiceError::Invalid(
                "toolUseId must be 1 to 256 characters".to_string(),
            ));
        }
        let ports = &self.inner.ports;
        crate::sessions::owned(ports, caller, session).await?;
        if let Some(turn) = self.inner.running.get(session) {
            turn.decide(tool_use_id, approve);
            return Ok(true);
        }
        Ok(ports
            .turns
            .decide(session, tool_use_id, approve, ports.clock.now())
            .await?)
    }

    /// The events of an answer after `after` (all when `None`): live while
    /// the turn runs (in this process, or in another: followed through the
    /// store), from the stored message once it ended.
    ///
    /// # Errors
    /// `NotFound` for a session or message the caller may not read.
    pub async fn events(
        &self,
        caller: &User,
        session: &SessionId,
        message: &MessageId,
        after: Option<u64>,
    ) -> Result<BoxStream<'static, SequencedEvent>, ServiceError> {
        crate::sessions::readable(&self.inner.ports, caller, session).await?;
        let from = after.map_or(0, |a| a.saturating_add(1));
        if let Some(turn) = self.inner.running.get(session) {
            if &turn.assistant_message_id == message {
                return Ok(turn.log.follow(from));
            }
        }
        let ports = &self.inner.ports;
        if let Some(progress) = ports
            .turns
            .progress(session, message, after, ports.clock.now())
            .await?
        {
            return Ok(remote::follow(
                Arc::clone(&self.inner),
                *session,
                *message,
                after,
                progress,
            ));
        }
        let stored = self
            .inner
            .ports
            .messages
            .get(session, message)
            .await?
            .ok_or_else(|| ServiceError::not_found("message"))?;
        let events: Vec<SequencedEvent> = stored
            .stream_events
            .into_iter()
            .filter(|e| e.seq >= from)
            .collect();
        Ok(stream::iter(events).boxed())
    }

    /// Asks every running turn to stop (their partial answers are stored)
    /// and refuses turns from now on: the process is shutting down.
    pub fn shutdown(&self) {
        self.inner.running.stop_all();
    }

    /// How many turns run in this process.
    pub fn running_turns(&self) -> usize {
        self.inner.running.len()
    }

    /// Waits until no turn runs, or `timeout` passes; `true` when idle.
    pub async fn drain(&self, timeout: Duration) -> bool {
        let wait = async {
            while self.inner.running.len() > 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }
}

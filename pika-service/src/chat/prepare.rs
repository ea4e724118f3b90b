//! Everything that can refuse a turn before its first event, in the order of
//! PIKA.md §7 step 1–3. Nothing is stored unless every check passes; once
//! the user's message is stored, the turn runs on its own task.

use super::registry::StartRefused;
use super::replay::{claim_of, replay, Attempt};
use super::route;
use super::runner::{self, Turn};
use super::{ChatInner, SendMessage, TurnStream, TurnTarget};
use crate::config_cache::AppConfig;
use crate::error::ServiceError;
use crate::fair_use;
use crate::retry::retry_transient;
use pika_domain::access::decide_access;
use pika_domain::features::resolve_features;
use pika_domain::files::upload_key;
use pika_domain::ids::{ClientMessageId, EntityId, FileId, SessionId};
use pika_domain::message::{validate_user_text, FileRef, Message};
use pika_domain::session::Session;
use pika_domain::stream::TurnEvent;
use pika_domain::user::User;
use pika_ports::{ClaimOutcome, ClientClaim, IdGeneratorExt, StartOutcome, TurnClaim, TurnStart};
use std::sync::Arc;

pub(super) async fn send(
    inner: &Arc<ChatInner>,
    caller: &User,
    message: SendMessage,
) -> Result<TurnStream, ServiceError> {
    match attempt(inner, caller, message.clone()).await? {
        Attempt::Streaming(stream) => Ok(stream),
        // A turn of the same client message was abandoned (its process
        // died) and is now closed: the message starts afresh, once.
        Attempt::Recovered => match attempt(inner, caller, message).await? {
            Attempt::Streaming(stream) => Ok(stream),
            Attempt::Recovered => Err(ServiceError::Conflict(
                "this message is still being answered; resume its stream instead".to_string(),
            )),
        },
    }
}

async fn attempt(
    inner: &Arc<ChatInner>,
    caller: &User,
    message: SendMessage,
) -> Result<Attempt, ServiceError> {
    validate_user_text(&message.text).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let time_limit = message.time_limit;
    let ports = &inner.ports;

    // Where the message goes, and whether the caller may post there.
    let existing = match &message.target {
        TurnTarget::Session(id) => Some(crate::sessions::owned(ports, caller, id).await?),
        TurnTarget::NewSession(_) => None,
    };
    let app_id = match (&message.target, &existing) {
        (_, Some(session)) => session.chat_app_id.clone(),
        (TurnTarget::NewSession(app), None) => app.clone(),
        (TurnTarget::Session(_), None) => return Err(ServiceError::not_found("session")),
    };
    let config = inner
        .config
        .chat_app(&app_id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("chat app {app_id}")))?;
    let site = inner.config.site().await?;
    if let pika_domain::access::AccessDecision::Deny(reason) =
        decide_access(caller, &config.app, config.ovr.as_ref(), &site)
    {
        tracing::info!(user = %caller.user_id, chat_app = %app_id, ?reason, "turn refused: access denied");
        // In their own session the caller knows the app: say why. For a new
        // session, an app they may not use is reported like an unknown one,
        // so which app ids exist does not leak.
        return Err(match existing {
            Some(_) => ServiceError::Forbidden(format!(
                "you may not use this chat app: {}",
                reason.describe()
            )),
            None => ServiceError::not_found(format!("chat app {app_id}")),
        });
    }
    let features = resolve_features(caller, &config.app, config.ovr.as_ref(), &site);
    // A permitted user's override of this app's user data: the turn runs
    // as them with it (entity of a new session, knowledge filters, tools).
    let effective = crate::user_data::effective_user(ports, caller, &app_id, &features).await;
    let caller = &effective;

    // An idempotent retry never starts a second turn. A journal claims the
    // client id in the same request that stores the message (and reports a
    // claim found there), so with one the look-up waits for a refusal.
    if ports.journal.is_none() {
        if let Some(claim) = claim_of(inner, caller, &message).await? {
            return replay(inner, caller, &message, claim).await;
        }
    }

    let entity = features.entity_of(caller);
    let session_id = existing
        .as_ref()
        .map_or_else(|| ports.ids.session_id(), |s| s.session_id);
    let files = resolve_files(inner, caller, &session_id, &message.file_refs).await?;

    let user_message_id = ports.ids.message_id();
    let assistant_message_id = ports.ids.message_id();
    // Rate limits, quotas with running turns' reservations, and a place
    // among the caller's running turns, held until the turn ends.
    let admitted = fair_use::admit_turn(
        ports,
        &site,
        config.app.quotas.as_ref(),
        &caller.user_id,
        &entity,
        &assistant_message_id.to_string(),
    )
    .await;
    let admission = match admitted {
        Ok(admission) => fair_use::Held::new(ports, admission),
        // A retry of a turn that used the last of the quota is replayed.
        Err(refused) => {
            return match claim_of(inner, caller, &message).await? {
                Some(claim) => replay(inner, caller, &message, claim).await,
                None => Err(refused),
            }
        }
    };
    // The agent: the one the intent router picks for this message (when
    // the feature is on), else the chat app's. After admission, so a
    // refused turn costs no routing call; an error here drops the
    // admission, which frees its places.
    let (agent_id, routing) = if features.intent_router.is_some() {
        route::choose_agent(inner, &site, &config.app, &message.text).await
    } else {
        (config.app.agent_id.clone(), None)
    };
    let agent = inner
        .config
        .agent(&agent_id)
        .await?
        .ok_or_else(|| ServiceError::Internal {
            message: format!("agent {agent_id} of chat app {app_id} not found"),
            retryable: false,
        })?;
    let tools = inner.config.tools(&agent.tool_ids).await?;

    let running = match inner.running.start(session_id, assistant_message_id) {
        Ok(running) => running,
        Err(refused) => {
            admission.release().await;
            return Err(match refused {
                StartRefused::Busy => {
                    ServiceError::Conflict("a turn is already running in this session".to_string())
                }
                StartRefused::ShuttingDown => ServiceError::ModelUnavailable(
                    "the server is shutting down; try again shortly".to_string(),
                ),
            });
        }
    };

    let now = ports.clock.now();
    // The session's hold in the store: one turn per session across every
    // process, whichever receives the request.
    let lease = runner::lease(inner, session_id, assistant_message_id);
    if let Err(e) = retry_transient(|| ports.turns.begin(&lease, now)).await {
        inner.running.finish(&session_id);
        admission.release().await;
        return Err(match e.kind {
            pika_ports::ErrorKind::Conflict => {
                ServiceError::Conflict("a turn is already running in this session".to_string())
            }
            _ => e.into(),
        });
    }
    let unhold = || async {
        inner.running.finish(&session_id);
        admission.release().await;
        if let Err(e) = ports.turns.end(&session_id, &assistant_message_id).await {
            tracing::warn!(error = %e, "a turn's hold could not be freed; it expires by itself");
        }
    };
    let stored = store_start(
        inner,
        caller,
        &message,
        StartIds {
            session_id,
            user_message_id,
            assistant_message_id,
        },
        existing.clone(),
        &config,
        &agent.agent_id,
        entity,
        files,
        now,
    )
    .await;
    let (session, user_message) = match stored {
        Ok(Started::Fresh {
            session,
            user_message,
        }) => (*session, *user_message),
        Ok(Started::Claimed(claim)) => {
            unhold().await;
            return replay(inner, caller, &message, claim).await;
        }
        Err(e) => {
            unhold().await;
            return Err(e);
        }
    };

    running.log.push(TurnEvent::Session {
        session_id,
        user_message_id,
        assistant_message_id,
    });
    let events = running.log.follow(0);
    runner::spawn(
        Arc::clone(inner),
        Turn {
            caller: caller.clone(),
            agent,
            tools,
            features,
            site,
            is_first_turn: existing
                .as_ref()
                .is_none_or(|s| s.last_message_id.is_none()),
            session,
            user_message,
            assistant_message_id,
            running: Arc::clone(&running),
            deadline: time_limit.map(|limit| tokio::time::Instant::now() + limit),
            admission: admission.into_admission(),
            routing,
        },
    );
    Ok(Attempt::Streaming(TurnStream {
        session_id,
        user_message_id,
        assistant_message_id,
        replayed: false,
        events,
    }))
}

/// Turns `fileRef`s (`{fileId}/{name}`) into files of this caller's session
/// that exist in the file store.
async fn resolve_files(
    inner: &ChatInner,
    caller: &User,
    session: &SessionId,
    refs: &[String],
) -> Result<Vec<FileRef>, ServiceError> {
    let mut files = Vec::with_capacity(refs.len());
    for raw in refs {
        let invalid =
            || ServiceError::Invalid(format!("'{raw}' is not a fileRef ({{fileId}}/{{name}})"));
        let (id, name) = raw.split_once('/').ok_or_else(invalid)?;
        let file_id = FileId::parse(id).map_err(|_| invalid())?;
        if name.is_empty() {
            return Err(invalid());
        }
        let key = upload_key(&caller.user_id, session, &file_id, name);
        // A well-formed reference to no uploaded file names nothing.
        let info = inner
            .ports
            .files
            .head(&key)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("file '{raw}'")))?;
        files.push(FileRef {
            file_id,
            name: name.to_string(),
            content_type: info
                .content_type
                .unwrap_or_else(|| "application/octet-stream".to_string()),
            key,
        });
    }
    Ok(files)
}

struct StartIds {
    session_id: SessionId,
    user_message_id: pika_domain::ids::MessageId,
    assistant_message_id: pika_domain::ids::MessageId,
}

enum Started {
    Fresh {
        session: Box<Session>,
        user_message: Box<Message>,
    },
    Claimed(TurnClaim),
}

/// Claims the client id, creates the session when new, stores the user's
/// message. On failure, undoes what it did so the client can retry cleanly.
#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename them
async fn store_start(
    inner: &ChatInner,
    caller: &User,
    message: &SendMessage,
    ids: StartIds,
    existing: Option<Session>,
    config: &AppConfig,
    agent_id: &pika_domain::ids::AgentId,
    entity: EntityId,
    files: Vec<FileRef>,
    now: pika_domain::chrono::DateTime<pika_domain::chrono::Utc>,
) -> Result<Started, ServiceError> {
    let ports = &inner.ports;
    let client_id: Option<&ClientMessageId> = message.client_message_id.as_ref();
    let claim = TurnClaim {
        session_id: ids.session_id,
        user_message_id: ids.user_message_id,
        assistant_message_id: ids.assistant_message_id,
        claimed_at: now,
    };
    let is_new = existing.is_none();
    let session = existing.unwrap_or_else(|| {
        let mut session = Session::new(
            ids.session_id,
            caller.user_id.clone(),
            config.app.chat_app_id.clone(),
            agent_id.clone(),
            entity,
            now,
        );
        // The chat app's retention: the cleanup job deletes it after that.
        session.expires_at = config.app.session_expiry(now);
        session
    });
    let mut user_message = Message::user(
        ids.session_id,
        ids.user_message_id,
        message.text.clone(),
        now,
    );
    user_message.client_message_id = message.client_message_id.clone();
    user_message.files = files;

    if let Some(journal) = &ports.journal {
        // One all-or-nothing request (DynamoDB: a transaction).
        let start = TurnStart {
            claim: client_id.map(|client_id| ClientClaim {
                user_id: caller.user_id.clone(),
                client_id: client_id.clone(),
                claim: claim.clone(),
            }),
            new_session: is_new.then(|| session.clone()),
            user_message: user_message.clone(),
        };
        return match retry_transient(|| journal.start(&start)).await? {
            StartOutcome::Claimed(previous) => Ok(Started::Claimed(previous)),
            StartOutcome::Started => Ok(Started::Fresh {
                session: Box::new(session),
                user_message: Box::new(user_message),
            }),
        };
    }

    if let Some(client_id) = client_id {
        let outcome = retry_transient(|| {
            ports
                .messages
                .claim_client_message(&caller.user_id, client_id, &claim)
        })
        .await?;
        if let ClaimOutcome::Existing(previous) = outcome {
            return Ok(Started::Claimed(previous));
        }
    }
    let release = || async {
        if let Some(client_id) = client_id {
            if let Err(e) = ports
                .messages
                .release_client_message(&caller.user_id, client_id)
                .await
            {
                tracing::warn!(error = %e, "could not release a client message claim");
            }
        }
    };

    if is_new {
        if let Err(e) = retry_transient(|| ports.sessions.create(&session)).await {
            release().await;
            return Err(e.into());
        }
    }

    if let Err(e) = retry_transient(|| ports.messages.put(&user_message)).await {
        if is_new {
            if let Err(undo) = ports.sessions.delete(&ids.session_id).await {
                tracing::warn!(error = %undo, "could not remove the session of a refused turn");
            }
        }
        release().await;
        return Err(e.into());
    }
    Ok(Started::Fresh {
        session: Box::new(session),
        user_message: Box::new(user_message),
    })
}

//! Sessions as their owners (and admins) see them (PIKA.md §2, §6): list,
//! read, create, delete, title, pin, share — always scoped to what the caller
//! may read. A session the caller may not read is `NotFound`, never
//! `Forbidden`, so its existence does not leak.

use crate::cleanup::CleanupService;
use crate::config_cache::ConfigCache;
use crate::error::ServiceError;
use crate::fair_use;
use crate::ports::Ports;
use crate::retry::retry_transient;
use pika_domain::access::{decide_access, AccessDecision};
use pika_domain::cost::PriceTable;
use pika_domain::features::resolve_features;
use pika_domain::ids::{ChatAppId, SessionId, ShareId};
use pika_domain::message::{has_control_characters, Message, Role};
use pika_domain::session::{
    may_read_shared, session_access, Session, SessionAccess, ShareInfo, SharedSession,
};
use pika_domain::title::{clean_title, title_input, TITLE_INSTRUCTION};
use pika_domain::user::User;
use pika_ports::{
    CompletionPurpose, CompletionRequest, IdGeneratorExt, Page, PageRequest, SessionPatch,
    UsageRecord,
};
use std::sync::Arc;

/// The session, if `caller` may read it (owner, content or site admin).
pub(crate) async fn readable(
    ports: &Ports,
    caller: &User,
    id: &SessionId,
) -> Result<Session, ServiceError> {
    let session = ports
        .sessions
        .get(id)
        .await?
        .ok_or_else(|| ServiceError::not_found("session"))?;
    match session_access(caller, &session) {
        SessionAccess::None => Err(ServiceError::not_found("session")),
        _ => Ok(session),
    }
}

/// The session, if `caller` owns it; viewers get `Forbidden`, others `NotFound`.
pub(crate) async fn owned(
    ports: &Ports,
    caller: &User,
    id: &SessionId,
) -> Result<Session, ServiceError> {
    let session = ports
        .sessions
        .get(id)
        .await?
        .ok_or_else(|| ServiceError::not_found("session"))?;
    match session_access(caller, &session) {
        SessionAccess::Owner => Ok(session),
        SessionAccess::Viewer => Err(ServiceError::Forbidden(
            "admins may view this session, but only its owner may post into it or change it"
                .to_string(),
        )),
        SessionAccess::None => Err(ServiceError::not_found("session")),
    }
}

/// A stored message as its readers get it: without the stream events it
/// replays from, and — unless `detailed` (`detailedTraces`, the live
/// stream's rule) — without tool inputs and outputs.
pub(crate) fn for_reader(mut m: Message, detailed: bool) -> Message {
    m.stream_events.clear();
    if !detailed {
        for call in &mut m.tool_calls {
            call.input = serde_json::Value::Null;
            call.output = serde_json::Value::Null;
        }
    }
    m
}

/// A message as a share reader gets it: as [`for_reader`], and without the
/// owner's usage and cost, client message id, or where their files are
/// stored.
fn for_share_reader(m: Message, detailed: bool) -> Message {
    let mut m = for_reader(m, detailed);
    m.usage = None;
    m.client_message_id = None;
    for file in &mut m.files {
        file.key = String::new();
    }
    m
}

/// The session use cases.
#[derive(Clone)]
pub struct SessionService {
    ports: Ports,
    config: Arc<ConfigCache>,
    cleanup: CleanupService,
    prices: Arc<PriceTable>,
}

impl SessionService {
    /// A session service; the site configuration comes through `config`.
    pub fn new(ports: Ports, config: Arc<ConfigCache>) -> Self {
        let cleanup = CleanupService::new(ports.clone());
        Self {
            ports,
            config,
            cleanup,
            prices: Arc::new(PriceTable::bedrock_defaults()),
        }
    }

    /// The prices generated titles are booked at (Bedrock's by default).
    #[must_use]
    pub fn with_prices(mut self, prices: PriceTable) -> Self {
        self.prices = Arc::new(prices);
        self
    }

    /// The caller's own sessions, newest first, optionally of one chat app.
    ///
    /// # Errors
    /// `Invalid` for a bad cursor; store failures.
    pub async fn list(
        &self,
        caller: &User,
        chat_app: Option<ChatAppId>,
        page: PageRequest,
    ) -> Result<Page<Session>, ServiceError> {
        Ok(self
            .ports
            .sessions
            .list_by_user(&caller.user_id, chat_app, page)
            .await?)
    }

    /// One session the caller may read.
    ///
    /// # Errors
    /// `NotFound` when absent or not readable.
    pub async fn get(&self, caller: &User, id: &SessionId) -> Result<Session, ServiceError> {
        readable(&self.ports, caller, id).await
    }

    /// Creates an empty session in a chat app the caller may use.
    ///
    /// # Errors
    /// `NotFound` for an unknown chat app; `Forbidden` when access is denied.
    pub async fn create(
        &self,
        caller: &User,
        chat_app: &ChatAppId,
    ) -> Result<Session, ServiceError> {
        let config = self
            .config
            .chat_app(chat_app)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("chat app {chat_app}")))?;
        let site = self.config.site().await?;
        if let AccessDecision::Deny(reason) =
            decide_access(caller, &config.app, config.ovr.as_ref(), &site)
        {
            // Reported like an unknown app, so which app ids exist does not leak.
            tracing::info!(user = %caller.user_id, chat_app = %chat_app, ?reason, "session refused: access denied");
            return Err(ServiceError::not_found(format!("chat app {chat_app}")));
        }
        let features = resolve_features(caller, &config.app, config.ovr.as_ref(), &site);
        let entity = features.entity_of(caller);
        let now = self.ports.clock.now();
        let mut session = Session::new(
            self.ports.ids.session_id(),
            caller.user_id.clone(),
            chat_app.clone(),
            config.app.agent_id.clone(),
            entity,
            now,
        );
        session.expires_at = config.app.session_expiry(now);
        retry_transient(|| self.ports.sessions.create(&session)).await?;
        Ok(session)
    }

    /// The messages of a session the caller may read, oldest first.
    ///
    /// # Errors
    /// `NotFound` when not readable; `Invalid` for a bad cursor.
    pub async fn messages(
        &self,
        caller: &User,
        id: &SessionId,
        page: PageRequest,
    ) -> Result<Page<Message>, ServiceError> {
        let session = readable(&self.ports, caller, id).await?;
        let detailed = self.detailed_traces(caller, &session).await?;
        Ok(self
            .ports
            .messages
            .list(id, page)
            .await?
            .map(|m| for_reader(m, detailed)))
    }

    /// Whether `caller` gets tool inputs and outputs in `session`'s
    /// messages: the `detailedTraces` feature resolved for them, as the live
    /// stream resolves it.
    async fn detailed_traces(
        &self,
        caller: &User,
        session: &Session,
    ) -> Result<bool, ServiceError> {
        let Some(app) = self.config.chat_app(&session.chat_app_id).await? else {
            return Ok(false);
        };
        let site = self.config.site().await?;
        Ok(resolve_features(caller, &app.app, app.ovr.as_ref(), &site).detailed_traces)
    }

    /// Deletes a session the caller owns, with its messages, search
    /// documents, uploads, insight document and feedback.
    ///
    /// # Errors
    /// `NotFound` / `Forbidden` as for every owner-only change.
    pub async fn delete(&self, caller: &User, id: &SessionId) -> Result<(), ServiceError> {
        let session = owned(&self.ports, caller, id).await?;
        self.cleanup.delete_session(&session).await.map(|_files| ())
    }

    /// Sets the title to `title`, or generates one from the conversation when
    /// `title` is `None`.
    ///
    /// # Errors
    /// `Invalid` for an empty title or a session with nothing to title yet;
    /// `ModelUnavailable` when generation fails.
    pub async fn set_title(
        &self,
        caller: &User,
        id: &SessionId,
        title: Option<String>,
    ) -> Result<Session, ServiceError> {
        let session = owned(&self.ports, caller, id).await?;
        let title = match title {
            Some(raw) if has_control_characters(&raw) => {
                return Err(ServiceError::Invalid(
                    "the title must not contain control characters".to_string(),
                ))
            }
            Some(raw) => clean_title(&raw, false)
                .ok_or_else(|| ServiceError::Invalid("the title must not be empty".to_string()))?,
            None => self.generate_title(caller, &session).await?,
        };
        self.patch(
            id,
            SessionPatch {
                title: Some(Some(title)),
                ..SessionPatch::default()
            },
        )
        .await
    }

    /// A title from the first question and answer: admitted like a turn
    /// (rate limits, quotas) and booked in the ledger under its model.
    async fn generate_title(
        &self,
        caller: &User,
        session: &Session,
    ) -> Result<String, ServiceError> {
        let id = &session.session_id;
        let first = self
            .ports
            .messages
            .list(id, PageRequest::first(2))
            .await?
            .items;
        let question = first
            .iter()
            .find(|m| m.role == Role::User)
            .map(|m| m.content.as_str());
        let answer = first
            .iter()
            .find(|m| m.role == Role::Assistant)
            .map(|m| m.content.as_str());
        let Some(question) = question else {
            return Err(ServiceError::Invalid(
                "the session has no messages to title".to_string(),
            ));
        };
        let site = self.config.site().await?;
        let app = self.config.chat_app(&session.chat_app_id).await?;
        fair_use::admit_call(
            &self.ports,
            &site,
            app.as_ref().and_then(|a| a.app.quotas.as_ref()),
            &caller.user_id,
            &session.entity_id,
        )
        .await?;
        // As in the turn: the site's title model, else the agent's verification model.
        let model_id = match site.title_model_id.clone() {
            Some(model) => model,
            None => self
                .config
                .agent(&session.agent_id)
                .await?
                .map(|a| a.verification_model().to_string())
                .unwrap_or_else(|| pika_domain::agent::DEFAULT_VERIFICATION_MODEL_ID.to_string()),
        };
        let request = CompletionRequest {
            model_id: model_id.clone(),
            instruction: TITLE_INSTRUCTION.to_string(),
            input: title_input(question, answer.unwrap_or_default()),
            max_output_tokens: 32,
            purpose: CompletionPurpose::Title,
        };
        let completion = self
            .ports
            .completions
            .complete(request)
            .await
            .map_err(crate::error::from_model_error)?;
        let usage = self.prices.cost(&model_id, completion.usage);
        if usage.tokens().total() > 0 {
            let record = UsageRecord {
                also: Vec::new(),
                counts_turn: false,
                at: self.ports.clock.now(),
                user_id: caller.user_id.clone(),
                entity_id: session.entity_id.clone(),
                chat_app_id: session.chat_app_id.clone(),
                model_id,
                usage,
            };
            // The tokens are spent: a failed booking is logged, not the user's problem.
            if let Err(e) = retry_transient(|| self.ports.usage.record(&record)).await {
                tracing::error!(error = %e, session = %id, "a title's usage could not be booked");
            }
        }
        clean_title(&completion.text, true).ok_or_else(|| {
            ServiceError::ModelUnavailable("the model gave an empty title".to_string())
        })
    }

    /// Pins or unpins a session the caller owns.
    ///
    /// # Errors
    /// `NotFound` / `Forbidden`.
    pub async fn set_pinned(
        &self,
        caller: &User,
        id: &SessionId,
        pinned: bool,
    ) -> Result<Session, ServiceError> {
        owned(&self.ports, caller, id).await?;
        self.patch(
            id,
            SessionPatch {
                pinned: Some(pinned),
                ..SessionPatch::default()
            },
        )
        .await
    }

    /// Shares a session the caller owns; sharing a shared session returns
    /// the same link.
    ///
    /// # Errors
    /// `NotFound` / `Forbidden`.
    pub async fn share(&self, caller: &User, id: &SessionId) -> Result<Session, ServiceError> {
        let session = owned(&self.ports, caller, id).await?;
        if session.share.as_ref().is_some_and(ShareInfo::is_active) {
            return Ok(session);
        }
        let share = ShareInfo {
            share_id: self.ports.ids.share_id(),
            shared_by: caller.user_id.clone(),
            shared_at: self.ports.clock.now(),
            revoked_at: None,
        };
        self.patch(
            id,
            SessionPatch {
                share: Some(Some(share)),
                ..SessionPatch::default()
            },
        )
        .await
    }

    /// Revokes the share of a session the caller owns.
    ///
    /// # Errors
    /// `NotFound` / `Forbidden`; `NotFound` when it is not shared.
    pub async fn revoke_share(
        &self,
        caller: &User,
        id: &SessionId,
    ) -> Result<Session, ServiceError> {
        let session = owned(&self.ports, caller, id).await?;
        let Some(mut share) = session.share.filter(ShareInfo::is_active) else {
            return Err(ServiceError::not_found("share"));
        };
        share.revoked_at = Some(self.ports.clock.now());
        self.patch(
            id,
            SessionPatch {
                share: Some(Some(share)),
                ..SessionPatch::default()
            },
        )
        .await
    }

    /// A shared session and its first page of messages, when the share is
    /// active and the caller may read it (same entity, or a global session).
    ///
    /// # Errors
    /// `NotFound` otherwise.
    pub async fn read_shared(
        &self,
        caller: &User,
        share: &ShareId,
        page: PageRequest,
    ) -> Result<(SharedSession, Page<Message>), ServiceError> {
        let session = self
            .ports
            .sessions
            .get_by_share(share)
            .await?
            .ok_or_else(|| ServiceError::not_found("share"))?;
        let site = self.config.site().await?;
        if !may_read_shared(caller, &session, site.entity_attribute_path()) {
            return Err(ServiceError::not_found("share"));
        }
        let detailed = self.detailed_traces(caller, &session).await?;
        let messages = self
            .ports
            .messages
            .list(&session.session_id, page)
            .await?
            .map(|m| for_share_reader(m, detailed));
        Ok((SharedSession::from(&session), messages))
    }

    async fn patch(
        &self,
        id: &SessionId,
        mut patch: SessionPatch,
    ) -> Result<Session, ServiceError> {
        patch.updated_at = Some(self.ports.clock.now());
        Ok(retry_transient(|| self.ports.sessions.update(id, &patch)).await?)
    }
}

//! Feedback from people (thumbs, comments) and its triage by site admins
//! (PIKA.md §10).

use crate::error::ServiceError;
use crate::ports::Ports;
use crate::retry::retry_transient;
use crate::sessions::{owned, readable};
use pika_domain::feedback::{
    Feedback, FeedbackKind, FeedbackSource, FeedbackStatus, Severity, MAX_COMMENT_CHARS,
};
use pika_domain::ids::{FeedbackId, MessageId, SessionId};
use pika_domain::message::has_control_characters;
use pika_domain::user::User;
use pika_ports::{FeedbackFilter, IdGeneratorExt, Page, PageRequest};

/// What a user says about a session or one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackInput {
    /// The answer it is about, if one.
    pub message_id: Option<MessageId>,
    /// Thumbs up, thumbs down, hallucination, …
    pub kind: FeedbackKind,
    /// Free text.
    pub comment: Option<String>,
}

/// What a site admin changes when triaging.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Triage {
    /// New status.
    pub status: Option<FeedbackStatus>,
    /// New severity.
    pub severity: Option<Severity>,
    /// Internal note (replaces the previous one).
    pub internal_comment: Option<String>,
}

/// The feedback use cases.
#[derive(Clone)]
pub struct FeedbackService {
    ports: Ports,
}

impl FeedbackService {
    /// A feedback service.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Records feedback on a session the caller owns.
    ///
    /// # Errors
    /// `NotFound` for a session the caller may not read (or an unknown
    /// message); `Forbidden` for viewers; `Invalid` for an oversized comment.
    pub async fn submit(
        &self,
        caller: &User,
        session: &SessionId,
        input: FeedbackInput,
    ) -> Result<Feedback, ServiceError> {
        let s = owned(&self.ports, caller, session).await?;
        let comment = input
            .comment
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        if comment.as_deref().is_some_and(has_control_characters) {
            return Err(ServiceError::Invalid(
                "the comment must not contain control characters".to_string(),
            ));
        }
        if comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
        {
            return Err(ServiceError::Invalid(format!(
                "the comment is longer than {MAX_COMMENT_CHARS} characters"
            )));
        }
        if let Some(m) = &input.message_id {
            if self.ports.messages.get(session, m).await?.is_none() {
                return Err(ServiceError::not_found("message"));
            }
        }
        let now = self.ports.clock.now();
        let feedback = Feedback {
            feedback_id: self.ports.ids.feedback_id(),
            session_id: *session,
            chat_app_id: s.chat_app_id,
            message_id: input.message_id,
            reporter: Some(caller.user_id.clone()),
            source: FeedbackSource::Human,
            status: FeedbackStatus::Open,
            severity: None,
            kind: input.kind,
            comment,
            internal_comment: None,
            created_at: now,
            updated_at: now,
        };
        retry_transient(|| self.ports.feedback.create(&feedback)).await?;
        Ok(feedback)
    }

    /// The feedback of a session: for its owner (without internal notes)
    /// and for admins.
    ///
    /// # Errors
    /// `NotFound` for a session the caller may not read.
    pub async fn for_session(
        &self,
        caller: &User,
        session: &SessionId,
    ) -> Result<Vec<Feedback>, ServiceError> {
        readable(&self.ports, caller, session).await?;
        let mut all = self.ports.feedback.list_by_session(session).await?;
        if !caller.may_view_others() {
            for f in &mut all {
                f.internal_comment = None;
            }
        }
        Ok(all)
    }

    /// Feedback matching `filter`, newest first. Site admins only.
    ///
    /// # Errors
    /// `Forbidden`; store failures.
    pub async fn list(
        &self,
        caller: &User,
        filter: &FeedbackFilter,
        page: PageRequest,
    ) -> Result<Page<Feedback>, ServiceError> {
        if !caller.is_site_admin() {
            return Err(ServiceError::Forbidden("site admins only".to_string()));
        }
        Ok(self.ports.feedback.list(filter, page).await?)
    }

    /// Triage: status, severity, internal note. Site admins only.
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`; `Invalid` for an oversized note.
    pub async fn triage(
        &self,
        caller: &User,
        id: &FeedbackId,
        change: Triage,
    ) -> Result<Feedback, ServiceError> {
        if !caller.is_site_admin() {
            return Err(ServiceError::Forbidden("site admins only".to_string()));
        }
        let mut feedback = self
            .ports
            .feedback
            .get(id)
            .await?
            .ok_or_else(|| ServiceError::not_found("feedback"))?;
        if let Some(status) = change.status {
            feedback.status = status;
        }
        if let Some(severity) = change.severity {
            feedback.severity = Some(severity);
        }
        if let Some(note) = change.internal_comment {
            if has_control_characters(&note) {
                return Err(ServiceError::Invalid(
                    "the note must not contain control characters".to_string(),
                ));
            }
            if note.chars().count() > MAX_COMMENT_CHARS {
                return Err(ServiceError::Invalid(format!(
                    "the note is longer than {MAX_COMMENT_CHARS} characters"
                )));
            }
            feedback.internal_comment = Some(note);
        }
        feedback.updated_at = self.ports.clock.now();
        retry_transient(|| self.ports.feedback.update(&feedback)).await?;
        tracing::info!(target: "pika::audit", actor = %caller.user_id, action = "triage_feedback", feedback = %id, "admin change");
        Ok(feedback)
    }
}

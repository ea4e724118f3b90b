//! The insights runner (PIKA.md §10): sessions marked as needing analysis
//! and idle long enough are assessed by a model; the assessment is stored as
//! a JSON document, the session is updated and re-indexed with its score, and
//! the auto-feedback rules turn findings into feedback. One run at a time,
//! through the job lock.

use crate::config_cache::load_site;
use crate::error::ServiceError;
use crate::ports::Ports;
use crate::retry::retry_transient;
use crate::sessions::readable;
use pika_domain::chrono::Duration;
use pika_domain::cost::{PriceTable, TokenUsage};
use pika_domain::feedback::{Feedback, FeedbackKind, FeedbackSource, FeedbackStatus};
use pika_domain::files::insight_key;
use pika_domain::ids::SessionId;
use pika_domain::insights::{
    auto_feedback, parse_assessment, SessionAssessment, ASSESSMENT_INSTRUCTION,
};
use pika_domain::message::Role;
use pika_domain::session::{InsightStatus, Session};
use pika_domain::site::SiteConfig;
use pika_domain::user::User;
use pika_ports::{
    CompletionPurpose, CompletionRequest, ErrorKind, IdGeneratorExt, PageRequest, SessionPatch,
    UsageRecord,
};

/// The job lock's name.
pub const INSIGHTS_LOCK: &str = "insights-runner";
/// The longest transcript sent to the assessor, in characters.
const MAX_TRANSCRIPT_CHARS: usize = 60_000;

/// What one run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InsightsReport {
    /// Whether another run held the lock (then nothing was done).
    pub locked_out: bool,
    /// Sessions assessed and stored.
    pub analyzed: u32,
    /// Sessions whose assessment failed (retried next run).
    pub failed: u32,
    /// Sessions skipped: insights off for their chat app, or new messages arrived.
    pub skipped: u32,
}

/// The insights runner.
#[derive(Clone)]
pub struct InsightsRunner {
    ports: Ports,
    prices: std::sync::Arc<PriceTable>,
}

impl InsightsRunner {
    /// An insights runner; its settings are the stored site configuration's
    /// (`insights`), read once a run.
    pub fn new(ports: Ports) -> Self {
        Self {
            ports,
            prices: std::sync::Arc::new(PriceTable::bedrock_defaults()),
        }
    }

    /// The prices assessments are booked at (Bedrock's by default).
    #[must_use]
    pub fn with_prices(mut self, prices: PriceTable) -> Self {
        self.prices = std::sync::Arc::new(prices);
        self
    }

    /// Books an assessment's tokens under the insights model, to the
    /// session's user, entity and chat app; not a chat turn. A failed
    /// booking is logged: the tokens are spent either way.
    async fn book(&self, session: &Session, model_id: &str, tokens: TokenUsage) {
        let usage = self.prices.cost(model_id, tokens);
        if usage.tokens().total() == 0 {
            return;
        }
        let record = UsageRecord {
            at: self.ports.clock.now(),
            user_id: session.user_id.clone(),
            entity_id: session.entity_id.clone(),
            chat_app_id: session.chat_app_id.clone(),
            model_id: model_id.to_string(),
            usage,
            also: Vec::new(),
            counts_turn: false,
        };
        if let Err(e) = retry_transient(|| self.ports.usage.record(&record)).await {
            tracing::error!(error = %e, session = %session.session_id, "an assessment's usage could not be booked");
        }
    }

    /// One run, as `owner` (e.g. the Lambda request id). Does nothing when
    /// another run holds the lock. `batch_size` and `idle_minutes` override
    /// the site settings when given (the scheduled event's input).
    ///
    /// # Errors
    /// Failures of the lock or of listing sessions; a failing session is
    /// counted in the report instead.
    pub async fn run_once(
        &self,
        owner: &str,
        batch_size: Option<u32>,
        idle_minutes: Option<i64>,
    ) -> Result<InsightsReport, ServiceError> {
        let site = load_site(&self.ports).await?;
        let cfg = &site.insights;
        let now = self.ports.clock.now();
        let expires = now + Duration::seconds(cfg.lock_ttl_seconds.max(1));
        if !self
            .ports
            .job_lock
            .try_acquire(INSIGHTS_LOCK, owner, now, expires)
            .await?
        {
            tracing::info!(owner, "insights run skipped: another run holds the lock");
            return Ok(InsightsReport {
                locked_out: true,
                ..InsightsReport::default()
            });
        }
        let result = self.analyze_batch(&site, batch_size, idle_minutes).await;
        if let Err(e) = self.ports.job_lock.release(INSIGHTS_LOCK, owner).await {
            tracing::warn!(error = %e, "the insights lock could not be released; it expires by itself");
        }
        result
    }

    async fn analyze_batch(
        &self,
        site: &SiteConfig,
        batch_size: Option<u32>,
        idle_minutes: Option<i64>,
    ) -> Result<InsightsReport, ServiceError> {
        let cfg = &site.insights;
        let now = self.ports.clock.now();
        let idle_before = now - Duration::minutes(idle_minutes.unwrap_or(cfg.idle_minutes).max(0));
        let sessions = self
            .ports
            .sessions
            .list_needing_insights(idle_before, batch_size.unwrap_or(cfg.batch_size).max(1))
            .await?;
        let mut report = InsightsReport::default();
        for session in sessions {
            match self.analyze(site, &session).await {
                Ok(true) => report.analyzed += 1,
                Ok(false) => report.skipped += 1,
                Err(e) => {
                    tracing::warn!(session = %session.session_id, error = %e, "insight assessment failed");
                    report.failed += 1;
                    // Marked as touched now: a session that keeps failing
                    // goes to the back of the queue (least recently updated
                    // first) instead of blocking every later run.
                    let patch = SessionPatch {
                        insight_status: Some(InsightStatus::Failed),
                        updated_at: Some(self.ports.clock.now()),
                        ..SessionPatch::default()
                    };
                    if let Err(e) = self
                        .ports
                        .sessions
                        .update(&session.session_id, &patch)
                        .await
                    {
                        tracing::warn!(error = %e, "could not mark the session's insights as failed");
                    }
                }
            }
        }
        Ok(report)
    }

    /// Assesses one session; `Ok(false)` when skipped.
    async fn analyze(&self, site: &SiteConfig, session: &Session) -> Result<bool, ServiceError> {
        let Some(last) = session.last_message_id else {
            return Ok(false);
        };
        if !self.insights_enabled(site, session).await? {
            self.mark_done(session, last).await?;
            return Ok(false);
        }
        let transcript = self.transcript(&session.session_id).await?;
        let completion = self
            .ports
            .completions
            .complete(CompletionRequest {
                model_id: site.insights.model_id.clone(),
                instruction: ASSESSMENT_INSTRUCTION.to_string(),
                input: transcript,
                max_output_tokens: 1_500,
                purpose: CompletionPurpose::Assessment,
            })
            .await
            .map_err(crate::error::from_model_error)?;
        self.book(session, &site.insights.model_id, completion.usage)
            .await;
        let assessment =
            parse_assessment(&completion.text).map_err(ServiceError::ModelUnavailable)?;
        let body = serde_json::to_vec_pretty(&assessment).map_err(|e| ServiceError::Internal {
            message: e.to_string(),
            retryable: false,
        })?;
        let key = insight_key(&session.chat_app_id, &session.user_id, &session.session_id);
        retry_transient(|| self.ports.files.put(&key, body.clone(), "application/json")).await?;
        retry_transient(|| {
            self.ports
                .search
                .set_session_score(&session.session_id, assessment.overall_score())
        })
        .await?;
        self.record_findings(session, &assessment).await?;
        match self.mark_done(session, last).await {
            // New messages arrived meanwhile: the session stays pending and is
            // analysed again later, with them.
            Err(ServiceError::Conflict(_)) => Ok(true),
            other => other.map(|()| true),
        }
    }

    async fn insights_enabled(
        &self,
        site: &SiteConfig,
        session: &Session,
    ) -> Result<bool, ServiceError> {
        let Some(app) = self.ports.chat_apps.get(&session.chat_app_id).await? else {
            return Ok(false);
        };
        let ovr = self
            .ports
            .chat_apps
            .get_override(&session.chat_app_id)
            .await?;
        // `sessionInsights` is site-gated, not rule-gated: it does not depend on
        // who is asking, so the session's owner stands in for the caller.
        let owner = User::new(
            session.user_id.clone(),
            pika_domain::user::UserType::ExternalUser,
        );
        Ok(
            pika_domain::features::resolve_features(&owner, &app, ovr.as_ref(), site)
                .session_insights,
        )
    }

    async fn transcript(&self, session: &SessionId) -> Result<String, ServiceError> {
        let mut out = String::new();
        let mut page = PageRequest::first(100);
        loop {
            let batch = self.ports.messages.list(session, page).await?;
            for m in &batch.items {
                let who = match m.role {
                    Role::User => "User",
                    Role::Assistant => "Assistant",
                };
                out.push_str(&format!("{who}: {}\n\n", m.content));
            }
            match batch.next_cursor {
                Some(c) if out.len() < MAX_TRANSCRIPT_CHARS => {
                    page = PageRequest::after(100, Some(c))
                }
                _ => break,
            }
        }
        Ok(out.chars().take(MAX_TRANSCRIPT_CHARS).collect())
    }

    async fn record_findings(
        &self,
        session: &Session,
        assessment: &SessionAssessment,
    ) -> Result<(), ServiceError> {
        let now = self.ports.clock.now();
        for finding in auto_feedback(assessment) {
            let feedback = Feedback {
                feedback_id: self.ports.ids.feedback_id(),
                session_id: session.session_id,
                chat_app_id: session.chat_app_id.clone(),
                message_id: None,
                reporter: None,
                source: FeedbackSource::Automatic,
                status: FeedbackStatus::Open,
                severity: Some(finding.severity),
                kind: FeedbackKind::InsightFinding,
                comment: Some(finding.reason.to_string()),
                internal_comment: None,
                created_at: now,
                updated_at: now,
            };
            retry_transient(|| self.ports.feedback.create(&feedback)).await?;
        }
        Ok(())
    }

    async fn mark_done(
        &self,
        session: &Session,
        last: pika_domain::ids::MessageId,
    ) -> Result<(), ServiceError> {
        let patch = SessionPatch {
            insight_status: Some(InsightStatus::UpToDate),
            last_analyzed_message_id: Some(last),
            if_last_message_id: Some(last),
            ..SessionPatch::default()
        };
        match self
            .ports
            .sessions
            .update(&session.session_id, &patch)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is(ErrorKind::Conflict) => Err(ServiceError::Conflict(e.message)),
            Err(e) => Err(e.into()),
        }
    }

    /// The stored assessment of a session, for site admins and the
    /// session's owner; `None` when it was not assessed yet.
    ///
    /// # Errors
    /// `NotFound` for a session the caller may not read (content admins
    /// read sessions, but insights are for site admins and owners).
    pub async fn insight_of(
        &self,
        caller: &User,
        session: &SessionId,
    ) -> Result<Option<SessionAssessment>, ServiceError> {
        let s = readable(&self.ports, caller, session).await?;
        if s.user_id != caller.user_id && !caller.is_site_admin() {
            return Err(ServiceError::not_found("session"));
        }
        let key = insight_key(&s.chat_app_id, &s.user_id, &s.session_id);
        let Some(body) = self.ports.files.get(&key).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| ServiceError::Internal {
                message: format!("stored assessment unreadable: {e}"),
                retryable: false,
            })
    }
}

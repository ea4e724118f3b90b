//! Deleting data (PIKA.md §10 "Deletion"): one session with everything that
//! hangs off it, expired sessions, and every trace of one user.

use crate::error::ServiceError;
use crate::ports::Ports;
use crate::retry::retry_transient;
use pika_domain::files::{insight_key, session_upload_prefix, user_upload_prefix};
use pika_domain::ids::UserId;
use pika_domain::session::Session;
use pika_domain::user::User;
use pika_ports::PageRequest;
use std::time::Duration;

/// The longest an erasure waits for the user's running turns to stop (a
/// stop reaches a runner within one heartbeat; a turn whose process died
/// holds its session until its hold runs out, and is not waited for).
const SETTLE_WAIT: Duration = Duration::from_secs(5);
/// How often an erasure looks whether the stopped turns ended.
const SETTLE_POLL: Duration = Duration::from_millis(100);

/// What an erasure removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ErasureReport {
    /// Sessions deleted (with their messages, documents and files).
    pub sessions: u64,
    /// Uploaded files deleted.
    pub files: u64,
}

/// The cleanup use cases.
#[derive(Clone)]
pub struct CleanupService {
    ports: Ports,
}

impl CleanupService {
    /// A cleanup service.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Deletes `session` and its messages, search documents, uploads,
    /// insight document and feedback. The session record goes last, so a
    /// retry after a failure finds it and finishes the job. Returns the
    /// number of files deleted.
    ///
    /// # Errors
    /// Store failures (after retries); what was deleted stays deleted.
    pub async fn delete_session(&self, session: &Session) -> Result<u64, ServiceError> {
        let p = &self.ports;
        let id = session.session_id;
        retry_transient(|| p.messages.delete_session(&id)).await?;
        retry_transient(|| p.search.delete_session(&id)).await?;
        let uploads = session_upload_prefix(&session.user_id, &id);
        let mut files = retry_transient(|| p.files.delete_prefix(&uploads)).await?;
        let insight = insight_key(&session.chat_app_id, &session.user_id, &id);
        files += retry_transient(|| p.files.delete_prefix(&insight)).await?;
        retry_transient(|| p.feedback.delete_by_session(&id)).await?;
        retry_transient(|| p.sessions.delete(&id)).await?;
        tracing::info!(session = %id, "session deleted with its messages, documents and files");
        Ok(files)
    }

    /// Deletes up to `limit` sessions whose expiry has passed; returns how many.
    ///
    /// # Errors
    /// Store failures.
    pub async fn delete_expired(&self, limit: u32) -> Result<u64, ServiceError> {
        let now = self.ports.clock.now();
        let expired = self.ports.sessions.list_expired(now, limit).await?;
        let mut deleted = 0;
        for session in &expired {
            self.delete_session(session).await?;
            deleted += 1;
        }
        Ok(deleted)
    }

    /// Erases everything of `user`: sessions (with messages, documents and
    /// files), uploads, memory, usage counters and profile. Site admins only.
    ///
    /// # Errors
    /// `Forbidden` for anyone else; store failures (a retry finishes the job).
    pub async fn erase_user(
        &self,
        caller: &User,
        user: &UserId,
    ) -> Result<ErasureReport, ServiceError> {
        if !caller.is_site_admin() {
            return Err(ServiceError::Forbidden(
                "only site admins may erase a user's data".to_string(),
            ));
        }
        let p = &self.ports;
        self.settle_turns(user).await?;
        let mut report = ErasureReport::default();
        // Deleting sessions while paging would shift the pages: always read
        // the first page again until it is empty.
        loop {
            let page = p
                .sessions
                .list_by_user(user, None, PageRequest::first(50))
                .await?;
            if page.items.is_empty() {
                break;
            }
            for session in &page.items {
                report.files += self.delete_session(session).await?;
                report.sessions += 1;
            }
        }
        let uploads = user_upload_prefix(user);
        report.files += retry_transient(|| p.files.delete_prefix(&uploads)).await?;
        retry_transient(|| p.search.delete_user(user)).await?;
        retry_transient(|| p.memory.delete_user(user)).await?;
        retry_transient(|| p.usage.delete_user(user)).await?;
        retry_transient(|| p.users.delete(user)).await?;
        tracing::info!(target: "pika::audit", actor = %caller.user_id, action = "erase_user", user = %user,
            sessions = report.sessions, files = report.files, "user data erased");
        Ok(report)
    }

    /// Stops the running turns of `user`'s sessions, in any process, and
    /// waits (at most [`SETTLE_WAIT`]) until they ended: a turn that
    /// finished after the erasure would count its tokens under the erased
    /// user's id again. Stopped first, its answer and counts land before
    /// the erasure deletes them.
    async fn settle_turns(&self, user: &UserId) -> Result<(), ServiceError> {
        let p = &self.ports;
        let mut running = Vec::new();
        let mut cursor = None;
        loop {
            let page = p
                .sessions
                .list_by_user(user, None, PageRequest { limit: 100, cursor })
                .await?;
            for session in &page.items {
                let id = session.session_id;
                if retry_transient(|| p.turns.request_stop(&id, p.clock.now())).await? {
                    running.push(id);
                }
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let deadline = tokio::time::Instant::now() + SETTLE_WAIT;
        while !running.is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(SETTLE_POLL).await;
            let mut still = Vec::new();
            for id in running {
                if retry_transient(|| p.turns.request_stop(&id, p.clock.now())).await? {
                    still.push(id);
                }
            }
            running = still;
        }
        if !running.is_empty() {
            tracing::warn!(user = %user, turns = running.len(), "erasing while turns still hold their sessions");
        }
        Ok(())
    }
}

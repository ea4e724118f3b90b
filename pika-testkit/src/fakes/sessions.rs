//! An in-memory [`SessionStore`].

use crate::fakes::keyset::{self, Direction};
use crate::faults::Faults;
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{ChatAppId, EntityId, SessionId, ShareId, UserId};
use pika_domain::session::{InsightStatus, Session};
use pika_ports::{
    Page, PageRequest, PortError, PortResult, SessionPatch, SessionStore, TurnRecord,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Sessions in a map keyed by id, honouring the [`SessionStore`] contract as
/// the DynamoDB adapter does: conditional create, atomic turn records,
/// conditional patches, newest-first listings with opaque cursors.
#[derive(Default)]
pub struct InMemorySessionStore {
    sessions: Mutex<BTreeMap<SessionId, Session>>,
    faults: Arc<Faults>,
}

impl InMemorySessionStore {
    /// An empty store without faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store whose calls go through `faults`.
    pub fn with_faults(faults: Arc<Faults>) -> Self {
        Self {
            faults,
            ..Self::default()
        }
    }

    /// The fault rules and call counts of this store.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    /// Every stored session, oldest first (by id). Bypasses faults.
    pub fn all(&self) -> Vec<Session> {
        self.lock().values().cloned().collect()
    }

    /// The stored session with `id`, without going through faults or call counts.
    pub fn find(&self, id: &SessionId) -> Option<Session> {
        self.lock().get(id).cloned()
    }

    /// How many sessions are stored.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no session is stored.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<SessionId, Session>> {
        // A poisoned lock only means a test thread panicked; the map is intact.
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn newest_first(
        &self,
        tag: &str,
        page: &PageRequest,
        keep: impl Fn(&Session) -> bool,
    ) -> PortResult<Page<Session>> {
        let items = self
            .lock()
            .values()
            .filter(|s| keep(s))
            .map(|s| (s.session_id, s.clone()))
            .collect();
        keyset::paginate(
            items,
            Direction::Descending,
            tag,
            page,
            SessionId::to_string,
            |raw| SessionId::parse(raw).ok(),
        )
    }
}

fn missing(id: &SessionId) -> PortError {
    PortError::not_found(format!("session {id} does not exist"))
}

fn apply(session: &mut Session, patch: &SessionPatch) {
    if let Some(title) = &patch.title {
        session.title.clone_from(title);
    }
    if let Some(pinned) = patch.pinned {
        session.pinned = pinned;
    }
    if let Some(share) = &patch.share {
        session.share.clone_from(share);
    }
    if let Some(status) = patch.insight_status {
        session.insight_status = status;
    }
    if let Some(analyzed) = patch.last_analyzed_message_id {
        session.last_analyzed_message_id = Some(analyzed);
    }
    if let Some(expires_at) = patch.expires_at {
        session.expires_at = expires_at;
    }
    if let Some(updated_at) = patch.updated_at {
        session.updated_at = updated_at;
    }
}

#[async_trait]
impl SessionStore for InMemorySessionStore {
    async fn create(&self, session: &Session) -> PortResult<()> {
        self.faults.check("SessionStore::create").await?;
        let mut sessions = self.lock();
        if sessions.contains_key(&session.session_id) {
            return Err(PortError::conflict(format!(
                "session {} exists",
                session.session_id
            )));
        }
        sessions.insert(session.session_id, session.clone());
        Ok(())
    }

    async fn get(&self, id: &SessionId) -> PortResult<Option<Session>> {
        self.faults.check("SessionStore::get").await?;
        Ok(self.find(id))
    }

    async fn list_by_user(
        &self,
        user: &UserId,
        chat_app: Option<ChatAppId>,
        page: PageRequest,
    ) -> PortResult<Page<Session>> {
        self.faults.check("SessionStore::list_by_user").await?;
        self.newest_first("sessions-by-user", &page, |s| {
            s.user_id == *user && chat_app.as_ref().is_none_or(|app| s.chat_app_id == *app)
        })
    }

    async fn list_by_entity(
        &self,
        entity: &EntityId,
        page: PageRequest,
    ) -> PortResult<Page<Session>> {
        self.faults.check("SessionStore::list_by_entity").await?;
        self.newest_first("sessions-by-entity", &page, |s| s.entity_id == *entity)
    }

    async fn get_by_share(&self, share: &ShareId) -> PortResult<Option<Session>> {
        self.faults.check("SessionStore::get_by_share").await?;
        Ok(self
            .lock()
            .values()
            .find(|s| s.share.as_ref().is_some_and(|sh| sh.share_id == *share))
            .cloned())
    }

    async fn list_needing_insights(
        &self,
        idle_before: DateTime<Utc>,
        limit: u32,
    ) -> PortResult<Vec<Session>> {
        self.faults
            .check("SessionStore::list_needing_insights")
            .await?;
        let mut found: Vec<Session> = self
            .lock()
            .values()
            .filter(|s| {
                matches!(
                    s.insight_status,
                    InsightStatus::Pending | InsightStatus::Failed
                ) && s.updated_at <= idle_before
            })
            .cloned()
            .collect();
        found.sort_by_key(|s| (s.updated_at, s.session_id));
        found.truncate(limit as usize);
        Ok(found)
    }

    async fn list_expired(&self, now: DateTime<Utc>, limit: u32) -> PortResult<Vec<Session>> {
        self.faults.check("SessionStore::list_expired").await?;
        let mut found: Vec<Session> = self
            .lock()
            .values()
            .filter(|s| s.expires_at.is_some_and(|at| at <= now))
            .cloned()
            .collect();
        found.sort_by_key(|s| (s.expires_at, s.session_id));
        found.truncate(limit as usize);
        Ok(found)
    }

    async fn record_turn(&self, id: &SessionId, turn: &TurnRecord) -> PortResult<Session> {
        self.faults.check("SessionStore::record_turn").await?;
        let mut sessions = self.lock();
        let session = sessions.get_mut(id).ok_or_else(|| missing(id))?;
        session.usage += turn.usage;
        session.last_message_id = Some(turn.last_message_id);
        session.updated_at = turn.at;
        if turn.mark_for_insights {
            session.insight_status = InsightStatus::Pending;
        }
        Ok(session.clone())
    }

    async fn update(&self, id: &SessionId, patch: &SessionPatch) -> PortResult<Session> {
        self.faults.check("SessionStore::update").await?;
        let mut sessions = self.lock();
        let session = sessions.get_mut(id).ok_or_else(|| missing(id))?;
        if let Some(expected) = &patch.if_last_message_id {
            if session.last_message_id.as_ref() != Some(expected) {
                return Err(PortError::conflict(format!(
                    "session {id}: newest message is no longer {expected}"
                )));
            }
        }
        apply(session, patch);
        Ok(session.clone())
    }

    async fn delete(&self, id: &SessionId) -> PortResult<()> {
        self.faults.check("SessionStore::delete").await?;
        self.lock().remove(id);
        Ok(())
    }
}

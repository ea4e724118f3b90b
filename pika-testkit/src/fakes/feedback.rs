//! An in-memory [`FeedbackStore`].

use crate::fakes::keyset::{self, Direction};
use crate::faults::Faults;
use async_trait::async_trait;
use pika_domain::chrono::{DateTime, SecondsFormat, Utc};
use pika_domain::feedback::Feedback;
use pika_domain::ids::{FeedbackId, SessionId};
use pika_ports::{FeedbackFilter, FeedbackStore, Page, PageRequest, PortError, PortResult};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Feedback records keyed by id (see [`FeedbackStore`]). Listings order by
/// (`created_at`, `feedback_id`), as the adapter's index sort key does.
#[derive(Default)]
pub struct InMemoryFeedbackStore {
    records: Mutex<BTreeMap<FeedbackId, Feedback>>,
    faults: Arc<Faults>,
}

/// The listing order of a record.
type Key = (DateTime<Utc>, FeedbackId);

fn key_of(f: &Feedback) -> Key {
    (f.created_at, f.feedback_id)
}

fn encode_key((at, id): &Key) -> String {
    format!("{}|{id}", at.to_rfc3339_opts(SecondsFormat::Nanos, true))
}

fn decode_key(raw: &str) -> Option<Key> {
    let (at, id) = raw.split_once('|')?;
    let at = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
    Some((at, FeedbackId::parse(id).ok()?))
}

impl InMemoryFeedbackStore {
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

    /// Every stored record, oldest first. Bypasses faults.
    pub fn all(&self) -> Vec<Feedback> {
        let mut all: Vec<Feedback> = self.lock().values().cloned().collect();
        all.sort_by_key(key_of);
        all
    }

    /// How many records are stored.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no record is stored.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<FeedbackId, Feedback>> {
        // A poisoned lock only means a test thread panicked; the map is intact.
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl FeedbackStore for InMemoryFeedbackStore {
    async fn create(&self, feedback: &Feedback) -> PortResult<()> {
        self.faults.check("FeedbackStore::create").await?;
        let mut records = self.lock();
        if records.contains_key(&feedback.feedback_id) {
            return Err(PortError::conflict(format!(
                "feedback {} exists",
                feedback.feedback_id
            )));
        }
        records.insert(feedback.feedback_id, feedback.clone());
        Ok(())
    }

    async fn get(&self, id: &FeedbackId) -> PortResult<Option<Feedback>> {
        self.faults.check("FeedbackStore::get").await?;
        Ok(self.lock().get(id).cloned())
    }

    async fn update(&self, feedback: &Feedback) -> PortResult<()> {
        self.faults.check("FeedbackStore::update").await?;
        let mut records = self.lock();
        let stored = records.get_mut(&feedback.feedback_id).ok_or_else(|| {
            PortError::not_found(format!("feedback {} does not exist", feedback.feedback_id))
        })?;
        *stored = feedback.clone();
        Ok(())
    }

    async fn list_by_session(&self, session: &SessionId) -> PortResult<Vec<Feedback>> {
        self.faults.check("FeedbackStore::list_by_session").await?;
        let mut found: Vec<Feedback> = self
            .lock()
            .values()
            .filter(|f| f.session_id == *session)
            .cloned()
            .collect();
        found.sort_by_key(key_of);
        Ok(found)
    }

    async fn list(&self, filter: &FeedbackFilter, page: PageRequest) -> PortResult<Page<Feedback>> {
        self.faults.check("FeedbackStore::list").await?;
        let items = self
            .lock()
            .values()
            .filter(|f| filter.status.is_none_or(|s| f.status == s))
            .filter(|f| {
                filter
                    .chat_app_id
                    .as_ref()
                    .is_none_or(|app| f.chat_app_id == *app)
            })
            .map(|f| (key_of(f), f.clone()))
            .collect();
        keyset::paginate(
            items,
            Direction::Descending,
            "feedback",
            &page,
            encode_key,
            decode_key,
        )
    }

    async fn delete_by_session(&self, session: &SessionId) -> PortResult<()> {
        self.faults
            .check("FeedbackStore::delete_by_session")
            .await?;
        self.lock().retain(|_, f| f.session_id != *session);
        Ok(())
    }
}

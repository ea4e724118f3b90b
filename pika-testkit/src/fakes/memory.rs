//! In-memory user memory with a deliberately simple extraction rule.
//!
//! Recording an exchange derives, from the user's text (trimmed, first 200
//! characters): a `Semantic` record always (unless the text is blank), and a
//! `Preferences` record when it mentions "prefer" or "like"
//! (case-insensitively). Records are stamped with the exchange's time.

use crate::faults::Faults;
use async_trait::async_trait;
use pika_domain::ids::UserId;
use pika_domain::memory::{MemoryRecord, MemoryStrategy};
use pika_ports::page::{Cursor, Page, PageRequest};
use pika_ports::{MemoryExchange, PortError, PortResult, UserMemory};
use std::cmp::Reverse;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

/// How many characters of the user's text a derived record keeps.
const CONTENT_CHARS: usize = 200;
/// Every cursor of this store starts with this.
const CURSOR_PREFIX: &str = "memmem1";

#[derive(Default)]
struct State {
    /// Records with the order they were stored in.
    records: Vec<(u64, MemoryRecord)>,
    exchanges: Vec<MemoryExchange>,
    next_seq: u64,
}

impl State {
    fn insert(&mut self, record: MemoryRecord) {
        self.next_seq += 1;
        self.records.push((self.next_seq, record));
    }
}

/// A [`UserMemory`] in memory.
#[derive(Default)]
pub struct InMemoryUserMemory {
    state: Mutex<State>,
    faults: Arc<Faults>,
}

/// A record's place in "newest first": time in µs, then storage order.
type ListKey = (i64, u64);

fn list_key(seq: u64, record: &MemoryRecord) -> ListKey {
    (record.created_at.timestamp_micros(), seq)
}

fn word_set(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

impl InMemoryUserMemory {
    /// An empty memory without faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty memory checking `faults` (ops `"UserMemory::{method}"`).
    pub fn with_faults(faults: Arc<Faults>) -> Self {
        Self {
            state: Mutex::default(),
            faults,
        }
    }

    /// Its fault rules and call counts.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another test thread panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `record` as it is, without extraction.
    pub fn seed(&self, record: MemoryRecord) {
        self.state().insert(record);
    }

    /// Every exchange recorded, in order.
    pub fn exchanges(&self) -> Vec<MemoryExchange> {
        self.state().exchanges.clone()
    }

    /// Every record of every user, in storage order.
    pub fn records(&self) -> Vec<MemoryRecord> {
        self.state()
            .records
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }
}

fn encode_cursor(key: ListKey) -> Cursor {
    Cursor::new(format!("{CURSOR_PREFIX}.{}.{}", key.0, key.1))
}

fn decode_cursor(cursor: &Cursor) -> PortResult<ListKey> {
    let foreign = || PortError::invalid(format!("foreign memory cursor {:?}", cursor.as_str()));
    let parts: Vec<&str> = cursor.as_str().split('.').collect();
    let [prefix, micros, seq] = parts.as_slice() else {
        return Err(foreign());
    };
    if *prefix != CURSOR_PREFIX {
        return Err(foreign());
    }
    Ok((
        micros.parse().map_err(|_| foreign())?,
        seq.parse().map_err(|_| foreign())?,
    ))
}

#[async_trait]
impl UserMemory for InMemoryUserMemory {
    /// The user's records of `strategy`: those sharing a word with `query`
    /// first, then newest first.
    async fn retrieve(
        &self,
        user: &UserId,
        strategy: MemoryStrategy,
        query: &str,
        limit: u32,
    ) -> PortResult<Vec<MemoryRecord>> {
        self.faults.check("UserMemory::retrieve").await?;
        let query_words = word_set(query);
        let s = self.state();
        let mut found: Vec<(bool, ListKey, &MemoryRecord)> = s
            .records
            .iter()
            .filter(|(_, r)| &r.user_id == user && r.strategy == strategy)
            .map(|(seq, r)| {
                let shares = !word_set(&r.content).is_disjoint(&query_words);
                (shares, list_key(*seq, r), r)
            })
            .collect();
        found.sort_by_key(|(shares, key, _)| Reverse((*shares, *key)));
        Ok(found
            .into_iter()
            .take(limit as usize)
            .map(|(_, _, r)| r.clone())
            .collect())
    }

    async fn record(&self, exchange: &MemoryExchange) -> PortResult<()> {
        self.faults.check("UserMemory::record").await?;
        let content: String = exchange
            .user_text
            .trim()
            .chars()
            .take(CONTENT_CHARS)
            .collect();
        let lower = content.to_lowercase();
        let mut s = self.state();
        s.exchanges.push(exchange.clone());
        if content.is_empty() {
            return Ok(());
        }
        let mut strategies = vec![MemoryStrategy::Semantic];
        if lower.contains("prefer") || lower.contains("like") {
            strategies.push(MemoryStrategy::Preferences);
        }
        for strategy in strategies {
            let record_id = format!("mem-{:06}", s.next_seq + 1);
            s.insert(MemoryRecord {
                record_id,
                user_id: exchange.user_id.clone(),
                strategy,
                content: content.clone(),
                created_at: exchange.at,
                source_session_id: Some(exchange.session_id),
            });
        }
        Ok(())
    }

    async fn list(&self, user: &UserId, page: PageRequest) -> PortResult<Page<MemoryRecord>> {
        self.faults.check("UserMemory::list").await?;
        let after = page.cursor.as_ref().map(decode_cursor).transpose()?;
        let s = self.state();
        let mut found: Vec<(ListKey, &MemoryRecord)> = s
            .records
            .iter()
            .filter(|(_, r)| &r.user_id == user)
            .map(|(seq, r)| (list_key(*seq, r), r))
            .filter(|(key, _)| after.is_none_or(|a| *key < a))
            .collect();
        found.sort_by_key(|(key, _)| Reverse(*key));
        let size = page.size();
        let next_cursor = if found.len() > size {
            found.get(size - 1).map(|(key, _)| encode_cursor(*key))
        } else {
            None
        };
        found.truncate(size);
        Ok(Page {
            items: found.into_iter().map(|(_, r)| r.clone()).collect(),
            next_cursor,
        })
    }

    async fn delete_user(&self, user: &UserId) -> PortResult<()> {
        self.faults.check("UserMemory::delete_user").await?;
        let mut s = self.state();
        s.records.retain(|(_, r)| &r.user_id != user);
        s.exchanges.retain(|e| &e.user_id != user);
        Ok(())
    }
}

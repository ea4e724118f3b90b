//! An in-memory search index: word matching, filters, three orders and
//! keyset cursors that survive writes between pages.

use crate::faults::Faults;
use async_trait::async_trait;
use pika_domain::ids::{MessageId, SessionId, UserId};
use pika_ports::page::{Cursor, Page, PageRequest};
use pika_ports::{PortError, PortResult, SearchDocument, SearchHit, SearchIndex, SearchQuery};
use pika_ports::{SearchSort, SearchSort::*};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// How many characters a snippet holds at most.
const SNIPPET_CHARS: usize = 120;
/// How many characters of context a snippet keeps before the match.
const SNIPPET_LEAD: usize = 40;
/// Every cursor of this index starts with this.
const CURSOR_PREFIX: &str = "memsearch1";

/// A [`SearchIndex`] in memory.
///
/// Every word of the query must appear (case-insensitively, as a substring)
/// in the text or the title. Relevance is the number of occurrences of the
/// query words; ties go newest first.
#[derive(Default)]
pub struct InMemorySearchIndex {
    docs: Mutex<HashMap<MessageId, SearchDocument>>,
    faults: Arc<Faults>,
}

/// A document's place in an order: relevance, time in µs, message id.
type SortKey = (u64, i64, MessageId);

impl InMemorySearchIndex {
    /// An empty index without faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty index checking `faults` (ops `"SearchIndex::{method}"`).
    pub fn with_faults(faults: Arc<Faults>) -> Self {
        Self {
            docs: Mutex::default(),
            faults,
        }
    }

    /// Its fault rules and call counts.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    fn docs(&self) -> MutexGuard<'_, HashMap<MessageId, SearchDocument>> {
        // A poisoned lock only means another test thread panicked.
        self.docs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every document, in no particular order.
    pub fn documents(&self) -> Vec<SearchDocument> {
        self.docs().values().cloned().collect()
    }

    /// The document of `message`, if indexed.
    pub fn document(&self, message: &MessageId) -> Option<SearchDocument> {
        self.docs().get(message).cloned()
    }
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_lowercase).collect()
}

fn passes_filters(doc: &SearchDocument, q: &SearchQuery) -> bool {
    q.user_id.as_ref().is_none_or(|u| &doc.user_id == u)
        && q.chat_app_id.as_ref().is_none_or(|a| &doc.chat_app_id == a)
        && q.entity_id.as_ref().is_none_or(|e| &doc.entity_id == e)
        && q.from.is_none_or(|from| doc.created_at >= from)
        && q.to.is_none_or(|to| doc.created_at < to)
        && q.min_score
            .is_none_or(|min| doc.insight_score.is_some_and(|s| s >= min))
}

/// The relevance of `doc` for `words`, or `None` when a word is missing.
fn relevance(doc: &SearchDocument, words: &[String]) -> Option<u64> {
    let text = doc.text.to_lowercase();
    let title = doc.title.as_deref().unwrap_or_default().to_lowercase();
    let mut score = 0u64;
    for w in words {
        let n = text.matches(w.as_str()).count() + title.matches(w.as_str()).count();
        if n == 0 {
            return None;
        }
        score += n as u64;
    }
    Some(score)
}

/// About [`SNIPPET_CHARS`] characters of `text` around the first match.
fn snippet(text: &str, words: &[String]) -> String {
    let lower = text.to_lowercase();
    let first = words.iter().filter_map(|w| lower.find(w.as_str())).min();
    let at = first.map_or(0, |byte| lower[..byte].chars().count());
    let start = at.saturating_sub(SNIPPET_LEAD);
    text.chars().skip(start).take(SNIPPET_CHARS).collect()
}

fn key(doc: &SearchDocument, score: u64) -> SortKey {
    (score, doc.created_at.timestamp_micros(), doc.message_id)
}

/// `a` before `b` in `sort`.
fn compare(sort: SearchSort, a: &SortKey, b: &SortKey) -> Ordering {
    match sort {
        Relevance => b.cmp(a),
        Newest => (b.1, b.2).cmp(&(a.1, a.2)),
        Oldest => (a.1, a.2).cmp(&(b.1, b.2)),
    }
}

fn sort_code(sort: SearchSort) -> &'static str {
    match sort {
        Relevance => "r",
        Newest => "n",
        Oldest => "o",
    }
}

fn encode_cursor(sort: SearchSort, key: &SortKey) -> Cursor {
    Cursor::new(format!(
        "{CURSOR_PREFIX}.{}.{}.{}.{}",
        sort_code(sort),
        key.0,
        key.1,
        key.2
    ))
}

fn decode_cursor(sort: SearchSort, cursor: &Cursor) -> PortResult<SortKey> {
    let foreign = || PortError::invalid(format!("foreign search cursor {:?}", cursor.as_str()));
    let parts: Vec<&str> = cursor.as_str().split('.').collect();
    let [prefix, code, score, micros, id] = parts.as_slice() else {
        return Err(foreign());
    };
    if *prefix != CURSOR_PREFIX || *code != sort_code(sort) {
        return Err(foreign());
    }
    Ok((
        score.parse().map_err(|_| foreign())?,
        micros.parse().map_err(|_| foreign())?,
        MessageId::parse(id).map_err(|_| foreign())?,
    ))
}

#[async_trait]
impl SearchIndex for InMemorySearchIndex {
    async fn index(&self, doc: &SearchDocument) -> PortResult<()> {
        self.faults.check("SearchIndex::index").await?;
        self.docs().insert(doc.message_id, doc.clone());
        Ok(())
    }

    async fn set_session_score(&self, session: &SessionId, score: u8) -> PortResult<()> {
        self.faults.check("SearchIndex::set_session_score").await?;
        for doc in self.docs().values_mut() {
            if &doc.session_id == session {
                doc.insight_score = Some(score);
            }
        }
        Ok(())
    }

    async fn search(&self, query: &SearchQuery, page: PageRequest) -> PortResult<Page<SearchHit>> {
        self.faults.check("SearchIndex::search").await?;
        let after = page
            .cursor
            .as_ref()
            .map(|c| decode_cursor(query.sort, c))
            .transpose()?;
        let words = words(&query.text);
        let mut hits: Vec<(SortKey, SearchHit)> = self
            .docs()
            .values()
            .filter(|doc| passes_filters(doc, query))
            .filter_map(|doc| {
                let score = relevance(doc, &words)?;
                let hit = SearchHit {
                    document: doc.clone(),
                    snippet: snippet(&doc.text, &words),
                    score: score as f32,
                };
                Some((key(doc, score), hit))
            })
            .filter(|(k, _)| {
                after
                    .as_ref()
                    .is_none_or(|a| compare(query.sort, a, k) == Ordering::Less)
            })
            .collect();
        hits.sort_by(|(a, _), (b, _)| compare(query.sort, a, b));
        let size = page.size();
        let next_cursor = if hits.len() > size {
            hits.get(size - 1)
                .map(|(k, _)| encode_cursor(query.sort, k))
        } else {
            None
        };
        hits.truncate(size);
        Ok(Page {
            items: hits.into_iter().map(|(_, hit)| hit).collect(),
            next_cursor,
        })
    }

    async fn delete_session(&self, session: &SessionId) -> PortResult<()> {
        self.faults.check("SearchIndex::delete_session").await?;
        self.docs().retain(|_, doc| &doc.session_id != session);
        Ok(())
    }

    async fn delete_user(&self, user: &UserId) -> PortResult<()> {
        self.faults.check("SearchIndex::delete_user").await?;
        self.docs().retain(|_, doc| &doc.user_id != user);
        Ok(())
    }
}

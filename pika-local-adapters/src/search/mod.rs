//! [`TantivySearchIndex`]: the [`SearchIndex`] port on an embedded tantivy
//! index, in a directory or in memory.
//!
//! One document per answer, keyed by its message id. Every write commits
//! and reloads the reader before it returns, so a search sees it at once.
//! Writes are serialized behind one `IndexWriter`; all tantivy work runs on
//! tokio's blocking pool.

mod query;
mod schema;

use async_trait::async_trait;
use pika_domain::ids::{SessionId, UserId};
use pika_ports::page::{Page, PageRequest};
use pika_ports::{PortError, PortResult, SearchDocument, SearchHit, SearchIndex, SearchQuery};
use schema::Fields;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use tantivy::collector::{DocSetCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, TantivyDocument};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyError};

/// The indexing memory budget of the one writer thread (tantivy's minimum
/// is 15 MB).
const WRITER_MEMORY: usize = 20_000_000;

/// A [`SearchIndex`] on an embedded tantivy index.
///
/// Every word of the query must occur in the title or the text, after
/// tantivy's default analysis (split on anything not alphanumeric,
/// lowercased), so user text with quotes, colons, parentheses or emoji is
/// never a syntax error: punctuation simply matches nothing. A query with
/// text but no words (only punctuation or emoji) finds nothing; an empty
/// one finds everything. Relevance is BM25 over title and text, ties newest
/// first. Cursors hold an offset and a fingerprint of the query, and are
/// refused (`Invalid`) for any other query or sort; paging stops after
/// the first 100,000 hits.
///
/// Errors from tantivy or the disk are `Permanent`: a local index that
/// cannot write will not be helped by a retry.
#[derive(Clone)]
pub struct TantivySearchIndex {
    inner: Arc<Inner>,
}

struct Inner {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    /// The analyzer of `title` and `text`, used for query words and snippets.
    analyzer: TextAnalyzer,
}

fn failed(what: &str, err: TantivyError) -> PortError {
    PortError::permanent(format!("search index: {what}: {err}")).with_source(err)
}

impl TantivySearchIndex {
    /// Opens the index in `dir`, creating the directory and an empty index
    /// when there is none. Blocks while it opens; call it at start-up.
    ///
    /// # Errors
    /// `Permanent` when the directory cannot be created or opened, holds an
    /// index of another schema, or another writer holds its lock.
    pub fn open(dir: impl AsRef<Path>) -> PortResult<Self> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| {
            PortError::permanent(format!("search index: create {}: {e}", dir.display()))
                .with_source(e)
        })?;
        let directory = MmapDirectory::open(dir).map_err(|e| {
            PortError::permanent(format!("search index: open {}: {e}", dir.display()))
                .with_source(e)
        })?;
        let index = Index::open_or_create(directory, schema::schema())
            .map_err(|e| failed(&format!("open {}", dir.display()), e))?;
        Self::from_index(index)
    }

    /// An empty index in memory, gone when the last clone is dropped.
    ///
    /// # Errors
    /// `Permanent` when tantivy cannot start its writer.
    pub fn in_memory() -> PortResult<Self> {
        Self::from_index(Index::create_in_ram(schema::schema()))
    }

    /// The index's one writer. A process that just released the index (a
    /// restart in the same process, a test reopening the directory) may
    /// still be dropping its writer: the lock is retried for up to 5 s
    /// before giving up.
    fn acquire_writer(index: &Index) -> PortResult<IndexWriter> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            match index.writer_with_num_threads(1, WRITER_MEMORY) {
                Ok(writer) => return Ok(writer),
                Err(tantivy::TantivyError::LockFailure(_, _))
                    if std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(failed("writer", e)),
            }
        }
    }

    fn from_index(index: Index) -> PortResult<Self> {
        let fields = Fields::from_schema(&index.schema()).map_err(|e| failed("schema", e))?;
        let analyzer = index
            .tokenizer_for_field(fields.text)
            .map_err(|e| failed("analyzer", e))?;
        let writer = Self::acquire_writer(&index)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| failed("reader", e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                reader,
                writer: Mutex::new(writer),
                fields,
                analyzer,
            }),
        })
    }

    /// Adds or replaces many documents in one commit: what a rebuild of the
    /// index from the stores wants (one commit per document, as
    /// [`SearchIndex::index`] does, costs a segment each). All or none: on a
    /// failure nothing of the batch is kept.
    ///
    /// # Errors
    /// `Invalid` for a document the index cannot hold; `Permanent` when
    /// tantivy or the disk fails.
    pub async fn index_all(&self, docs: Vec<SearchDocument>) -> PortResult<()> {
        self.run(move |inner| inner.index_all(&docs)).await
    }

    /// Runs `work` on the blocking pool.
    async fn run<T, W>(&self, work: W) -> PortResult<T>
    where
        T: Send + 'static,
        W: FnOnce(&Inner) -> PortResult<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|e| {
                PortError::permanent(format!("search index task failed: {e}")).with_source(e)
            })?
    }
}

impl Inner {
    /// The writer. A writer whose holder panicked is rolled back to its
    /// last commit before anyone uses it again.
    fn writer(&self) -> MutexGuard<'_, IndexWriter> {
        self.writer.lock().unwrap_or_else(|poisoned| {
            let mut writer = poisoned.into_inner();
            if let Err(e) = writer.rollback() {
                tracing::warn!(error = %e, "search index: rollback after a panic failed");
            }
            self.writer.clear_poison();
            writer
        })
    }

    /// Runs `ops` with the writer, then commits and reloads the reader; on
    /// any failure rolls back what `ops` did.
    fn write(&self, ops: impl FnOnce(&IndexWriter) -> PortResult<()>) -> PortResult<()> {
        let mut writer = self.writer();
        let done =
            ops(&writer).and_then(|()| writer.commit().map(drop).map_err(|e| failed("commit", e)));
        if let Err(e) = done {
            if let Err(rollback) = writer.rollback() {
                tracing::warn!(error = %rollback, "search index: rollback failed");
            }
            return Err(e);
        }
        self.reader.reload().map_err(|e| failed("reload", e))
    }

    fn index(&self, doc: &SearchDocument) -> PortResult<()> {
        let tantivy_doc = self.fields.encode(doc)?;
        let key = Fields::term(self.fields.message_id, &doc.message_id.to_string());
        self.write(|w| {
            w.delete_term(key);
            w.add_document(tantivy_doc)
                .map(drop)
                .map_err(|e| failed("add", e))
        })
    }

    fn index_all(&self, docs: &[SearchDocument]) -> PortResult<()> {
        let encoded = docs
            .iter()
            .map(|doc| {
                let key = Fields::term(self.fields.message_id, &doc.message_id.to_string());
                self.fields.encode(doc).map(|d| (key, d))
            })
            .collect::<PortResult<Vec<_>>>()?;
        self.write(|w| {
            for (key, doc) in encoded {
                w.delete_term(key);
                w.add_document(doc).map_err(|e| failed("add", e))?;
            }
            Ok(())
        })
    }

    fn set_session_score(&self, session: &SessionId, score: u8) -> PortResult<()> {
        let key = Fields::term(self.fields.session_id, &session.to_string());
        self.write(|w| {
            // Under the writer lock, once reloaded, the reader holds every
            // commit: nothing can slip in between this read and the rewrite.
            self.reader.reload().map_err(|e| failed("reload", e))?;
            let searcher = self.reader.searcher();
            let query = TermQuery::new(key.clone(), IndexRecordOption::Basic);
            let found = searcher
                .search(&query, &DocSetCollector)
                .map_err(|e| failed("find session", e))?;
            if found.is_empty() {
                return Ok(());
            }
            let mut rewritten = Vec::with_capacity(found.len());
            for address in found {
                let stored: TantivyDocument =
                    searcher.doc(address).map_err(|e| failed("read", e))?;
                let mut doc = self.fields.decode(&stored)?;
                doc.insight_score = Some(score);
                rewritten.push(self.fields.encode(&doc)?);
            }
            w.delete_term(key);
            for doc in rewritten {
                w.add_document(doc).map_err(|e| failed("add", e))?;
            }
            Ok(())
        })
    }

    fn delete(&self, key: tantivy::Term) -> PortResult<()> {
        self.write(|w| {
            w.delete_term(key);
            Ok(())
        })
    }

    fn search(&self, q: &SearchQuery, page: &PageRequest) -> PortResult<Page<SearchHit>> {
        let fingerprint = query::fingerprint(q);
        let offset = match &page.cursor {
            Some(cursor) => query::decode_cursor(cursor, q.sort, fingerprint)?,
            None => 0,
        };
        let words = query::query_words(&self.analyzer, &q.text);
        if words.is_empty() && !q.text.trim().is_empty() {
            // Only punctuation or emoji: nothing can hold such a word.
            return Ok(Page::last(Vec::new()));
        }
        let built = query::build(&self.fields, q, &words);
        let limit = page.size();
        let collector = TopDocs::with_limit(limit + 1)
            .and_offset(offset)
            .tweak_score(query::Ranker(q.sort));
        let searcher = self.reader.searcher();
        let mut top = searcher
            .search(built.as_ref(), &collector)
            .map_err(|e| failed("search", e))?;
        // The listing ends at `MAX_OFFSET`: no cursor points deeper.
        let next_cursor = (top.len() > limit && offset + limit <= query::MAX_OFFSET)
            .then(|| query::encode_cursor(q.sort, offset + limit, fingerprint));
        top.truncate(limit);
        let mut items = Vec::with_capacity(top.len());
        for (rank, address) in top {
            let stored: TantivyDocument = searcher.doc(address).map_err(|e| failed("read", e))?;
            let document = self.fields.decode(&stored)?;
            let snippet = query::snippet(&self.analyzer, &document.text, &words);
            items.push(SearchHit {
                document,
                snippet,
                score: rank.score,
            });
        }
        Ok(Page { items, next_cursor })
    }
}

#[async_trait]
impl SearchIndex for TantivySearchIndex {
    async fn index(&self, doc: &SearchDocument) -> PortResult<()> {
        let doc = doc.clone();
        self.run(move |inner| inner.index(&doc)).await
    }

    async fn set_session_score(&self, session: &SessionId, score: u8) -> PortResult<()> {
        let session = *session;
        self.run(move |inner| inner.set_session_score(&session, score))
            .await
    }

    async fn search(&self, query: &SearchQuery, page: PageRequest) -> PortResult<Page<SearchHit>> {
        let query = query.clone();
        self.run(move |inner| inner.search(&query, &page)).await
    }

    async fn delete_session(&self, session: &SessionId) -> PortResult<()> {
        let key = Fields::term(self.inner.fields.session_id, &session.to_string());
        self.run(move |inner| inner.delete(key)).await
    }

    async fn delete_user(&self, user: &UserId) -> PortResult<()> {
        let key = Fields::term(self.inner.fields.user_id, user.as_str());
        self.run(move |inner| inner.delete(key)).await
    }
}

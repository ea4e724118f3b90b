//! Knowledge bases on this machine: a corpus of documents per knowledge
//! base, searched with an embedded tantivy index (BM25), filtered on the
//! documents' metadata.
//!
//! The corpus is a directory per knowledge base (`{dir}/{knowledgeBaseId}/`)
//! of `.md` and `.txt` files, read when the server starts. A file's
//! metadata comes from a `{file}.metadata.json` beside it, in the format
//! Bedrock knowledge bases read from S3 (`{"metadataAttributes": {"account":
//! "acme"}}`, plain strings, numbers and booleans), so the same corpus
//! serves both. Each file is cut into passages of about
//! [`PASSAGE_CHARS`] characters along its paragraphs.

mod corpus;

pub use corpus::{read_corpus, LocalDocument, PASSAGE_CHARS};

use async_trait::async_trait;
use pika_domain::knowledge::Condition;
use pika_ports::{KnowledgeRetriever, Passage, PortError, PortResult, Retrieval};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TantivyDocument, Value as _, STORED, STRING, TEXT,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, Term};

/// Most words of a query that count.
const MAX_QUERY_WORDS: usize = 32;
/// Longest query accepted, in characters.
const MAX_QUERY_CHARS: usize = 2_000;

#[derive(Clone, Copy)]
struct Fields {
    base: Field,
    source: Field,
    text: Field,
    /// One `key=json` term per metadata attribute.
    meta: Field,
    /// The metadata as JSON.
    metadata: Field,
}

struct Inner {
    reader: IndexReader,
    fields: Fields,
    analyzer: TextAnalyzer,
    bases: BTreeSet<String>,
}

/// Knowledge bases in an in-memory tantivy index (see [`KnowledgeRetriever`]).
/// Cheap to clone.
#[derive(Clone)]
pub struct LocalKnowledge {
    inner: Arc<Inner>,
}

fn failed(what: &str, e: impl std::fmt::Display) -> PortError {
    PortError::permanent(format!("knowledge index {what}: {e}"))
}

/// A clause that must hold without adding to the score.
fn filtered(query: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
}

/// The term of one metadata condition.
fn meta_term(field: Field, key: &str, value: &Value) -> Term {
    Term::from_field_text(field, &format!("{key}={value}"))
}

impl LocalKnowledge {
    /// The knowledge bases under `dir` (none when it does not exist).
    ///
    /// # Errors
    /// `Permanent` when a file cannot be read or the index not built.
    pub fn open(dir: &Path) -> PortResult<Self> {
        Self::from_documents(read_corpus(dir)?)
    }

    /// Knowledge bases holding `docs`, one passage each.
    ///
    /// # Errors
    /// `Permanent` when the index cannot be built.
    pub fn from_documents(docs: Vec<LocalDocument>) -> PortResult<Self> {
        let mut b = Schema::builder();
        let base = b.add_text_field("base", STRING);
        let source = b.add_text_field("source", STORED);
        let text = b.add_text_field("text", TEXT | STORED);
        let meta = b.add_text_field("meta", STRING);
        let metadata = b.add_text_field("metadata", STORED);
        let index = Index::create_in_ram(b.build());
        let fields = Fields {
            base,
            source,
            text,
            meta,
            metadata,
        };
        let mut writer = index
            .writer_with_num_threads(1, 15_000_000)
            .map_err(|e| failed("writer", e))?;
        let mut bases = BTreeSet::new();
        for d in docs {
            let mut doc = TantivyDocument::default();
            doc.add_text(base, &d.knowledge_base_id);
            doc.add_text(source, &d.source);
            doc.add_text(text, &d.text);
            for (key, value) in &d.metadata {
                doc.add_text(meta, format!("{key}={value}"));
            }
            doc.add_text(metadata, Value::Object(d.metadata.clone()).to_string());
            writer.add_document(doc).map_err(|e| failed("write", e))?;
            bases.insert(d.knowledge_base_id);
        }
        writer.commit().map_err(|e| failed("commit", e))?;
        let reader = index.reader().map_err(|e| failed("reader", e))?;
        let analyzer = index
            .tokenizer_for_field(text)
            .map_err(|e| failed("analyzer", e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                reader,
                fields,
                analyzer,
                bases,
            }),
        })
    }

    /// The knowledge bases it holds.
    pub fn knowledge_bases(&self) -> Vec<String> {
        self.inner.bases.iter().cloned().collect()
    }
}

impl Inner {
    fn words(&self, text: &str) -> Vec<String> {
        let mut words: Vec<String> = Vec::new();
        let mut analyzer = self.analyzer.clone();
        let mut stream = analyzer.token_stream(text);
        stream.process(&mut |token| {
            if !words.contains(&token.text) && words.len() < MAX_QUERY_WORDS {
                words.push(token.text.clone());
            }
        });
        words
    }

    fn query(&self, base: &str, words: &[String], filter: &[Condition]) -> BooleanQuery {
        let f = self.fields;
        let term = |t: Term| -> Box<dyn Query> {
            Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs))
        };
        let any_word: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|w| (Occur::Should, term(Term::from_field_text(f.text, w))))
            .collect();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, Box::new(BooleanQuery::new(any_word))),
            filtered(term(Term::from_field_text(f.base, base))),
        ];
        for c in filter {
            clauses.push(filtered(term(meta_term(f.meta, &c.key, &c.value))));
        }
        BooleanQuery::new(clauses)
    }

    fn search(&self, r: &Retrieval) -> PortResult<Vec<Passage>> {
        if !self.bases.contains(&r.knowledge_base_id) {
            return Err(PortError::not_found(format!(
                "no knowledge base '{}' on this machine",
                r.knowledge_base_id
            )));
        }
        if r.query.trim().is_empty() || r.query.chars().count() > MAX_QUERY_CHARS {
            return Err(PortError::invalid(format!(
                "a knowledge query must be 1 to {MAX_QUERY_CHARS} characters"
            )));
        }
        let words = self.words(&r.query);
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let query = self.query(&r.knowledge_base_id, &words, &r.filter);
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&query, &TopDocs::with_limit(r.max_results.max(1) as usize))
            .map_err(|e| failed("search", e))?;
        let mut passages = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address).map_err(|e| failed("read", e))?;
            let read = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let metadata: Map<String, Value> =
                serde_json::from_str(&read(self.fields.metadata)).unwrap_or_default();
            passages.push(Passage {
                text: read(self.fields.text),
                source: read(self.fields.source),
                score: Some(f64::from(score)),
                metadata,
            });
        }
        Ok(passages)
    }
}

#[async_trait]
impl KnowledgeRetriever for LocalKnowledge {
    async fn retrieve(&self, retrieval: Retrieval) -> PortResult<Vec<Passage>> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || inner.search(&retrieval))
            .await
            .map_err(|e| PortError::permanent(format!("knowledge search task failed: {e}")))?
    }
}

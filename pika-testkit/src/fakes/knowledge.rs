//! The in-memory [`KnowledgeRetriever`]: documents per knowledge base,
//! ranked by the words they share with the query, filtered on their
//! metadata as the real stores filter.

use crate::faults::Faults;
use async_trait::async_trait;
use pika_ports::{KnowledgeRetriever, Passage, PortError, PortResult, Retrieval};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

/// A document of a knowledge base, as the contract suite seeds it.
#[derive(Debug, Clone, PartialEq)]
pub struct KnowledgeDocument {
    /// The knowledge base.
    pub knowledge_base_id: String,
    /// Its name or URI.
    pub source: String,
    /// Its text (one passage).
    pub text: String,
    /// Its metadata.
    pub metadata: Map<String, Value>,
}

/// Knowledge bases in memory (see [`KnowledgeRetriever`]).
#[derive(Default)]
pub struct InMemoryKnowledge {
    docs: Mutex<BTreeMap<String, Vec<KnowledgeDocument>>>,
    searches: Mutex<Vec<Retrieval>>,
    faults: Arc<Faults>,
}

/// The lower-cased words of `text`.
pub fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 1)
        .map(str::to_lowercase)
        .collect()
}

impl InMemoryKnowledge {
    /// No knowledge bases.
    pub fn new() -> Self {
        Self::default()
    }

    /// Knowledge bases holding `docs`.
    pub fn with(docs: Vec<KnowledgeDocument>) -> Self {
        let store = Self::new();
        for d in docs {
            store.add(d);
        }
        store
    }

    /// Adds a document (creating its knowledge base).
    pub fn add(&self, doc: KnowledgeDocument) {
        self.docs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(doc.knowledge_base_id.clone())
            .or_default()
            .push(doc);
    }

    /// Every search so far.
    pub fn searches(&self) -> Vec<Retrieval> {
        self.searches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The fault rules of this store.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }
}

#[async_trait]
impl KnowledgeRetriever for InMemoryKnowledge {
    async fn retrieve(&self, retrieval: Retrieval) -> PortResult<Vec<Passage>> {
        self.faults.check("KnowledgeRetriever::retrieve").await?;
        if retrieval.query.trim().is_empty() {
            return Err(PortError::invalid("the query is empty"));
        }
        self.searches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(retrieval.clone());
        let docs = self.docs.lock().unwrap_or_else(|e| e.into_inner());
        let Some(base) = docs.get(&retrieval.knowledge_base_id) else {
            return Err(PortError::not_found(format!(
                "no knowledge base '{}'",
                retrieval.knowledge_base_id
            )));
        };
        let asked = words(&retrieval.query);
        let mut found: Vec<(usize, &KnowledgeDocument)> = base
            .iter()
            .filter(|d| retrieval.filter.iter().all(|c| c.holds(&d.metadata)))
            .map(|d| (words(&d.text).intersection(&asked).count(), d))
            .filter(|(shared, _)| *shared > 0)
            .collect();
        found.sort_by_key(|(shared, _)| std::cmp::Reverse(*shared));
        Ok(found
            .into_iter()
            .take(retrieval.max_results as usize)
            .map(|(shared, d)| Passage {
                text: d.text.clone(),
                source: d.source.clone(),
                score: Some(shared as f64 / asked.len().max(1) as f64),
                metadata: d.metadata.clone(),
            })
            .collect())
    }
}

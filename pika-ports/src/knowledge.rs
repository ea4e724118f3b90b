//! The knowledge-base port: passages of a knowledge base relevant to a
//! query, filtered by document metadata (Bedrock's `Retrieve`, the local
//! search index over a corpus of documents, an in-memory fake).

use crate::error::PortResult;
use async_trait::async_trait;
use pika_domain::knowledge::Condition;
use serde_json::{Map, Value};

/// One search of one knowledge base.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrieval {
    /// The knowledge base.
    pub knowledge_base_id: String,
    /// What to look for.
    pub query: String,
    /// Conditions on the documents' metadata, all of which must hold.
    pub filter: Vec<Condition>,
    /// Most passages returned.
    pub max_results: u32,
}

/// A passage found.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    /// Its text.
    pub text: String,
    /// Where it comes from (a document URI or name).
    pub source: String,
    /// Its relevance, higher is better, when the store gives one.
    pub score: Option<f64>,
    /// The document's metadata.
    pub metadata: Map<String, Value>,
}

/// Searches knowledge bases.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait KnowledgeRetriever: Send + Sync {
    /// The passages of `retrieval.knowledge_base_id` most relevant to its
    /// query whose documents satisfy every condition of its filter, best
    /// first, at most `max_results`.
    ///
    /// # Errors
    /// - `NotFound` when the knowledge base does not exist here.
    /// - `Invalid` when the query is refused (empty, too long).
    /// - `Transient` when throttled or unavailable.
    /// - `Permanent` on misconfiguration (no access).
    async fn retrieve(&self, retrieval: Retrieval) -> PortResult<Vec<Passage>>;
}

/// The retriever of a deployment without knowledge bases: every one is
/// unknown.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoKnowledgeBases;

#[async_trait]
impl KnowledgeRetriever for NoKnowledgeBases {
    async fn retrieve(&self, retrieval: Retrieval) -> PortResult<Vec<Passage>> {
        Err(crate::PortError::not_found(format!(
            "knowledge base '{}' does not exist in this deployment",
            retrieval.knowledge_base_id
        )))
    }
}

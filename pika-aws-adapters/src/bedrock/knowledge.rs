//! Bedrock knowledge bases: [`BedrockKnowledge`], the
//! [`KnowledgeRetriever`] over `Retrieve`; the `knowledgeBases` of an
//! inline agent; and the citations Bedrock attaches to an inline agent's
//! answer, as Pika's [`Citation`]s.
//!
//! Filters become `equals` (one condition) or `andAll` (several) on the
//! vector search; a passage's source is its S3 URI, web URL or custom
//! document id, in that order.

use super::document::{to_document, to_value};
use super::errors::call_error;
use crate::aws::SdkConfig;
use async_trait::async_trait;
use aws_sdk_bedrockagentruntime::types::{
    Attribution, FilterAttribute, KnowledgeBase, KnowledgeBaseQuery,
    KnowledgeBaseRetrievalConfiguration, KnowledgeBaseVectorSearchConfiguration, RetrievalFilter,
    RetrievalResultLocation,
};
use aws_sdk_bedrockagentruntime::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::Document;
use pika_domain::knowledge::{excerpt, Citation, Condition};
use pika_ports::{
    ErrorKind, KnowledgeBaseRequest, KnowledgeRetriever, Passage, PortError, PortResult, Retrieval,
};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Knowledge bases through Bedrock's `Retrieve`. Cheap to clone.
#[derive(Clone, Debug)]
pub struct BedrockKnowledge {
    client: Client,
}

impl BedrockKnowledge {
    /// A retriever whose client is built once from `sdk`.
    pub fn new(sdk: &SdkConfig) -> Self {
        Self {
            client: Client::new(sdk),
        }
    }
}

#[async_trait]
impl KnowledgeRetriever for BedrockKnowledge {
    async fn retrieve(&self, r: Retrieval) -> PortResult<Vec<Passage>> {
        if r.query.trim().is_empty() {
            return Err(PortError::invalid("the query is empty"));
        }
        let output = self
            .client
            .retrieve()
            .knowledge_base_id(&r.knowledge_base_id)
            .retrieval_query(KnowledgeBaseQuery::builder().text(&r.query).build())
            .retrieval_configuration(configuration(&r.filter, r.max_results)?)
            .send()
            .await
            .map_err(|e| {
                let unknown = e.code() == Some("ResourceNotFoundException");
                let mut error = call_error("Retrieve", e);
                // An unknown knowledge base is the caller's NotFound here
                // (the model ports call it misconfiguration).
                if unknown {
                    error.kind = ErrorKind::NotFound;
                }
                error
            })?;
        Ok(output
            .retrieval_results()
            .iter()
            .take(r.max_results as usize)
            .map(|result| Passage {
                text: result
                    .content()
                    .map(|c| c.text().to_string())
                    .unwrap_or_default(),
                source: source_of(result.location(), result.document_id()),
                score: result.score(),
                metadata: metadata_of(result.metadata()),
            })
            .collect())
    }
}

/// The vector search of `filter`, at most `max_results` passages.
fn configuration(
    filter: &[Condition],
    max_results: u32,
) -> PortResult<KnowledgeBaseRetrievalConfiguration> {
    let mut search = KnowledgeBaseVectorSearchConfiguration::builder()
        .number_of_results(i32::try_from(max_results.max(1)).unwrap_or(i32::MAX));
    if let Some(f) = retrieval_filter(filter)? {
        search = search.filter(f);
    }
    Ok(KnowledgeBaseRetrievalConfiguration::builder()
        .vector_search_configuration(search.build())
        .build())
}

/// `equals` for one condition, `andAll` for several, none for none.
fn retrieval_filter(filter: &[Condition]) -> PortResult<Option<RetrievalFilter>> {
    let mut equals = filter
        .iter()
        .map(|c| {
            FilterAttribute::builder()
                .key(&c.key)
                .value(to_document(&c.value))
                .build()
                .map(RetrievalFilter::Equals)
                .map_err(|e| PortError::invalid(format!("bad knowledge filter: {e}")))
        })
        .collect::<PortResult<Vec<_>>>()?;
    Ok(match equals.len() {
        0 => None,
        1 => equals.pop(),
        _ => Some(RetrievalFilter::AndAll(equals)),
    })
}

/// The inline agent's `knowledgeBases`.
///
/// # Errors
/// `Invalid` when one cannot be built.
pub(super) fn inline_knowledge_bases(
    bases: &[KnowledgeBaseRequest],
) -> PortResult<Vec<KnowledgeBase>> {
    bases
        .iter()
        .map(|b| {
            let description = if b.description.trim().is_empty() {
                format!("Knowledge base {}", b.knowledge_base_id)
            } else {
                b.description.clone()
            };
            KnowledgeBase::builder()
                .knowledge_base_id(&b.knowledge_base_id)
                .description(description)
                .retrieval_configuration(configuration(&b.filter, b.max_results)?)
                .build()
                .map_err(|e| PortError::invalid(format!("bad knowledge base: {e}")))
        })
        .collect()
}

/// The citations of an inline agent's chunk. `knowledge_base` names the
/// knowledge base when the call had exactly one (Bedrock's references do
/// not say which they came from).
pub(super) fn citations_of(attribution: &Attribution, knowledge_base: &str) -> Vec<Citation> {
    attribution
        .citations()
        .iter()
        .flat_map(|c| c.retrieved_references())
        .map(|r| Citation {
            knowledge_base_id: knowledge_base.to_string(),
            source: source_of(r.location(), None),
            excerpt: excerpt(r.content().map(|c| c.text()).unwrap_or_default()),
            score: None,
        })
        .collect()
}

/// Where a passage is: its S3 URI, web URL or custom document id.
fn source_of(location: Option<&RetrievalResultLocation>, document_id: Option<&str>) -> String {
    let found = location.and_then(|l| {
        l.s3_location()
            .and_then(|s| s.uri())
            .or_else(|| l.web_location().and_then(|w| w.url()))
            .or_else(|| l.custom_document_location().and_then(|c| c.id()))
    });
    found
        .or(document_id)
        .unwrap_or("unknown source")
        .to_string()
}

fn metadata_of(metadata: Option<&HashMap<String, Document>>) -> Map<String, Value> {
    metadata
        .map(|m| m.iter().map(|(k, v)| (k.clone(), to_value(v))).collect())
        .unwrap_or_default()
}

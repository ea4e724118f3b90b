//! Reading a `_search` answer into a page of hits.

use super::cursor;
use super::query::SNIPPET_CHARS;
use pika_ports::page::Page;
use pika_ports::{PortError, PortResult, SearchDocument, SearchHit, SearchQuery};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct SearchResponse {
    #[serde(default)]
    _shards: Option<Shards>,
    hits: Hits,
}

#[derive(Deserialize)]
struct Shards {
    #[serde(default)]
    failed: u64,
}

#[derive(Deserialize)]
struct Hits {
    hits: Vec<Hit>,
}

#[derive(Deserialize)]
struct Hit {
    #[serde(default)]
    _score: Option<f32>,
    _source: SearchDocument,
    #[serde(default)]
    sort: Vec<Value>,
    #[serde(default)]
    highlight: Option<Highlight>,
}

#[derive(Deserialize)]
struct Highlight {
    #[serde(default)]
    text: Vec<String>,
}

/// The page of `body`, an answer to a search for `limit + 1` hits: the
/// first `limit` hits, and a cursor after the last of them when the extra
/// hit shows there are more.
///
/// # Errors
/// `Permanent` when the answer is not a search answer or holds documents
/// of another shape (another application writes to the index);
/// `Transient` when some shards failed (a node is down: results would be
/// silently incomplete).
pub fn page_of(q: &SearchQuery, body: &[u8], limit: usize) -> PortResult<Page<SearchHit>> {
    let response: SearchResponse = serde_json::from_slice(body).map_err(|e| {
        PortError::permanent(format!("opensearch search: unexpected answer: {e}")).with_source(e)
    })?;
    if let Some(shards) = response._shards.filter(|s| s.failed > 0) {
        return Err(PortError::transient(format!(
            "opensearch search: {} shards failed",
            shards.failed
        )));
    }
    let mut hits = response.hits.hits;
    let more = hits.len() > limit;
    hits.truncate(limit);
    let next_cursor = match hits.last() {
        Some(last) if more => {
            if last.sort.is_empty() {
                return Err(PortError::permanent(
                    "opensearch search: a hit without sort values",
                ));
            }
            Some(cursor::encode(q, &last.sort))
        }
        _ => None,
    };
    let items = hits
        .into_iter()
        .map(|hit| {
            let snippet = hit
                .highlight
                .and_then(|h| h.text.into_iter().next())
                .unwrap_or_else(|| hit._source.text.chars().take(SNIPPET_CHARS).collect());
            SearchHit {
                snippet,
                score: hit._score.unwrap_or(0.0),
                document: hit._source,
            }
        })
        .collect();
    Ok(Page { items, next_cursor })
}

//! [`OpenSearchIndex`]: the [`SearchIndex`] port on an OpenSearch index
//! (an AWS OpenSearch Service domain with SigV4, or a local OpenSearch).
//!
//! One document per answered turn, keyed by its message id, in an index
//! with an explicit mapping ([`mapping`]) created on the first write. The
//! query DSL comes from pure functions ([`query`]); pages continue with
//! `search_after` ([`cursor`]). See `docs/aws-opensearch.md`.

pub mod client;
pub mod cursor;
mod domain;
pub mod errors;
pub mod mapping;
pub mod query;
mod response;

pub use client::{IndexName, OpenSearchConfig, Signing, SigningService, WriteRefresh};
pub use domain::resolve_domain_endpoint;
/// The URL type endpoints are given in (re-exported for callers configuring the adapter).
pub use url::Url;

use crate::aws::SdkConfig;
use async_trait::async_trait;
use errors::{unanswered, Failure};
use opensearch::http::headers::HeaderMap;
use opensearch::http::request::JsonBody;
use opensearch::http::response::Response;
use opensearch::http::Method;
use opensearch::indices::IndicesCreateParts;
use opensearch::{DeleteByQueryParts, OpenSearch, SearchParts, UpdateByQueryParts};
use pika_domain::ids::{SessionId, UserId};
use pika_ports::page::{Page, PageRequest};
use pika_ports::{PortError, PortResult, SearchDocument, SearchHit, SearchIndex, SearchQuery};
use query::ReadScope;
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// A [`SearchIndex`] on an OpenSearch index.
///
/// Every word of the query must occur in the title or the text after the
/// `standard` analyzer (Unicode words, lowercased); blank text finds
/// everything. A search is always filtered to the scope it was issued
/// under ([`ReadScope`]). Relevance is OpenSearch's BM25, ties newest
/// first. A search before the index exists finds nothing; deletes and
/// score updates on a missing index succeed.
#[derive(Clone)]
pub struct OpenSearchIndex {
    client: OpenSearch,
    index: IndexName,
    refresh: WriteRefresh,
    /// Set once the index is known to exist with its mapping.
    created: Arc<OnceCell<()>>,
}

impl std::fmt::Debug for OpenSearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenSearchIndex")
            .field("index", &self.index)
            .field("refresh", &self.refresh)
            .finish_non_exhaustive()
    }
}

/// The JSON body of an answer, or why there is none.
async fn read(sent: Result<Response, opensearch::Error>) -> Result<Vec<u8>, Failure> {
    let response = sent.map_err(|e| Failure::Port(unanswered(e)))?;
    let status = response.status_code().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| Failure::Port(unanswered(e)))?;
    if (200..300).contains(&status) {
        Ok(body.to_vec())
    } else {
        Err(Failure::refused(status, &String::from_utf8_lossy(&body)))
    }
}

impl OpenSearchIndex {
    /// The index of `config`; signing reads credentials and region from
    /// `sdk`. Sends nothing: the index is created on the first write (or by
    /// [`Self::ensure_index`] at start-up).
    ///
    /// # Errors
    /// `Permanent` when signing is on and `sdk` lacks credentials or a
    /// region.
    pub fn new(config: &OpenSearchConfig, sdk: &SdkConfig) -> PortResult<Self> {
        Ok(Self {
            client: client::build(config, sdk)?,
            index: config.index.clone(),
            refresh: config.refresh,
            created: Arc::new(OnceCell::new()),
        })
    }

    /// The index name.
    pub fn index_name(&self) -> &IndexName {
        &self.index
    }

    /// Creates the index with its mapping unless it exists; once per
    /// process (a failure is retried on the next call).
    ///
    /// An index that exists is left as it is: a mapping change needs a new
    /// index name (and a reindex), never an in-place update.
    ///
    /// # Errors
    /// `Transient` / `Permanent` / `Invalid` (a mapping the domain refuses).
    pub async fn ensure_index(&self) -> PortResult<()> {
        self.created
            .get_or_try_init(|| async {
                let sent = self
                    .client
                    .indices()
                    .create(IndicesCreateParts::Index(self.index.as_str()))
                    .body(mapping::index_body())
                    .send()
                    .await;
                match read(sent).await {
                    Ok(_) => Ok(()),
                    Err(f) if f.index_exists() => Ok(()),
                    Err(f) => Err(f.into_port("create index")),
                }
            })
            .await
            .map(|_| ())
    }

    /// `refresh=true` for the by-query APIs, which have no `wait_for`.
    fn refresh_by_query(&self) -> bool {
        self.refresh == WriteRefresh::WaitFor
    }

    /// Runs a by-query call; a missing index means there was nothing to do.
    async fn by_query(
        &self,
        what: &str,
        sent: Result<Response, opensearch::Error>,
    ) -> PortResult<()> {
        let body = match read(sent).await {
            Ok(body) => body,
            Err(f) if f.index_missing() => return Ok(()),
            Err(f) => return Err(f.into_port(what)),
        };
        // A by-query call that hit failures part-way may still answer 200
        // and list them: what was done stays done, the rest needs a retry.
        let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        match answer["failures"].as_array() {
            Some(failures) if !failures.is_empty() => Err(PortError::transient(format!(
                "opensearch {what}: {} documents failed: {}",
                failures.len(),
                failures[0]
            ))),
            _ => Ok(()),
        }
    }
}

#[async_trait]
impl SearchIndex for OpenSearchIndex {
    async fn index(&self, doc: &SearchDocument) -> PortResult<()> {
        self.ensure_index().await?;
        let source = serde_json::to_value(doc).map_err(|e| {
            PortError::invalid(format!("opensearch index: encode document: {e}")).with_source(e)
        })?;
        // PUT with the message id (the typed API sends POST): replaces the
        // document of a re-indexed turn, and is the form Serverless search
        // collections accept.
        let path = format!("{}/_doc/{}", self.index, doc.message_id);
        let refresh: &[(&str, &str)] = match self.refresh {
            WriteRefresh::WaitFor => &[("refresh", "wait_for")],
            WriteRefresh::Off => &[],
        };
        let sent = self
            .client
            .send(
                Method::Put,
                &path,
                HeaderMap::new(),
                Some(refresh),
                Some(JsonBody::new(source)),
                None,
            )
            .await;
        read(sent).await.map(drop).map_err(|f| f.into_port("index"))
    }

    async fn set_session_score(&self, session: &SessionId, score: u8) -> PortResult<()> {
        let index = [self.index.as_str()];
        let mut request = self
            .client
            .update_by_query(UpdateByQueryParts::Index(&index))
            .body(query::set_session_score(session, score));
        if self.refresh_by_query() {
            request = request.refresh(true);
        }
        let sent = request.send().await;
        self.by_query("set session score", sent).await
    }

    async fn search(&self, q: &SearchQuery, page: PageRequest) -> PortResult<Page<SearchHit>> {
        let after = match &page.cursor {
            Some(c) => Some(cursor::decode(c, q)?),
            None => None,
        };
        let limit = page.size();
        let body = query::search_body(ReadScope::of(q), q, limit + 1, after.as_deref());
        // The same query goes to the same shard copies page after page, so
        // scores (which differ slightly between replicas) stay consistent.
        let preference = cursor::fingerprint(q);
        let index = [self.index.as_str()];
        let sent = self
            .client
            .search(SearchParts::Index(&index))
            .preference(&preference)
            .body(body)
            .send()
            .await;
        match read(sent).await {
            Ok(body) => response::page_of(q, &body, limit),
            Err(f) if f.index_missing() => Ok(Page::last(Vec::new())),
            Err(f) => Err(f.into_port("search")),
        }
    }

    async fn delete_session(&self, session: &SessionId) -> PortResult<()> {
        let index = [self.index.as_str()];
        let mut request = self
            .client
            .delete_by_query(DeleteByQueryParts::Index(&index))
            .body(query::session_documents(session));
        if self.refresh_by_query() {
            request = request.refresh(true);
        }
        let sent = request.send().await;
        self.by_query("delete session", sent).await
    }

    async fn delete_user(&self, user: &UserId) -> PortResult<()> {
        let index = [self.index.as_str()];
        let mut request = self
            .client
            .delete_by_query(DeleteByQueryParts::Index(&index))
            .body(query::user_documents(user));
        if self.refresh_by_query() {
            request = request.refresh(true);
        }
        let sent = request.send().await;
        self.by_query("delete user", sent).await
    }
}

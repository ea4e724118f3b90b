//! Where the index lives and how requests reach it: endpoint, index name,
//! SigV4 signing, write refresh, timeout; and the HTTP client built from
//! them.

use opensearch::auth::Credentials;
use opensearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use opensearch::OpenSearch;
use pika_ports::{PortError, PortResult};
use std::fmt;
use std::time::Duration;
use url::Url;

use crate::aws::SdkConfig;

/// An OpenSearch index name, as OpenSearch accepts it: 1–255 bytes,
/// lowercase, none of `\ / * ? " < > | , # :` or spaces, not starting
/// with `-`, `_` or `+`, not `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexName(String);

impl IndexName {
    /// Checks `raw`.
    ///
    /// # Errors
    /// `Invalid`, saying which rule `raw` breaks.
    pub fn parse(raw: impl Into<String>) -> PortResult<Self> {
        let raw = raw.into();
        let bad = |why: &str| Err(PortError::invalid(format!("index name {raw:?}: {why}")));
        if raw.is_empty() || raw.len() > 255 {
            return bad("must be 1 to 255 bytes");
        }
        if raw == "." || raw == ".." || raw.starts_with(['-', '_', '+']) {
            return bad("must not be . or .. nor start with -, _ or +");
        }
        if raw.chars().any(|c| c.is_uppercase()) {
            return bad("must be lowercase");
        }
        if raw.contains(['\\', '/', '*', '?', '"', '<', '>', '|', ',', '#', ':', ' ']) {
            return bad("must not contain \\ / * ? \" < > | , # : or spaces");
        }
        Ok(Self(raw))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IndexName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The SigV4 service name requests are signed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningService {
    /// A managed OpenSearch Service domain (`es`).
    Es,
    /// An OpenSearch Serverless collection (`aoss`).
    Aoss,
}

impl SigningService {
    /// The name in the credential scope.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es => "es",
            Self::Aoss => "aoss",
        }
    }
}

/// How requests authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    /// Not at all: a local OpenSearch without the security plugin.
    None,
    /// SigV4 with the SDK configuration's credentials and region.
    SigV4(SigningService),
}

/// When a write becomes visible to searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteRefresh {
    /// A document write returns once a refresh made it searchable (at most
    /// the refresh interval, 1 s by default); by-query deletes and updates
    /// refresh the shards they touched. What the port's contract and the
    /// tests want: a search right after a write sees it.
    WaitFor,
    /// Writes return at once and become searchable within the refresh
    /// interval: the cheapest for a busy domain.
    Off,
}

/// Where the index lives and how to reach it.
#[derive(Debug, Clone)]
pub struct OpenSearchConfig {
    /// The domain endpoint, e.g. `https://search-x.eu-west-1.es.amazonaws.com`
    /// (see [`super::resolve_domain_endpoint`] for a domain named instead),
    /// or `http://localhost:9200`.
    pub endpoint: Url,
    /// The index holding the documents.
    pub index: IndexName,
    /// How requests authenticate.
    pub signing: Signing,
    /// When writes become searchable.
    pub refresh: WriteRefresh,
    /// The longest one request may take.
    pub timeout: Duration,
}

impl OpenSearchConfig {
    /// An AWS OpenSearch Service domain: SigV4 for `es`, writes visible at
    /// once, 10 s timeout.
    pub fn aws(endpoint: Url, index: IndexName) -> Self {
        Self {
            endpoint,
            index,
            signing: Signing::SigV4(SigningService::Es),
            refresh: WriteRefresh::WaitFor,
            timeout: Duration::from_secs(10),
        }
    }

    /// An OpenSearch Serverless collection: SigV4 for `aoss`, no refresh
    /// parameters (a collection makes writes searchable on its own
    /// schedule, and does not offer the by-query APIs: see
    /// `docs/aws-opensearch.md`).
    pub fn serverless(endpoint: Url, index: IndexName) -> Self {
        Self {
            signing: Signing::SigV4(SigningService::Aoss),
            refresh: WriteRefresh::Off,
            ..Self::aws(endpoint, index)
        }
    }

    /// A local OpenSearch without authentication.
    pub fn local(endpoint: Url, index: IndexName) -> Self {
        Self {
            signing: Signing::None,
            ..Self::aws(endpoint, index)
        }
    }
}

/// The client of `config`; signing reads credentials and region from `sdk`.
///
/// # Errors
/// `Permanent` when signing is on but `sdk` has no credentials provider or
/// no region, or the HTTP client cannot be built.
pub fn build(config: &OpenSearchConfig, sdk: &SdkConfig) -> PortResult<OpenSearch> {
    let pool = SingleNodeConnectionPool::new(config.endpoint.clone());
    let mut builder = TransportBuilder::new(pool).timeout(config.timeout);
    if let Signing::SigV4(service) = config.signing {
        let credentials = sdk.credentials_provider().ok_or_else(|| {
            PortError::permanent(
                "opensearch: SigV4 signing needs AWS credentials; none are configured",
            )
        })?;
        let region = sdk.region().cloned().ok_or_else(|| {
            PortError::permanent(
                "opensearch: SigV4 signing needs an AWS region; none is configured",
            )
        })?;
        builder = builder
            .auth(Credentials::AwsSigV4(credentials, region))
            .service_name(service.as_str());
        if let Some(time) = sdk.time_source() {
            builder = builder.sigv4_time_source(time);
        }
    }
    let transport = builder.build().map_err(|e| {
        PortError::permanent(format!("opensearch: cannot build the HTTP client: {e}"))
            .with_source(e)
    })?;
    Ok(OpenSearch::new(transport))
}

//! A JWKS fetched from a URL and kept fresh: identity providers rotate
//! their keys, and a token signed with a new key names a `kid` the set we
//! hold does not have.
//!
//! - On an unknown `kid` the set is fetched again, at most once per
//!   [`JwksRefresh::min_interval`] (a flood of tokens with made-up `kid`s
//!   costs one fetch a minute, not one per request).
//! - A set older than [`JwksRefresh::max_age`] is fetched again on the next
//!   request.
//! - When a fetch fails, the set held so far stays in use (stale while
//!   error), and the next attempt waits [`JwksRefresh::after_error`].
//! - A failed fetch at start-up does not stop the process: it starts with
//!   no key (every RS256/ES256 token refused) and fetches again on the
//!   first request after [`JwksRefresh::after_error`].
//!
//! Fetches are single-flight: concurrent requests wait for the one fetch.

use super::error::AuthError;
use super::jwks::{fetch, KeySet};
use super::JwksRefresh;
use std::sync::{Arc, RwLock};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// When the set was fetched and when a fetch was last tried.
#[derive(Debug, Default)]
struct Attempts {
    /// The last fetch that succeeded.
    fetched: Option<Instant>,
    /// The last fetch tried, and whether it failed.
    tried: Option<(Instant, bool)>,
}

/// The keys of a JWKS URL.
#[derive(Debug)]
pub(crate) struct RemoteKeys {
    url: String,
    rules: JwksRefresh,
    keys: RwLock<Arc<KeySet>>,
    attempts: Mutex<Attempts>,
}

impl RemoteKeys {
    /// Fetches the set once; on failure starts with none (see the module).
    pub(crate) async fn start(url: String, rules: JwksRefresh) -> Self {
        let this = Self {
            url,
            rules,
            keys: RwLock::new(Arc::new(KeySet::empty())),
            attempts: Mutex::new(Attempts::default()),
        };
        let mut attempts = this.attempts.lock().await;
        this.fetch_now(&mut attempts).await;
        drop(attempts);
        this
    }

    /// The keys held now, fetched again first when they are older than
    /// `max_age` (or there are none) and a fetch is allowed.
    pub(crate) async fn current(&self) -> Arc<KeySet> {
        let stale = {
            let attempts = self.attempts.lock().await;
            let old = attempts
                .fetched
                .is_none_or(|at| at.elapsed() >= self.rules.max_age);
            old && self.allowed(&attempts)
        };
        if stale {
            self.refresh().await;
        }
        self.held()
    }

    /// After a token named a `kid` the held set lacks: fetches the set
    /// again when allowed, and returns the keys held then.
    pub(crate) async fn after_unknown_kid(&self) -> Arc<KeySet> {
        self.refresh().await;
        self.held()
    }

    fn held(&self) -> Arc<KeySet> {
        match self.keys.read() {
            Ok(keys) => Arc::clone(&keys),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Whether a fetch may start now.
    fn allowed(&self, attempts: &Attempts) -> bool {
        match attempts.tried {
            None => true,
            Some((at, failed)) => {
                let wait = if failed {
                    self.rules.after_error
                } else {
                    self.rules.min_interval
                };
                at.elapsed() >= wait
            }
        }
    }

    /// One fetch, if allowed; concurrent callers wait for it and do not
    /// fetch again.
    async fn refresh(&self) {
        let mut attempts = self.attempts.lock().await;
        if self.allowed(&attempts) {
            self.fetch_now(&mut attempts).await;
        }
    }

    async fn fetch_now(&self, attempts: &mut Attempts) {
        let now = Instant::now();
        let fetched = fetch(&self.url)
            .await
            .and_then(|text| KeySet::parse(&text).map_err(|e| e.to_string()));
        match fetched {
            Ok(set) => {
                attempts.fetched = Some(now);
                attempts.tried = Some((now, false));
                let mut keys = match self.keys.write() {
                    Ok(keys) => keys,
                    Err(poisoned) => poisoned.into_inner(),
                };
                *keys = Arc::new(set);
            }
            Err(reason) => {
                attempts.tried = Some((now, true));
                tracing::warn!(url = %self.url, %reason, "JWKS fetch failed; the keys held so far stay in use");
            }
        }
    }
}

/// Where a verifier's RS256/ES256 keys come from.
#[derive(Debug, Clone)]
pub(crate) enum Keys {
    /// A file or inline set, read once.
    Fixed(Arc<KeySet>),
    /// A URL, kept fresh.
    Remote(Arc<RemoteKeys>),
}

impl Keys {
    /// The key set to verify a token naming `kid` with: for a URL, fetched
    /// again when `kid` is unknown (and a fetch is allowed).
    pub(crate) async fn for_kid(&self, kid: Option<&str>) -> Result<Arc<KeySet>, AuthError> {
        match self {
            Self::Fixed(set) => Ok(Arc::clone(set)),
            Self::Remote(remote) => {
                let set = remote.current().await;
                match kid {
                    Some(kid) if !set.has_kid(kid) => Ok(remote.after_unknown_kid().await),
                    _ => Ok(set),
                }
            }
        }
    }
}

//! The [`SiteStore`] contract suite.

// Contract suites are tests: a failed expectation panics with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::fixtures::{site, t0, user_id};
use pika_domain::site::{SiteConfig, SiteRecord};
use pika_ports::{ErrorKind, SiteStore};
use std::future::Future;

/// Checks the whole [`SiteStore`] contract. `make` must give a fresh,
/// empty, isolated store on every call; each case uses its own.
pub async fn site_store_contract<S, F, Fut>(make: F)
where
    S: SiteStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    created_once_then_read_back(&make().await).await;
    updated_only_at_the_version_read(&make().await).await;
    updating_nothing_is_not_found(&make().await).await;
}

async fn created_once_then_read_back<S: SiteStore>(store: &S) {
    assert_eq!(store.get().await.unwrap(), None, "nothing stored yet");
    let seed = SiteRecord::seed(site(), t0());
    store.create(&seed).await.expect("the first create");
    assert_eq!(store.get().await.unwrap(), Some(seed.clone()), "as created");

    let other = SiteRecord::seed(SiteConfig::default(), t0());
    let err = store.create(&other).await.expect_err("a second create");
    assert_eq!(err.kind, ErrorKind::Conflict, "{err}");
    assert_eq!(
        store.get().await.unwrap(),
        Some(seed),
        "a refused create changes nothing"
    );
}

async fn updated_only_at_the_version_read<S: SiteStore>(store: &S) {
    let seed = SiteRecord::seed(SiteConfig::default(), t0());
    store.create(&seed).await.unwrap();

    let mut next = seed.clone();
    next.config = site();
    next.version = 2;
    next.updated_by = Some(user_id("admin"));
    store.update(&next, 1).await.expect("update at version 1");
    assert_eq!(store.get().await.unwrap(), Some(next.clone()));

    let mut stale = seed.clone();
    stale.version = 2;
    let err = store
        .update(&stale, 1)
        .await
        .expect_err("an update from version 1 again");
    assert_eq!(err.kind, ErrorKind::Conflict, "{err}");
    assert_eq!(
        store.get().await.unwrap(),
        Some(next),
        "a refused update changes nothing"
    );
}

async fn updating_nothing_is_not_found<S: SiteStore>(store: &S) {
    let mut record = SiteRecord::seed(site(), t0());
    record.version = 2;
    let err = store
        .update(&record, 1)
        .await
        .expect_err("an update with nothing stored");
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    assert_eq!(store.get().await.unwrap(), None, "nothing was created");
}

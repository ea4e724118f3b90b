//! The [`UserMemory`] contract, assuming only what the port documents:
//! recording exchanges leaves something for that user; retrieval is per
//! user and per strategy and bounded by its limit; listing is newest first
//! and pages without loss or duplication; foreign cursors are refused;
//! deleting a user forgets them and only them.
//!
//! How records are extracted from an exchange is the backend's business, so
//! the suite never asserts a record's content or which strategy got it.
// Contract suites are tests: a broken contract must fail loudly, at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::fakes::clock::SequentialIds;
use crate::fixtures::{t0, user_id};
use pika_domain::chrono::Duration;
use pika_domain::ids::UserId;
use pika_domain::memory::{MemoryRecord, MemoryStrategy};
use pika_ports::page::{Cursor, PageRequest};
use pika_ports::{ErrorKind, IdGeneratorExt, MemoryExchange, UserMemory};
use std::collections::HashSet;
use std::future::Future;

const ALICE_SAYS: [&str; 4] = [
    "I prefer short answers in bullet points, please.",
    "I work as a data engineer at Acme on the billing pipeline.",
    "I like Python much more than Java for scripting.",
    "My team is migrating our warehouse to Apache Iceberg this quarter.",
];
const BOB_SAYS: [&str; 2] = [
    "I prefer long, detailed answers with examples.",
    "I manage the customer support team in Lisbon.",
];

/// Every record `memory` lists for `user`, in pages of `limit`.
async fn list_all<M: UserMemory>(memory: &M, user: &UserId, limit: u32) -> Vec<MemoryRecord> {
    let mut records = Vec::new();
    let mut cursor: Option<Cursor> = None;
    for _ in 0..200 {
        let page = memory
            .list(user, PageRequest::after(limit, cursor.take()))
            .await
            .unwrap();
        assert!(page.items.len() <= limit as usize, "page over its limit");
        records.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return records,
        }
    }
    panic!("paging did not end after 200 pages");
}

async fn retrieve_all<M: UserMemory>(memory: &M, user: &UserId, limit: u32) -> Vec<MemoryRecord> {
    let mut found = Vec::new();
    for strategy in MemoryStrategy::ALL {
        let records = memory
            .retrieve(user, strategy, "answers python team", limit)
            .await
            .unwrap();
        assert!(
            records.len() <= limit as usize,
            "{strategy:?}: over the limit"
        );
        for r in &records {
            assert_eq!(&r.user_id, user, "retrieved another user's record");
            assert_eq!(r.strategy, strategy, "retrieved another strategy's record");
        }
        found.extend(records);
    }
    found
}

/// Checks the whole [`UserMemory`] contract. `make` must give a fresh,
/// empty, isolated memory on every call; records must be readable once
/// `record` returns (an adapter over an asynchronous backend waits).
pub async fn user_memory_contract<M, F, Fut>(make: F)
where
    M: UserMemory,
    F: Fn() -> Fut,
    Fut: Future<Output = M>,
{
    let (alice, bob, carol) = (user_id("alice"), user_id("bob"), user_id("carol"));
    let memory = make().await;
    assert!(retrieve_all(&memory, &alice, 5).await.is_empty());
    let page = memory.list(&alice, PageRequest::default()).await.unwrap();
    assert!(page.items.is_empty() && page.next_cursor.is_none());

    let ids = SequentialIds::new();
    let (alice_session, bob_session) = (ids.session_id(), ids.session_id());
    let talks = ALICE_SAYS
        .iter()
        .map(|t| (&alice, alice_session, *t))
        .chain(BOB_SAYS.iter().map(|t| (&bob, bob_session, *t)));
    for ((user, session_id, text), minute) in talks.zip(0i64..) {
        let exchange = MemoryExchange {
            user_id: user.clone(),
            session_id,
            user_text: text.to_string(),
            assistant_text: "Noted, I will keep that in mind.".to_string(),
            at: t0() + Duration::minutes(minute),
        };
        memory.record(&exchange).await.unwrap();
    }

    // Something was remembered for each user, and only for them.
    let alices = list_all(&memory, &alice, 100).await;
    let bobs = list_all(&memory, &bob, 100).await;
    assert!(!alices.is_empty(), "recording left nothing for alice");
    assert!(!bobs.is_empty(), "recording left nothing for bob");
    assert!(alices.iter().all(|r| r.user_id == alice));
    assert!(bobs.iter().all(|r| r.user_id == bob));
    assert!(list_all(&memory, &carol, 100).await.is_empty());
    assert!(retrieve_all(&memory, &carol, 5).await.is_empty());

    // Retrieval: per user, per strategy, bounded (checked inside).
    for limit in [0, 1, 2, 5, 100] {
        let found = retrieve_all(&memory, &alice, limit).await;
        let listed: HashSet<_> = alices.iter().map(|r| r.record_id.as_str()).collect();
        assert!(
            found.iter().all(|r| listed.contains(r.record_id.as_str())),
            "retrieve returned a record list does not know"
        );
    }
    assert!(
        !retrieve_all(&memory, &alice, 5).await.is_empty(),
        "nothing retrievable"
    );

    // Listing: newest first, pages lose and repeat nothing.
    assert!(
        alices
            .windows(2)
            .all(|w| w[0].created_at >= w[1].created_at),
        "list is newest first"
    );
    for limit in [1, 2, 3] {
        let paged = list_all(&memory, &alice, limit).await;
        let ids: Vec<_> = paged.iter().map(|r| r.record_id.clone()).collect();
        let unique: HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "pages of {limit} repeat a record");
        let whole: Vec<_> = alices.iter().map(|r| r.record_id.clone()).collect();
        assert_eq!(ids, whole, "pages of {limit} differ from one page");
    }
    let foreign = PageRequest::after(2, Some(Cursor::new("not-a-cursor-of-this-memory")));
    let err = memory.list(&alice, foreign).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);

    // Deleting a user forgets them and only them.
    memory.delete_user(&alice).await.unwrap();
    assert!(list_all(&memory, &alice, 100).await.is_empty());
    assert!(retrieve_all(&memory, &alice, 5).await.is_empty());
    assert_eq!(
        list_all(&memory, &bob, 100).await.len(),
        bobs.len(),
        "deleting alice touched bob"
    );
    memory.delete_user(&alice).await.unwrap();
    memory.delete_user(&carol).await.unwrap();
}

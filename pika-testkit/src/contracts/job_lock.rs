//! The [`JobLock`] contract suite.

// Contract suites are tests: a failed expectation panics with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::fixtures::t0;
use pika_domain::chrono::{DateTime, Duration, Utc};
use pika_ports::JobLock;
use std::future::Future;

/// Checks the whole [`JobLock`] contract. `make` must give fresh, isolated
/// locks on every call; each case uses its own.
pub async fn job_lock_contract<S, F, Fut>(make: F)
where
    S: JobLock,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    held_until_expiry(&make().await).await;
    owner_extends(&make().await).await;
    release_only_by_owner(&make().await).await;
    names_are_independent(&make().await).await;
    concurrent_acquires_have_one_winner(&make().await).await;
}

fn at(minutes: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(minutes)
}

const JOB: &str = "insights";

async fn take<S: JobLock>(lock: &S, owner: &str, now: i64, until: i64) -> bool {
    lock.try_acquire(JOB, owner, at(now), at(until))
        .await
        .unwrap_or_else(|e| panic!("try_acquire by {owner} failed: {e}"))
}

async fn held_until_expiry<S: JobLock>(lock: &S) {
    assert!(take(lock, "run-1", 0, 10).await, "a free lock is taken");
    assert!(
        !take(lock, "run-2", 1, 11).await,
        "a held lock is refused to others"
    );
    assert!(
        !take(lock, "run-2", 9, 19).await,
        "still held just before expiry"
    );
    assert!(
        take(lock, "run-2", 10, 20).await,
        "taken once the expiry is at or before now"
    );
    assert!(!take(lock, "run-1", 11, 21).await, "the old holder lost it");
    assert!(
        !take(lock, "run-3", 19, 29).await,
        "the new holder's expiry counts"
    );
}

async fn owner_extends<S: JobLock>(lock: &S) {
    assert!(take(lock, "run-1", 0, 10).await);
    assert!(
        take(lock, "run-1", 5, 30).await,
        "the holder takes it again"
    );
    assert!(
        !take(lock, "run-2", 15, 25).await,
        "extended: held past the first expiry"
    );
    assert!(take(lock, "run-2", 30, 40).await, "free at the new expiry");
}

async fn release_only_by_owner<S: JobLock>(lock: &S) {
    assert!(take(lock, "run-1", 0, 10).await);
    lock.release(JOB, "run-2")
        .await
        .expect("release by another owner succeeds");
    assert!(
        !take(lock, "run-2", 1, 11).await,
        "another owner's release does nothing"
    );
    lock.release(JOB, "run-1")
        .await
        .expect("release by the holder");
    assert!(
        take(lock, "run-2", 2, 12).await,
        "a released lock is free at once"
    );
    lock.release(JOB, "run-1")
        .await
        .expect("releasing a lock one lost does nothing");
    assert!(!take(lock, "run-3", 3, 13).await, "run-2 still holds it");
    lock.release("never-taken", "run-1")
        .await
        .expect("releasing an unknown lock succeeds");
    lock.release(JOB, "run-2").await.unwrap();
    lock.release(JOB, "run-2")
        .await
        .expect("releasing twice succeeds");
}

async fn names_are_independent<S: JobLock>(lock: &S) {
    assert!(lock
        .try_acquire("insights", "a", at(0), at(10))
        .await
        .unwrap());
    assert!(
        lock.try_acquire("cleanup", "b", at(0), at(10))
            .await
            .unwrap(),
        "another name is another lock"
    );
    lock.release("cleanup", "b").await.unwrap();
    assert!(
        !lock
            .try_acquire("insights", "b", at(1), at(10))
            .await
            .unwrap(),
        "releasing one lock leaves the other held"
    );
}

async fn concurrent_acquires_have_one_winner<S: JobLock>(lock: &S) {
    let owners: Vec<String> = (0..8).map(|i| format!("run-{i}")).collect();
    let results = futures::future::join_all(
        owners
            .iter()
            .map(|o| lock.try_acquire(JOB, o, at(0), at(10))),
    )
    .await;
    let won = results
        .iter()
        .map(|r| {
            *r.as_ref()
                .unwrap_or_else(|e| panic!("try_acquire failed: {e}"))
        })
        .filter(|taken| *taken)
        .count();
    assert_eq!(won, 1, "exactly one of 8 concurrent runs takes the lock");
}

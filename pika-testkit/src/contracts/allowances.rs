//! The [`AllowanceStore`] contract suite.

// Contract suites are tests: a failed expectation panics with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::fixtures::t0;
use pika_domain::chrono::Duration;
use pika_domain::fair_use::{AllowanceState, Rate, TokenBucket, TurnHold, TurnHolds};
use pika_ports::{AllowanceStore, ErrorKind};
use std::future::Future;
use std::sync::Arc;

/// Checks the whole [`AllowanceStore`] contract. `make` must give a fresh,
/// empty, isolated store on every call; each case uses its own.
pub async fn allowance_store_contract<S, F, Fut>(make: F)
where
    S: AllowanceStore + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    writes_name_the_version_they_replace(&make().await).await;
    keys_are_independent(&make().await).await;
    racing_writers_never_share_the_last_token(Arc::new(make().await)).await;
}

fn bucket(milli: u64) -> AllowanceState {
    AllowanceState {
        bucket: Some(TokenBucket {
            milli_tokens: milli,
            updated_at: t0(),
        }),
        holds: TurnHolds::default(),
    }
}

async fn writes_name_the_version_they_replace<S: AllowanceStore>(store: &S) {
    let later = t0() + Duration::minutes(5);
    assert_eq!(store.load("user#a").await.unwrap(), None);
    store.save("user#a", &bucket(1), None, later).await.unwrap();
    let first = store.load("user#a").await.unwrap().expect("saved");
    assert_eq!((first.state.clone(), first.version), (bucket(1), 1));

    let err = store
        .save("user#a", &bucket(2), None, later)
        .await
        .expect_err("a first write when one exists");
    assert_eq!(err.kind, ErrorKind::Conflict, "{err}");
    store
        .save("user#a", &bucket(2), Some(1), later)
        .await
        .unwrap();
    let err = store
        .save("user#a", &bucket(3), Some(1), later)
        .await
        .expect_err("a write naming a replaced version");
    assert_eq!(err.kind, ErrorKind::Conflict, "{err}");
    let err = store
        .save("user#b", &bucket(3), Some(1), later)
        .await
        .expect_err("a write naming a version of nothing");
    assert_eq!(err.kind, ErrorKind::Conflict, "{err}");

    let holds = AllowanceState {
        bucket: None,
        holds: TurnHolds {
            holds: vec![TurnHold {
                turn: "turn-1".to_string(),
                tokens: 8_000,
                expires_at: later,
            }],
        },
    };
    store.save("user#a", &holds, Some(2), later).await.unwrap();
    let read = store.load("user#a").await.unwrap().expect("saved");
    assert_eq!((read.state, read.version), (holds, 3));
}

async fn keys_are_independent<S: AllowanceStore>(store: &S) {
    let later = t0() + Duration::minutes(5);
    store.save("user#a", &bucket(1), None, later).await.unwrap();
    store
        .save("entity#a", &bucket(7), None, later)
        .await
        .unwrap();
    assert_eq!(
        store.load("user#a").await.unwrap().unwrap().state,
        bucket(1)
    );
    assert_eq!(
        store.load("entity#a").await.unwrap().unwrap().state,
        bucket(7)
    );
}

/// Twelve writers take from a bucket of five at once, each reading,
/// deciding by the domain rule and writing back, again on a conflict:
/// exactly five get a token.
async fn racing_writers_never_share_the_last_token<S: AllowanceStore + 'static>(store: Arc<S>) {
    let rate = Rate::new(1, 5).unwrap();
    let now = t0();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            for _ in 0..100 {
                let current = store.load("user#race").await.unwrap();
                let held = current.as_ref().and_then(|a| a.state.bucket);
                let Ok(next) = TokenBucket::take(held.as_ref(), rate, now) else {
                    return false;
                };
                let version = current.map(|a| a.version);
                let state = AllowanceState {
                    bucket: Some(next),
                    holds: TurnHolds::default(),
                };
                match store
                    .save("user#race", &state, version, now + Duration::minutes(5))
                    .await
                {
                    Ok(()) => return true,
                    Err(e) if e.kind == ErrorKind::Conflict => continue,
                    Err(e) => panic!("{e}"),
                }
            }
            panic!("a writer lost every race");
        }));
    }
    let mut admitted = 0;
    for task in tasks {
        if task.await.unwrap() {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 5, "a bucket of five gave {admitted} tokens");
}

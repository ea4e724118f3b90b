//! The custom store of `examples/src/file_job_lock.rs` honours the same
//! contract as Pika's own job locks: `pika-testkit`'s suite, unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use pika_examples::file_job_lock::FileJobLock;
use pika_testkit::contracts::job_lock::job_lock_contract;

#[tokio::test]
async fn a_file_job_lock_honours_the_job_lock_contract() {
    let root = tempfile::tempdir().unwrap();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    job_lock_contract(|| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = root.path().join(format!("locks-{n}"));
        async move { FileJobLock::new(dir).unwrap() }
    })
    .await;
}

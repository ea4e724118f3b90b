//! A store written outside Pika's adapters — job locks as files
//! (`pika_examples::file_job_lock`) — composed into the platform with
//! `Platform::builder()`: the platform's job lock (the one the scheduled
//! jobs take so that a job runs once at a time) is now the file store. Its
//! tests
//! (`examples/tests/custom_store.rs`) run the contract suite on it.
//!
//! `cargo run -p pika-examples --example custom_store`

use pika_examples::file_job_lock::FileJobLock;
use pika_ports::JobLock;
use pika_service::PlatformBuilder;
use pika_testkit::{fixtures, FakePorts};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let locks = Arc::new(FileJobLock::new(dir.path())?);
    // Every other port from the fakes; the job lock is ours.
    let fakes = FakePorts::with_site(fixtures::site());
    let platform = PlatformBuilder::from_ports(fakes.ports())
        .job_lock(locks.clone())
        .build()?;

    // The lock the jobs take is the file store's.
    let now = pika_domain::chrono::Utc::now();
    let later = now + pika_domain::chrono::Duration::minutes(5);
    assert!(
        platform
            .ports
            .job_lock
            .try_acquire("cleanup", "here", now, later)
            .await?
    );
    assert!(
        !locks
            .try_acquire("cleanup", "elsewhere", now, later)
            .await?
    );
    platform.ports.job_lock.release("cleanup", "here").await?;
    assert!(
        locks
            .try_acquire("cleanup", "elsewhere", now, later)
            .await?
    );
    let files: Vec<_> = std::fs::read_dir(dir.path())?.collect();
    println!(
        "the platform's job lock is a file store: {} lock file(s) in {}",
        files.len(),
        dir.path().display()
    );
    Ok(())
}

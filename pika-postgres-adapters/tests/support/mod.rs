//! A fresh schema per store for the contract suites, on the server named
//! by `PIKA_TEST_POSTGRES_URL` (`.ci/run` starts one with
//! `scripts/postgres.sh`). Without it the tests say so and pass, except
//! under CI, where a missing server fails them.

#![allow(clippy::expect_used, clippy::panic, dead_code)]

use pika_postgres_adapters::{PostgresDb, PostgresOptions};
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The test server's address, or `None` (said on stderr) when there is none
/// outside CI.
pub fn server() -> Option<String> {
    match std::env::var("PIKA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but PIKA_TEST_POSTGRES_URL is not: start a server with scripts/postgres.sh")
        }
        _ => {
            eprintln!("PIKA_TEST_POSTGRES_URL is not set: skipping the PostgreSQL tests");
            None
        }
    }
}

/// Options for a schema no other test (or earlier run) uses.
pub fn fresh_options(url: &str) -> PostgresOptions {
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut options = PostgresOptions::new(url).with_schema(format!(
        "t{}_{}_{n}",
        std::process::id(),
        nanos % 1_000_000_000_000
    ));
    options.max_connections = 4;
    options
}

/// A new database handle on an empty schema of its own.
pub async fn fresh_db(url: &str) -> PostgresDb {
    PostgresDb::connect(&fresh_options(url))
        .await
        .expect("connect to the test server")
}

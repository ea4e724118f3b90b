//! (being ported from pika-local-adapters/src/sqlite/job_lock.rs)

//! (being ported from pika-local-adapters/src/sqlite/usage.rs)

//! (being ported from pika-local-adapters/src/sqlite/config.rs)

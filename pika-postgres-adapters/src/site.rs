//! (being ported from pika-local-adapters/src/sqlite/site.rs)

//! (being ported from pika-local-adapters/src/sqlite/turns.rs)

//! (being ported from pika-local-adapters/src/sqlite/allowances.rs)

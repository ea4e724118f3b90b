//! (being ported from pika-local-adapters/src/sqlite/memory.rs)

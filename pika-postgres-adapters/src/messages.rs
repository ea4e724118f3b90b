//! (being ported from pika-local-adapters/src/sqlite/messages.rs)

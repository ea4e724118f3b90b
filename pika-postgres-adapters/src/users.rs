//! (being ported from pika-local-adapters/src/sqlite/users.rs)

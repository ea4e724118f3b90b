//! (being ported from pika-local-adapters/src/sqlite/feedback.rs)

//! (being ported from pika-local-adapters/src/sqlite/chat_apps.rs)

//! # pika-local
//!
//! The local server, `pika-local`: the whole platform on one machine with
//! the embedded adapters (SQLite, tantivy, files on disk, an
//! OpenAI-compatible model server, in-process tools). See `docs/local.md`.

pub mod accept;
pub mod bootstrap;
pub mod config;
pub mod files;
pub mod jobs;
pub mod page;
pub mod secrets;
pub mod server;
pub mod unconfigured;

//! # pika-local
//!
//! The local server, `pika-local`: the whole platform on one machine with
//! the embedded adapters (SQLite, tantivy, files on disk, an
//! OpenAI-compatible model server, in-process tools), or with its stores on
//! PostgreSQL (`[store] postgres_url`) for several servers behind a load
//! balancer. See `docs/local.md`.
//!
//! ```
//! use pika_local::config::LocalConfig;
//!
//! // No file, one environment override: the stores on PostgreSQL.
//! let env = |name: &str| {
//!     (name == "PIKA_POSTGRES_URL").then(|| "postgres://pika@db.internal/pika".to_string())
//! };
//! let config = LocalConfig::load(None, env)?;
//! assert_eq!(config.server.bind, "127.0.0.1:8080");
//! assert_eq!(config.store.postgres_url.as_deref(), Some("postgres://pika@db.internal/pika"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod accept;
pub mod bootstrap;
pub mod config;
pub mod files;
pub mod jobs;
pub mod page;
pub mod secrets;
pub mod server;
pub mod stores;
pub mod unconfigured;

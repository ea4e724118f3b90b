//! # pika-local-adapters
//!
//! Embedded defaults for running Pika on one machine with no cloud account.
//! Each backend sits behind a cargo feature:
//!
//! | feature | module | ports |
//! |---|---|---|
//! | `sqlite` | `sqlite` | every store, the usage ledger, the job lock, user memory |
//! | `search` | `search` | the search index (tantivy) |
//! | `files` | `files` | the file store, with HMAC-signed expiring URLs |
//! | `openai` | `openai` | the agent runtime and completions over an OpenAI-compatible server |
//! | `embedded` | `embedded` | the agent runtime and completions from a GGUF model run in-process (llama.cpp) |
//! | (always) | `metrics` | the metrics sink, as JSON lines in a file |
//! | (always) | `inline_tools` | the tool invoker for in-process tools |
//! | (always) | `tool_text` | tool calls as `<tool_call>` text, for models without native tool calling |
//!
//! Every store on one SQLite database (a file in a real server):
//!
//! ```
//! # #[cfg(feature = "sqlite")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use pika_domain::ids::ChatAppId;
//! use pika_local_adapters::sqlite::{SqliteDb, SqliteStores};
//! use pika_ports::ChatAppStore;
//!
//! let stores = SqliteStores::new(SqliteDb::open_in_memory()?);
//! let app = ChatAppId::parse("weather-bot")?;
//! assert_eq!(stores.chat_apps.get(&app).await?, None, "a new database is empty");
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "sqlite"))]
//! # fn main() {}
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod inline_tools;
pub mod metrics;
pub mod tool_text;

#[cfg(feature = "embedded")]
pub mod embedded;

#[cfg(feature = "files")]
pub mod files;
#[cfg(feature = "search")]
pub mod knowledge;
#[cfg(feature = "openai")]
pub mod openai;
#[cfg(feature = "search")]
pub mod search;
#[cfg(feature = "sqlite")]
pub mod sqlite;

//! # pika-testkit
//!
//! Everything needed to test Pika without AWS:
//! - [`fakes`]: an in-memory fake of every port, honouring the same
//!   contracts as the real adapters (conditional writes, paging, ordering).
//! - [`faults`]: fault injection for any fake — fail the Nth call, throttle,
//!   delay; the scripted runtime also cuts streams after K events.
//! - [`fakes::runtime::ScriptedRuntime`]: scripted model turns (text, tool
//!   calls, errors) and [`fakes::completions::ScriptedCompletions`] for
//!   verifier, title and assessment answers.
//! - [`fixtures`]: builders for users, chat apps, agents and tools.
//! - [`contracts`]: contract suites — public async functions taking a factory
//!   for a port implementation and checking its whole contract. The fakes
//!   run them here; every real adapter runs them in its own tests.
//!
//! A store proven by its contract suite (here the fake itself; an adapter
//! passes a factory of fresh, empty stores of its own):
//!
//! ```
//! use pika_testkit::contracts::sessions::session_store_contract;
//! use pika_testkit::fakes::sessions::InMemorySessionStore;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! session_store_contract(|| async { InMemorySessionStore::new() }).await;
//! # }
//! ```

pub mod contracts;
pub mod fakes;
pub mod faults;
pub mod fixtures;

pub use fakes::bundle::FakePorts;
pub use faults::Faults;

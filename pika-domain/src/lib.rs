//! # pika-domain
//!
//! The entities, value objects and pure rules of Pika (see `PIKA.md`):
//! who may use a chat app ([`access`]), which features apply to a caller
//! ([`features`]), how answers are graded and corrected ([`verification`]),
//! what a turn costs ([`cost`]), how insight assessments become feedback
//! ([`insights`]) and when a quota refuses a turn ([`quota`]).
//!
//! Everything here is synchronous and deterministic: functions take what they
//! need — including the current time — and return decisions that explain
//! themselves. Reading clocks, stores and models is the job of the ports.
//!
//! ```
//! use pika_domain::ids::{ChatAppId, SessionId};
//!
//! // Ids are validated once, at the edge; a bad one names the rule it breaks.
//! let app = ChatAppId::parse("weather-bot")?;
//! assert_eq!(app.as_str(), "weather-bot");
//! let refused = ChatAppId::parse("has space").unwrap_err();
//! assert!(refused.to_string().contains("letters, digits"), "{refused}");
//! assert!(SessionId::parse("not-a-uuid").is_err());
//! # Ok::<(), pika_domain::ids::InvalidId>(())
//! ```

pub mod access;
pub mod agent;
pub mod chat_app;
pub mod cost;
pub mod directive;
pub mod fair_use;
pub mod features;
pub mod feedback;
pub mod files;
pub mod history;
pub mod ids;
pub mod insights;
pub mod instruction;
pub mod intent;
pub mod knowledge;
pub mod memory;
pub mod message;
pub mod quota;
pub mod session;
pub mod site;
pub mod stream;
pub mod tag;
pub mod title;
pub mod tool;
pub mod user;
pub mod user_data;
pub mod verification;

pub use chrono;
pub use uuid;

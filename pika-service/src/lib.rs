//! # pika-service
//!
//! Pika's use cases, written against the ports of `pika-ports` only:
//!
//! | service | what it does (PIKA.md) |
//! |---|---|
//! | [`ChatService`] | the chat turn (§7) with tools, self-correction (§8), memory, titles, quotas, idempotency, stop and resume |
//! | [`SessionService`] | list, read, delete, title, pin, share — scoped to what the caller may read (§2, §6) |
//! | [`AdminService`] | chat apps, overrides, agents, tools (site admins) |
//! | [`FeedbackService`] | thumbs and comments, triage (§10) |
//! | [`InsightsRunner`] | assessments of idle sessions, one run at a time (§10) |
//! | [`SearchService`] | full-text search over what the caller may read (§10) |
//! | [`UploadService`] | presigned upload URLs within the `fileUpload` rules (§10), download URLs for attached files |
//! | [`UserDirectory`] | the users store kept current from the identity provider's claims (§2) |
//! | [`CleanupService`] | expired sessions, session deletion, user erasure (§10) |
//! | [`AnalyticsService`] | totals, time series, cost by model / chat app / entity (§10) |
//!
//! A shell builds one [`Ports`] bundle per process and hands it to each service.
//!
//! A turn on in-memory ports with a scripted model (the same calls work on
//! any adapters):
//!
//! ```
//! use futures::StreamExt;
//! use pika_domain::stream::TurnEvent;
//! use pika_service::{PlatformBuilder, SendMessage, TurnTarget};
//! use pika_testkit::fakes::runtime::Script;
//! use pika_testkit::{fixtures, FakePorts};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let fakes = FakePorts::with_site(fixtures::site());
//! let (app, agent) = (fixtures::chat_app("help", "helper"), fixtures::agent("helper", &[]));
//! fakes.seed_app(&app, &agent, &[]).await?;
//! fakes.runtime.push(Script::answer("Hello!"));
//! let platform = PlatformBuilder::from_ports(fakes.ports()).build()?;
//!
//! let target = TurnTarget::NewSession(fixtures::chat_app_id("help"));
//! let message = SendMessage::new(target, "Hi".to_string());
//! let mut turn = platform.chat.send(&fixtures::customer("alice"), message).await?;
//! let mut answer = String::new();
//! while let Some(event) = turn.events.next().await {
//!     if let TurnEvent::Delta { text } = event.event {
//!         answer.push_str(&text);
//!     }
//! }
//! assert_eq!(answer, "Hello!");
//! assert_eq!(fakes.messages.of_session(&turn.session_id).len(), 2, "question and answer stored");
//! # Ok(())
//! # }
//! ```

pub mod admin;
pub mod analytics;
pub mod chat;
pub mod cleanup;
pub mod config_cache;
pub mod error;
mod fair_use;
pub mod feedback;
pub mod insights;
pub mod jobs;
pub mod platform;
pub mod ports;
mod retry;
pub mod search;
pub mod sessions;
pub mod site;
pub mod uploads;
pub mod user_data;
pub mod users;

pub use admin::AdminService;
pub use analytics::AnalyticsService;
pub use chat::{ChatService, SendMessage, TurnStream, TurnTarget};
pub use cleanup::CleanupService;
pub use sessions::SessionService;
pub use uploads::UploadService;
pub use user_data::UserDataService;
pub use users::UserDirectory;

pub use config_cache::{load_site, ConfigCache};
pub use error::ServiceError;
pub use feedback::FeedbackService;
pub use insights::InsightsRunner;
pub use jobs::{Job, JobOutcome, JobRunner};

pub use platform::{MissingPorts, Platform, PlatformBuilder};
pub use ports::{Ports, ServiceSettings};
pub use search::SearchService;
pub use site::seed_site;

//! # pika-ports
//!
//! The driven ports of Pika (PIKA.md §12): every trait the use cases in
//! `pika-service` need from the outside world, and the data they carry.
//!
//! Every method documents its error contract with one shared error type,
//! [`PortError`], whose [`ErrorKind`] tells the service what it can do:
//! report not found, answer a conflict, retry a transient failure, or give up.
//! Traits are object-safe (`async-trait`) so a shell can pick adapters at run
//! time and hold them as `Arc<dyn …>`.
//!
//! With the `mock` feature, every trait has a mockall mock (`MockSessionStore`, …).
//!
//! ```
//! use pika_ports::{ErrorKind, PageRequest, PortError};
//!
//! // A first page of 20, then the page after a cursor the store returned.
//! let first = PageRequest::first(20);
//! assert_eq!(first.size(), 20);
//! assert!(first.cursor.is_none());
//!
//! // Errors say what the caller can do about them.
//! let busy = PortError::new(ErrorKind::Transient, "throttled");
//! assert_eq!(busy.kind, ErrorKind::Transient);
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod action_group;
pub mod allowances;
pub mod bundle;
pub mod error;
pub mod fallbacks;
pub mod page;

pub mod chat_apps;
pub mod clock;
pub mod feedback;
pub mod files;
pub mod job_lock;
pub mod journal;
pub mod knowledge;
pub mod memory;
pub mod messages;
pub mod metrics;
pub mod models;
pub mod runtime;
pub mod search;
pub mod sessions;
pub mod site;
pub mod tools;
pub mod turns;
pub mod usage;
pub mod users;

pub use allowances::{Allowance, AllowanceStore};
pub use bundle::Ports;
pub use chat_apps::{AgentStore, ChatAppStore, ToolStore};
pub use clock::{Clock, IdGenerator, IdGeneratorExt, SystemClock, UuidV7Ids};
pub use error::{ErrorKind, PortError, PortResult};
pub use fallbacks::{NoMemory, NoMetrics, NoSearch};
pub use feedback::{FeedbackFilter, FeedbackStore};
pub use files::{FileStore, ObjectInfo, PresignedUrl, UploadGrant};
pub use job_lock::JobLock;
pub use journal::{ClientClaim, StartOutcome, TurnFinish, TurnJournal, TurnStart};
pub use knowledge::{KnowledgeRetriever, NoKnowledgeBases, Passage, Retrieval};
pub use memory::{MemoryExchange, UserMemory};
pub use messages::{ClaimOutcome, MessageStore, TurnClaim, MAX_MESSAGE_BYTES};
pub use metrics::{Metric, MetricBatch, MetricUnit, MetricsSink};
pub use models::{Completion, CompletionModel, CompletionPurpose, CompletionRequest};
pub use page::{Cursor, Page, PageRequest};
pub use runtime::{
    AgentRequest, AgentRuntime, CollaboratorRequest, ContentBlock, ConversationMessage,
    KnowledgeBaseRequest, RuntimeEvent, RuntimeStream, StopReason, ToolSpec,
};
pub use search::{SearchDocument, SearchHit, SearchIndex, SearchQuery, SearchSort};
pub use sessions::{SessionPatch, SessionStore, TurnRecord};
pub use site::SiteStore;
pub use tools::{ToolInvocation, ToolInvoker};
pub use turns::{TurnControl, TurnLease, TurnProgress};
pub use usage::{DailyUsage, ModelUsage, UsageLedger, UsageRecord};
pub use users::UserStore;

//! In-memory fakes of every port.

pub mod allowances;
pub mod bundle;
pub mod clock;
pub mod completions;
pub mod config;
pub mod feedback;
pub mod files;
pub mod job_lock;
pub mod journal;
pub mod keyset;
pub mod knowledge;
pub mod memory;
pub mod messages;
pub mod metrics;
pub mod runtime;
pub mod search;
pub mod sessions;
pub mod site;
pub mod tools;
pub mod turns;
pub mod usage;
pub mod users;

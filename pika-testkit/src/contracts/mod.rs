//! Contract suites.
pub mod allowances;
pub mod config;
pub mod feedback;
pub mod files;
pub mod job_lock;
pub mod knowledge;
pub mod memory;
pub mod messages;
pub mod search;
pub mod sessions;
pub mod site;
mod store_support;
pub mod turns;
pub mod usage;
pub mod users;

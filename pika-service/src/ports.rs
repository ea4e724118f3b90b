//! The ports every service holds (re-exported from `pika-ports`) and the
//! service settings.

use pika_domain::cost::PriceTable;
pub use pika_ports::Ports;
use std::time::Duration;

/// Settings shared by the services.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// Model prices.
    pub prices: PriceTable,
    /// How long chat app, agent and tool configuration is cached.
    pub config_ttl: Duration,
    /// How many past messages a turn reads as history (one store read).
    pub history_messages: u32,
    /// Largest upload in bytes when the chat app sets none.
    pub default_max_upload_bytes: u64,
    /// How long presigned URLs live.
    pub presign_ttl: Duration,
    /// How often a running turn renews its hold on the session, sends its
    /// new events (for resumes from other processes) and reads its stop
    /// flag: the longest a stop from another process waits.
    pub turn_heartbeat: Duration,
    /// How long a turn's hold on its session lasts without a renewal: a
    /// turn whose process died frees its session after this.
    pub turn_hold: Duration,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            prices: PriceTable::bedrock_defaults(),
            config_ttl: Duration::from_secs(60),
            history_messages: 40,
            default_max_upload_bytes: 10 * 1024 * 1024,
            presign_ttl: Duration::from_secs(300),
            turn_heartbeat: Duration::from_millis(500),
            turn_hold: Duration::from_secs(30),
        }
    }
}

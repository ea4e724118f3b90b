//! The metrics sink port (CloudWatch EMF on AWS; namespace `Pika`).

use pika_domain::chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A metric's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricUnit {
    /// A count.
    Count,
    /// Milliseconds.
    Milliseconds,
    /// A plain number (rates).
    None,
}

/// One value.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// `TokenUsage`, `ResponseLatency`, `TimeToFirstToken`, `ToolInvocations`,
    /// `SelfCorrectionRate`, …
    pub name: &'static str,
    /// The value.
    pub value: f64,
    /// Its unit.
    pub unit: MetricUnit,
}

/// Values sharing dimensions and a time.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricBatch {
    /// When.
    pub at: DateTime<Utc>,
    /// Dimensions, e.g. `chatAppId`.
    pub dimensions: BTreeMap<String, String>,
    /// The values.
    pub metrics: Vec<Metric>,
}

/// Receives metrics. Emitting never fails a turn: a sink that cannot write
/// logs the problem itself, so this port returns nothing.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait MetricsSink: Send + Sync {
    /// Emits `batch`.
    fn emit(&self, batch: &MetricBatch);
}

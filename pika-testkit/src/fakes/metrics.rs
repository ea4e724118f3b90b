//! A metrics sink that keeps what it is given, for assertions.

use pika_ports::{MetricBatch, MetricsSink};
use std::sync::{Mutex, MutexGuard};

/// A [`MetricsSink`] recording every batch.
#[derive(Default)]
pub struct RecordingMetrics {
    batches: Mutex<Vec<MetricBatch>>,
}

impl RecordingMetrics {
    /// A sink with nothing recorded.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<MetricBatch>> {
        // A poisoned lock only means another test thread panicked.
        self.batches.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every batch emitted, in order.
    pub fn batches(&self) -> Vec<MetricBatch> {
        self.lock().clone()
    }

    /// Every value of metric `name`, across batches, in order.
    pub fn values(&self, name: &str) -> Vec<f64> {
        self.lock()
            .iter()
            .flat_map(|b| b.metrics.iter())
            .filter(|m| m.name == name)
            .map(|m| m.value)
            .collect()
    }

    /// The sum of every value of metric `name`.
    pub fn sum(&self, name: &str) -> f64 {
        self.values(name).iter().sum()
    }

    /// Forgets everything recorded.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

impl MetricsSink for RecordingMetrics {
    fn emit(&self, batch: &MetricBatch) {
        self.lock().push(batch.clone());
    }
}

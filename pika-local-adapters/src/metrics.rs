//! [`JsonLinesMetrics`]: the [`MetricsSink`] port as one JSON object per
//! batch, appended to a file (`metrics.jsonl` of the local server). Plain
//! JSON lines rather than CloudWatch's format: locally nothing parses EMF,
//! and `jq` reads this as it is.
//!
//! A batch becomes:
//!
//! ```json
//! {"at":"2026-01-15T09:00:00Z","dimensions":{"chatAppId":"support"},
//!  "metrics":[{"name":"TokenUsage","value":1234.0,"unit":"Count"}]}
//! ```

use pika_ports::{MetricBatch, MetricUnit, MetricsSink};
use serde_json::{json, Value};
use std::io::Write;
use std::sync::Mutex;

/// A [`MetricsSink`] writing one JSON line per batch.
///
/// Values that are not finite are dropped (JSON has no `NaN`); a batch left
/// with no value writes nothing. A write that fails is logged and the batch
/// lost; the turn that emitted it never notices.
pub struct JsonLinesMetrics {
    out: Mutex<Box<dyn Write + Send>>,
}

impl JsonLinesMetrics {
    /// Writes to `writer` (an append-mode file; a buffer in tests).
    pub fn to_writer(writer: Box<dyn Write + Send>) -> Self {
        Self {
            out: Mutex::new(writer),
        }
    }

    /// The line of `batch`, or `None` when no value is finite.
    pub fn render(batch: &MetricBatch) -> Option<Value> {
        let metrics: Vec<Value> = batch
            .metrics
            .iter()
            .filter(|m| m.value.is_finite())
            .map(|m| json!({"name": m.name, "value": m.value, "unit": unit_name(m.unit)}))
            .collect();
        if metrics.is_empty() {
            return None;
        }
        Some(json!({
            "at": batch.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "dimensions": batch.dimensions,
            "metrics": metrics,
        }))
    }
}

fn unit_name(unit: MetricUnit) -> &'static str {
    match unit {
        MetricUnit::Count => "Count",
        MetricUnit::Milliseconds => "Milliseconds",
        MetricUnit::None => "None",
    }
}

impl MetricsSink for JsonLinesMetrics {
    fn emit(&self, batch: &MetricBatch) {
        let Some(line) = Self::render(batch) else {
            return;
        };
        // A poisoned lock only means another emit panicked mid-write; the
        // writer itself is still usable.
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
            tracing::warn!(error = %e, "metrics line not written");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use pika_ports::Metric;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn batch(values: &[(&'static str, f64)]) -> MetricBatch {
        MetricBatch {
            at: chrono::Utc.with_ymd_and_hms(2026, 1, 15, 9, 0, 0).unwrap(),
            dimensions: BTreeMap::from([("chatAppId".to_string(), "support".to_string())]),
            metrics: values
                .iter()
                .map(|(name, value)| Metric {
                    name,
                    value: *value,
                    unit: MetricUnit::Count,
                })
                .collect(),
        }
    }

    #[test]
    fn each_batch_is_one_json_line_without_non_finite_values() {
        let buffer = Buffer::default();
        let sink = JsonLinesMetrics::to_writer(Box::new(buffer.clone()));
        sink.emit(&batch(&[("TokenUsage", 1234.0), ("Rate", f64::NAN)]));
        sink.emit(&batch(&[("Only", f64::INFINITY)]));
        sink.emit(&batch(&[("ToolInvocations", 2.0)]));
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0]["at"], "2026-01-15T09:00:00.000Z");
        assert_eq!(lines[0]["dimensions"]["chatAppId"], "support");
        assert_eq!(
            lines[0]["metrics"],
            json!([{"name": "TokenUsage", "value": 1234.0, "unit": "Count"}])
        );
        assert_eq!(lines[1]["metrics"][0]["name"], "ToolInvocations");
    }
}

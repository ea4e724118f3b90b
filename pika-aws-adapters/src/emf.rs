//! [`EmfMetrics`]: the [`MetricsSink`] port as CloudWatch embedded metric
//! format (EMF) — one JSON object per line, which CloudWatch Logs turns
//! into metrics when a Lambda writes it to stdout. No AWS SDK, no network.
//!
//! A batch becomes:
//!
//! ```json
//! {"_aws":{"Timestamp":1768467600000,"CloudWatchMetrics":[{"Namespace":"Pika",
//!   "Dimensions":[["chatAppId"],[]],
//!   "Metrics":[{"Name":"TokenUsage","Unit":"Count"},{"Name":"ResponseLatency","Unit":"Milliseconds"}]}]},
//!  "chatAppId":"support","TokenUsage":1234,"ResponseLatency":850}
//! ```

use pika_ports::{Metric, MetricBatch, MetricUnit, MetricsSink};
use serde_json::{json, Map, Number, Value};
use std::io::Write;
use std::sync::Mutex;

/// The most metrics one EMF directive may define; a bigger batch is split
/// over several lines.
const MAX_METRICS_PER_LINE: usize = 100;
/// The most dimension keys one dimension set may hold.
const MAX_DIMENSIONS: usize = 30;

/// A [`MetricsSink`] writing CloudWatch EMF lines.
///
/// Each batch is one line (more only past 100 distinct metrics) whose
/// dimension set is every dimension of the batch, in key order. A metric
/// named twice in a batch is defined once, with its values as an array.
/// Values that are not finite, and metrics named like a dimension or
/// `_aws`, are dropped with a warning: CloudWatch would reject the line.
/// A write that fails is logged (`tracing::warn!`) and the batch lost; the
/// turn that emitted it never notices.
pub struct EmfMetrics {
    namespace: String,
    out: Mutex<Box<dyn Write + Send>>,
}

impl EmfMetrics {
    /// Writes to the process's stdout, where Lambda hands it to CloudWatch.
    pub fn stdout(namespace: impl Into<String>) -> Self {
        Self::to_writer(namespace, Box::new(std::io::stdout()))
    }

    /// Writes to `writer` (a file, a buffer in tests).
    pub fn to_writer(namespace: impl Into<String>, writer: Box<dyn Write + Send>) -> Self {
        Self {
            namespace: namespace.into(),
            out: Mutex::new(writer),
        }
    }

    /// The namespace of every metric.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The EMF objects of `batch`, one per line to write; none when no
    /// metric survives.
    pub fn render(&self, batch: &MetricBatch) -> Vec<Value> {
        let metrics = usable_metrics(batch);
        let mut dimension_keys: Vec<&str> = batch.dimensions.keys().map(String::as_str).collect();
        if dimension_keys.len() > MAX_DIMENSIONS {
            tracing::warn!(
                count = dimension_keys.len(),
                "EMF: more than {MAX_DIMENSIONS} dimensions; the rest are plain properties"
            );
            dimension_keys.truncate(MAX_DIMENSIONS);
        }
        metrics
            .chunks(MAX_METRICS_PER_LINE)
            .map(|chunk| {
                let definitions: Vec<Value> = chunk
                    .iter()
                    .map(|(name, unit, _)| json!({"Name": name, "Unit": unit_name(*unit)}))
                    .collect();
                let mut line = Map::new();
                line.insert(
                    "_aws".to_string(),
                    json!({
                        "Timestamp": batch.at.timestamp_millis(),
                        "CloudWatchMetrics": [{
                            "Namespace": self.namespace,
                            "Dimensions": dimension_sets(&dimension_keys),
                            "Metrics": definitions,
                        }],
                    }),
                );
                for (key, value) in &batch.dimensions {
                    line.insert(key.clone(), Value::String(value.clone()));
                }
                for (name, _, values) in chunk {
                    let value = match values.as_slice() {
                        [one] => one.clone(),
                        many => Value::Array(many.to_vec()),
                    };
                    line.insert((*name).to_string(), value);
                }
                Value::Object(line)
            })
            .collect()
    }

    fn write_line(&self, line: &Value) {
        let mut text = line.to_string();
        text.push('\n');
        // A writer whose holder panicked is still a writer.
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            tracing::warn!(error = %e, "EMF: could not write metrics; batch dropped");
        }
    }
}

impl MetricsSink for EmfMetrics {
    fn emit(&self, batch: &MetricBatch) {
        for line in self.render(batch) {
            self.write_line(&line);
        }
    }
}

fn unit_name(unit: MetricUnit) -> &'static str {
    match unit {
        MetricUnit::Count => "Count",
        MetricUnit::Milliseconds => "Milliseconds",
        MetricUnit::None => "None",
    }
}

/// `value` as JSON: integral values as integers, others as floats; `None`
/// when not finite.
fn number(value: f64) -> Option<Value> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if value.fract() == 0.0 && value.abs() < EXACT {
        // Exact: integral and within the range where f64 holds every integer.
        return Some(Value::from(value as i64));
    }
    Number::from_f64(value).map(Value::Number)
}

/// The batch's metrics in order of first appearance, each name once with
/// all its values, without the ones CloudWatch would reject.
fn usable_metrics(batch: &MetricBatch) -> Vec<(&'static str, MetricUnit, Vec<Value>)> {
    let mut out: Vec<(&'static str, MetricUnit, Vec<Value>)> = Vec::new();
    for Metric { name, value, unit } in &batch.metrics {
        if *name == "_aws" || batch.dimensions.contains_key(*name) {
            tracing::warn!(metric = name, "EMF: metric named like a dimension; dropped");
            continue;
        }
        let Some(value) = number(*value) else {
            tracing::warn!(metric = name, "EMF: metric value is not finite; dropped");
            continue;
        };
        match out.iter_mut().find(|(n, _, _)| n == name) {
            Some((_, _, values)) => values.push(value),
            None => out.push((name, *unit, vec![value])),
        }
    }
    out
}

/// The dimension sets of a batch: its own keys, and the empty set, so every
/// value also counts toward the metric across all chat apps (what the
/// site-wide alarms watch). A batch without dimensions has the empty set only.
fn dimension_sets(keys: &[&str]) -> Value {
    if keys.is_empty() {
        json!([[]])
    } else {
        json!([keys, []])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use pika_domain::chrono::{TimeZone, Utc};
    use std::collections::BTreeMap;
    use std::sync::Arc;

    /// A writer the test can read back.
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

    impl Buffer {
        fn lines(&self) -> Vec<Value> {
            let bytes = self.0.lock().unwrap().clone();
            let text = String::from_utf8(bytes).unwrap();
            assert!(
                text.is_empty() || text.ends_with('\n'),
                "lines end with a newline"
            );
            text.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        }
    }

    struct Broken;

    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn sink() -> (EmfMetrics, Buffer) {
        let buffer = Buffer::default();
        (
            EmfMetrics::to_writer("Pika", Box::new(buffer.clone())),
            buffer,
        )
    }

    fn metric(name: &'static str, value: f64, unit: MetricUnit) -> Metric {
        Metric { name, value, unit }
    }

    fn batch(dimensions: &[(&str, &str)], metrics: Vec<Metric>) -> MetricBatch {
        MetricBatch {
            at: Utc.with_ymd_and_hms(2026, 1, 15, 9, 0, 0).unwrap()
                + pika_domain::chrono::Duration::milliseconds(123),
            dimensions: dimensions
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect::<BTreeMap<_, _>>(),
            metrics,
        }
    }

    const AT_MS: i64 = 1_768_467_600_123;

    #[test]
    fn a_turn_batch_is_one_line_of_exactly_this_shape() {
        let (emf, out) = sink();
        emf.emit(&batch(
            &[("chatAppId", "support")],
            vec![
                metric("TokenUsage", 1234.0, MetricUnit::Count),
                metric("ResponseLatency", 850.0, MetricUnit::Milliseconds),
                metric("TimeToFirstToken", 120.5, MetricUnit::Milliseconds),
                metric("ToolInvocations", 2.0, MetricUnit::Count),
                metric("SelfCorrectionRate", 0.25, MetricUnit::None),
            ],
        ));
        let expected = json!({
            "_aws": {
                "Timestamp": AT_MS,
                "CloudWatchMetrics": [{
                    "Namespace": "Pika",
                    "Dimensions": [["chatAppId"], []],
                    "Metrics": [
                        {"Name": "TokenUsage", "Unit": "Count"},
                        {"Name": "ResponseLatency", "Unit": "Milliseconds"},
                        {"Name": "TimeToFirstToken", "Unit": "Milliseconds"},
                        {"Name": "ToolInvocations", "Unit": "Count"},
                        {"Name": "SelfCorrectionRate", "Unit": "None"},
                    ],
                }],
            },
            "chatAppId": "support",
            "TokenUsage": 1234,
            "ResponseLatency": 850,
            "TimeToFirstToken": 120.5,
            "ToolInvocations": 2,
            "SelfCorrectionRate": 0.25,
        });
        assert_eq!(out.lines(), vec![expected]);
        assert!(out.lines()[0]["TokenUsage"].is_i64(), "counts are integers");
    }

    #[test]
    fn dimensions_are_one_set_in_key_order_or_an_empty_set() {
        let (emf, out) = sink();
        let metrics = vec![metric("TokenUsage", 1.0, MetricUnit::Count)];
        emf.emit(&batch(
            &[("entityId", "acme"), ("chatAppId", "a")],
            metrics.clone(),
        ));
        emf.emit(&batch(&[], metrics));
        let lines = out.lines();
        let dims = |i: usize| lines[i]["_aws"]["CloudWatchMetrics"][0]["Dimensions"].clone();
        assert_eq!(dims(0), json!([["chatAppId", "entityId"], []]));
        assert_eq!(
            (lines[0]["chatAppId"].clone(), lines[0]["entityId"].clone()),
            (json!("a"), json!("acme"))
        );
        assert_eq!(dims(1), json!([[]]));
    }

    #[test]
    fn a_name_given_twice_is_defined_once_with_every_value() {
        let (emf, out) = sink();
        emf.emit(&batch(
            &[("chatAppId", "a")],
            vec![
                metric("ToolLatency", 10.0, MetricUnit::Milliseconds),
                metric("TokenUsage", 5.0, MetricUnit::Count),
                metric("ToolLatency", 12.5, MetricUnit::Milliseconds),
            ],
        ));
        let line = &out.lines()[0];
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"],
            json!([{"Name": "ToolLatency", "Unit": "Milliseconds"}, {"Name": "TokenUsage", "Unit": "Count"}])
        );
        assert_eq!(line["ToolLatency"], json!([10, 12.5]));
    }

    #[test]
    fn values_cloudwatch_would_reject_are_dropped() {
        let (emf, out) = sink();
        emf.emit(&batch(
            &[("chatAppId", "a")],
            vec![
                metric("Bad", f64::NAN, MetricUnit::None),
                metric("Worse", f64::INFINITY, MetricUnit::None),
                metric("chatAppId", 1.0, MetricUnit::Count),
                metric("_aws", 1.0, MetricUnit::Count),
                metric("Good", 1.0, MetricUnit::Count),
            ],
        ));
        let line = &out.lines()[0];
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"],
            json!([{"Name": "Good", "Unit": "Count"}])
        );
        assert_eq!(
            line["chatAppId"],
            json!("a"),
            "the dimension keeps its value"
        );
        assert!(line.get("Bad").is_none() && line.get("Worse").is_none());
        emf.emit(&batch(
            &[("chatAppId", "a")],
            vec![metric("Bad", f64::NAN, MetricUnit::None)],
        ));
        emf.emit(&batch(&[("chatAppId", "a")], Vec::new()));
        assert_eq!(out.lines().len(), 1, "nothing to say, no line");
    }

    #[test]
    fn over_a_hundred_metrics_spread_over_lines() {
        let (emf, out) = sink();
        let names: Vec<&'static str> = (0..150)
            // Names are `&'static str`: leaking 150 short ones in a test is fine.
            .map(|i| &*Box::leak(format!("M{i}").into_boxed_str()))
            .collect();
        let metrics = names
            .iter()
            .map(|n| metric(n, 1.0, MetricUnit::Count))
            .collect();
        emf.emit(&batch(&[("chatAppId", "a")], metrics));
        let lines = out.lines();
        assert_eq!(lines.len(), 2);
        let count = |i: usize| {
            lines[i]["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .unwrap()
                .len()
        };
        assert_eq!((count(0), count(1)), (100, 50));
        for line in &lines {
            assert_eq!(line["_aws"]["Timestamp"], json!(AT_MS));
            assert_eq!(line["chatAppId"], json!("a"));
        }
        assert_eq!(lines[1]["M149"], json!(1));
    }

    #[test]
    fn a_failing_writer_is_logged_not_fatal() {
        let emf = EmfMetrics::to_writer("Pika", Box::new(Broken));
        let b = batch(&[], vec![metric("TokenUsage", 1.0, MetricUnit::Count)]);
        emf.emit(&b);
        emf.emit(&b);
        assert_eq!(emf.namespace(), "Pika");
        assert_eq!(emf.render(&b).len(), 1);
    }
}

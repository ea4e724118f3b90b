//! What every benchmark program shares: timing samples, their order
//! statistics, and the result file `bench/run.sh` turns into
//! `docs/benchmarks.md`.

pub mod dynamo;
pub mod http;
pub mod process;
pub mod turns;

use serde::Serialize;
use std::time::Duration;

/// Samples of one measure, in the unit they were taken in.
#[derive(Debug, Clone, Default)]
pub struct Samples(pub Vec<f64>);

impl Samples {
    /// Adds a duration, in microseconds.
    pub fn push_micros(&mut self, d: Duration) {
        self.0.push(d.as_secs_f64() * 1e6);
    }

    /// The `q` quantile (0.0 to 1.0), nearest rank; 0 when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return 0.0;
        }
        let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1]
    }

    /// The smallest sample.
    pub fn min(&self) -> f64 {
        self.quantile(0.0)
    }

    /// The median.
    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }

    /// The largest sample.
    pub fn max(&self) -> f64 {
        self.quantile(1.0)
    }
}

/// One row of `docs/benchmarks.md`, as a benchmark program writes it
/// (JSON, to the file named by `BENCH_OUT`, or stdout).
#[derive(Debug, Clone, Serialize)]
pub struct RowResult {
    /// The row's number in issue 13's table.
    pub row: u32,
    /// What is measured.
    pub title: String,
    /// The command that measured it.
    pub command: String,
    /// Column headings of the table.
    pub columns: Vec<String>,
    /// The table's rows (each as many cells as `columns`).
    pub rows: Vec<Vec<String>>,
    /// The goal, in words.
    pub goal: String,
    /// Whether the goal is met.
    pub met: bool,
    /// The headline figure, in words (with its anchor or ratio).
    pub summary: String,
    /// What the reader should know (what is stood in, what is skipped).
    pub notes: String,
}

impl RowResult {
    /// Writes the result where `BENCH_OUT` says (stdout without it).
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write(&self) -> std::io::Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        match std::env::var_os("BENCH_OUT") {
            Some(path) => std::fs::write(path, json),
            None => {
                println!("{json}");
                Ok(())
            }
        }
    }
}

/// A number with `digits` decimals, for a table cell.
pub fn cell(value: f64, digits: usize) -> String {
    format!("{value:.digits$}")
}

/// Whether the run is the tiny one CI makes (`BENCH_TINY=1`): each
/// benchmark once at a size that only proves it still runs.
pub fn tiny() -> bool {
    std::env::var("BENCH_TINY").is_ok_and(|v| v == "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let s = Samples((1..=100).map(f64::from).collect());
        assert_eq!(s.median(), 50.0);
        assert_eq!(s.quantile(0.99), 99.0);
        assert_eq!(s.min(), 1.0);
        assert_eq!(s.max(), 100.0);
        assert_eq!(Samples::default().median(), 0.0);
    }
}

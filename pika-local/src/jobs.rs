//! The scheduled jobs on the local server: the insights runner, the cleanup
//! of expired sessions and the daily usage report — the same
//! [`JobRunner`] the Lambda deployment runs from EventBridge, here on
//! timers in the server's process (`[jobs]` in `pika.toml`, off with
//! `PIKA_JOBS=false`).

use crate::config::JobsConfig;
use pika_domain::cost::PriceTable;
use pika_service::{Job, JobRunner, Ports};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// The running timers; dropping it stops them (a job running at that
/// moment is cut off, as a Lambda timeout would; each is idempotent and
/// releases or lets expire its lock).
pub struct Schedule {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Schedule {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Schedule {
    /// How many jobs are scheduled (none when disabled).
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no job is scheduled.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

/// Starts the jobs of `config` over `ports`, booking their model calls at
/// `prices` (the server's, as its turns are); each runs first right away,
/// then every period.
pub fn start(ports: Ports, prices: PriceTable, config: &JobsConfig) -> Schedule {
    if !config.enabled {
        tracing::info!("scheduled jobs are off ([jobs] enabled = false)");
        return Schedule { tasks: Vec::new() };
    }
    let runner = JobRunner::new(ports).with_prices(prices);
    let jobs = [
        (
            Job::Insights {
                batch_size: None,
                idle_minutes: None,
            },
            config.insights_every_seconds,
        ),
        (Job::Cleanup { limit: None }, config.cleanup_every_seconds),
        (
            Job::UsageReport { day: None },
            config.usage_report_every_seconds,
        ),
    ];
    let tasks = jobs
        .into_iter()
        .map(|(job, seconds)| {
            let runner = runner.clone();
            tokio::spawn(every(runner, job, Duration::from_secs(seconds.max(1))))
        })
        .collect();
    Schedule { tasks }
}

async fn every(runner: JobRunner, job: Job, period: Duration) {
    // The lock owner names this process, so two servers on one database
    // (or a restart within a lock's lifetime) never run a job twice at once.
    let owner = format!("pika-local-{}", std::process::id());
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match runner.run(&job, &owner).await {
            Ok(outcome) => tracing::info!(?job, ?outcome, "job done"),
            Err(e) => tracing::warn!(?job, error = %e, "job failed; it runs again next period"),
        }
    }
}

//! The scheduled jobs (PIKA.md §10), as one use case a scheduler calls:
//! the insights runner, the cleanup of expired sessions, and the daily usage
//! report. Each runs one at a time (a job lock) and is idempotent: running
//! it twice does the work once.

use crate::analytics::{AnalyticsQuery, AnalyticsReport, AnalyticsService};
use crate::cleanup::CleanupService;
use crate::error::ServiceError;
use crate::insights::{InsightsReport, InsightsRunner};
use crate::ports::Ports;
use crate::retry::retry_transient;
use pika_domain::chrono::{Duration, NaiveDate};
use pika_ports::{Metric, MetricBatch, MetricUnit};
use std::collections::BTreeMap;

/// The job lock of the cleanup job.
pub const CLEANUP_LOCK: &str = "cleanup";
/// How many expired sessions one cleanup run deletes at most by default.
pub const DEFAULT_CLEANUP_LIMIT: u32 = 200;

/// A scheduled job and its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Assess idle sessions that need insights.
    Insights {
        /// Sessions per run (the site's setting when `None`).
        batch_size: Option<u32>,
        /// How long a session must have been idle (the site's setting when `None`).
        idle_minutes: Option<i64>,
    },
    /// Delete expired sessions with everything they own.
    Cleanup {
        /// At most this many per run.
        limit: Option<u32>,
    },
    /// Report one day's usage (yesterday when `None`) as metrics and a log event.
    UsageReport {
        /// The UTC day.
        day: Option<NaiveDate>,
    },
}

/// What a job did.
#[derive(Debug, Clone, PartialEq)]
pub enum JobOutcome {
    /// The insights runner's report.
    Insights(InsightsReport),
    /// Expired sessions deleted; `locked_out` when another run was busy.
    Cleanup {
        /// Sessions deleted.
        deleted: u64,
        /// Another run held the lock; nothing was done.
        locked_out: bool,
    },
    /// The day's report, or `None` when it was reported before.
    UsageReport {
        /// The day reported.
        day: NaiveDate,
        /// The report; `None` when an earlier run reported this day.
        report: Option<AnalyticsReport>,
    },
}

/// Runs scheduled jobs.
#[derive(Clone)]
pub struct JobRunner {
    ports: Ports,
    prices: pika_domain::cost::PriceTable,
}

impl JobRunner {
    /// A runner over `ports` (the jobs' settings are the stored site
    /// configuration's).
    pub fn new(ports: Ports) -> Self {
        Self {
            ports,
            prices: pika_domain::cost::PriceTable::bedrock_defaults(),
        }
    }

    /// The prices the jobs' model calls are booked at (Bedrock's by default).
    #[must_use]
    pub fn with_prices(mut self, prices: pika_domain::cost::PriceTable) -> Self {
        self.prices = prices;
        self
    }

    /// Runs `job` as `owner` (e.g. the Lambda request id, which names the
    /// holder of the job's lock).
    ///
    /// # Errors
    /// Failures of the stores; the job's lock is released so a retry can run.
    pub async fn run(&self, job: &Job, owner: &str) -> Result<JobOutcome, ServiceError> {
        match job {
            Job::Insights {
                batch_size,
                idle_minutes,
            } => InsightsRunner::new(self.ports.clone())
                .with_prices(self.prices.clone())
                .run_once(owner, *batch_size, *idle_minutes)
                .await
                .map(JobOutcome::Insights),
            Job::Cleanup { limit } => {
                self.cleanup(owner, limit.unwrap_or(DEFAULT_CLEANUP_LIMIT))
                    .await
            }
            Job::UsageReport { day } => self.usage_report(owner, *day).await,
        }
    }

    async fn cleanup(&self, owner: &str, limit: u32) -> Result<JobOutcome, ServiceError> {
        let now = self.ports.clock.now();
        let lock = &self.ports.job_lock;
        if !lock
            .try_acquire(CLEANUP_LOCK, owner, now, now + Duration::minutes(15))
            .await?
        {
            return Ok(JobOutcome::Cleanup {
                deleted: 0,
                locked_out: true,
            });
        }
        let result = CleanupService::new(self.ports.clone())
            .delete_expired(limit.max(1))
            .await;
        // Deletions by the function facing users only mark insight
        // documents deleted (it may not destroy versions): this finishes
        // them, erasures included. A failure is retried by the next run.
        match retry_transient(|| {
            self.ports
                .files
                .purge_deleted(pika_domain::files::INSIGHTS_PREFIX)
        })
        .await
        {
            Ok(0) => {}
            Ok(purged) => {
                tracing::info!(purged, "old versions of deleted insight documents purged")
            }
            Err(e) => {
                tracing::error!(error = %e, "old versions of deleted insight documents could not be purged")
            }
        }
        if let Err(e) = lock.release(CLEANUP_LOCK, owner).await {
            tracing::warn!(error = %e, "the cleanup lock could not be released; it expires by itself");
        }
        Ok(JobOutcome::Cleanup {
            deleted: result?,
            locked_out: false,
        })
    }

    /// Reports a day once: the day's lock is kept after a successful report
    /// (until well after the day), so a second run finds it and does nothing.
    async fn usage_report(
        &self,
        owner: &str,
        day: Option<NaiveDate>,
    ) -> Result<JobOutcome, ServiceError> {
        let now = self.ports.clock.now();
        let day = day.unwrap_or_else(|| now.date_naive() - Duration::days(1));
        let name = format!("usage-report:{day}");
        let lock = &self.ports.job_lock;
        if !lock
            .try_acquire(&name, owner, now, now + Duration::days(3))
            .await?
        {
            return Ok(JobOutcome::UsageReport { day, report: None });
        }
        let query = AnalyticsQuery {
            from: day,
            to: day,
            chat_app_id: None,
            entity_id: None,
        };
        let report = match AnalyticsService::new(self.ports.clone())
            .build(&query)
            .await
        {
            Ok(report) => report,
            Err(e) => {
                if let Err(release) = lock.release(&name, owner).await {
                    tracing::warn!(error = %release, "the usage report lock could not be released");
                }
                return Err(e);
            }
        };
        for (chat_app, totals) in &report.by_chat_app {
            self.ports.metrics.emit(&MetricBatch {
                at: now,
                dimensions: BTreeMap::from([("chatAppId".to_string(), chat_app.clone())]),
                metrics: vec![
                    Metric {
                        name: "DailyTokens",
                        value: totals.usage.tokens().total() as f64,
                        unit: MetricUnit::Count,
                    },
                    Metric {
                        name: "DailyCost",
                        value: totals.usage.total_cost,
                        unit: MetricUnit::None,
                    },
                    Metric {
                        name: "DailyTurns",
                        value: totals.turns as f64,
                        unit: MetricUnit::Count,
                    },
                ],
            });
        }
        tracing::info!(
            %day,
            turns = report.totals.turns,
            tokens = report.totals.usage.tokens().total(),
            cost = report.totals.usage.total_cost,
            "usage report"
        );
        Ok(JobOutcome::UsageReport {
            day,
            report: Some(report),
        })
    }
}

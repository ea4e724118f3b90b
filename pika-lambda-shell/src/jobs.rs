//! The `pika-jobs` handler: an EventBridge scheduled event names a job and
//! its input; the job is a use case of `pika-service` ([`JobRunner`]), this
//! is only the wiring.
//!
//! The rules in `infra/` send a constant input, e.g.
//! `{"job":"insights","batchSize":25,"lookBackMinutes":60}`; an EventBridge
//! envelope (`"detail-type": "Scheduled Event"`) carrying the same object in
//! `detail` is accepted too.

use super::diagnostic::HandlerError;
use lambda_runtime::LambdaEvent;
use pika_domain::chrono::NaiveDate;
use pika_service::{Job, JobOutcome, JobRunner};
use serde::Deserialize;
use serde_json::{json, Value};

/// The input of a scheduled rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(
    tag = "job",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
enum JobInput {
    Insights {
        batch_size: Option<u32>,
        look_back_minutes: Option<i64>,
    },
    Cleanup {
        limit: Option<u32>,
    },
    UsageReport {
        day: Option<NaiveDate>,
    },
}

/// The job a scheduled event asks for.
///
/// # Errors
/// A permanent error for an event that names no known job (retrying it
/// cannot help).
pub fn job_of(event: &Value) -> Result<Job, HandlerError> {
    let input = match event.get("detail-type") {
        Some(_) => event.get("detail").cloned().unwrap_or(Value::Null),
        None => event.clone(),
    };
    let parsed: JobInput = serde_json::from_value(input).map_err(|e| {
        HandlerError::permanent(format!(
            "not a job: {e}; expected e.g. {{\"job\":\"insights\",\"batchSize\":25}}"
        ))
    })?;
    Ok(match parsed {
        JobInput::Insights {
            batch_size,
            look_back_minutes,
        } => Job::Insights {
            batch_size,
            idle_minutes: look_back_minutes,
        },
        JobInput::Cleanup { limit } => Job::Cleanup { limit },
        JobInput::UsageReport { day } => Job::UsageReport { day },
    })
}

/// Runs the job of `event`, as the invocation's request id, and returns a
/// summary (the function's result, visible in its logs and to a caller
/// invoking it by hand).
///
/// # Errors
/// Unknown jobs (permanent) and the job's failures (retryable when a retry
/// can help).
pub async fn handle(runner: &JobRunner, event: LambdaEvent<Value>) -> Result<Value, HandlerError> {
    let job = job_of(&event.payload)?;
    let owner = event.context.request_id.clone();
    let outcome = runner.run(&job, &owner).await.map_err(|e| {
        tracing::error!(?job, error = %e, "job failed");
        HandlerError::from(e)
    })?;
    let summary = summary(&outcome);
    tracing::info!(?job, %summary, "job done");
    Ok(summary)
}

fn summary(outcome: &JobOutcome) -> Value {
    match outcome {
        JobOutcome::Insights(r) => json!({
            "job": "insights",
            "lockedOut": r.locked_out,
            "analyzed": r.analyzed,
            "failed": r.failed,
            "skipped": r.skipped,
        }),
        JobOutcome::Cleanup {
            deleted,
            locked_out,
        } => json!({ "job": "cleanup", "deleted": deleted, "lockedOut": locked_out }),
        JobOutcome::UsageReport { day, report } => json!({
            "job": "usage-report",
            "day": day.to_string(),
            "alreadyReported": report.is_none(),
            "turns": report.as_ref().map(|r| r.totals.turns),
            "tokens": report.as_ref().map(|r| r.totals.usage.tokens().total()),
            "cost": report.as_ref().map(|r| r.totals.usage.total_cost),
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn constant_inputs_and_envelopes_name_jobs() {
        assert_eq!(
            job_of(&json!({"job": "insights", "batchSize": 25, "lookBackMinutes": 60})).unwrap(),
            Job::Insights {
                batch_size: Some(25),
                idle_minutes: Some(60)
            }
        );
        assert_eq!(
            job_of(&json!({"detail-type": "Scheduled Event", "detail": {"job": "cleanup"}}))
                .unwrap(),
            Job::Cleanup { limit: None }
        );
        assert_eq!(
            job_of(&json!({"job": "usage-report", "day": "2026-11-24"})).unwrap(),
            Job::UsageReport {
                day: NaiveDate::from_ymd_opt(2026, 11, 24)
            }
        );
    }

    #[test]
    fn unknown_jobs_and_fields_are_permanent_errors() {
        for bad in [
            json!({"job": "reboot"}),
            json!({"job": "insights", "batchsize": 3}),
            json!({"detail-type": "Scheduled Event", "detail": {}}),
            json!("insights"),
        ] {
            let e = job_of(&bad).unwrap_err();
            assert!(!e.retryable, "{bad}");
        }
    }
}

//! The scheduled jobs: each runs once at a time and doing it twice does the
//! work once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::chrono::Duration;
use pika_ports::{Clock, CompletionPurpose, JobLock, SessionPatch, SessionStore};
use pika_service::insights::INSIGHTS_LOCK;
use pika_service::jobs::CLEANUP_LOCK;
use pika_service::{Job, JobOutcome, JobRunner};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use support::*;

fn runner(p: &Platform) -> JobRunner {
    JobRunner::new(p.ports.clone(), p.settings.clone())
}

async fn one_turn(p: &Platform) -> pika_domain::ids::SessionId {
    p.fakes.runtime.push(Script::answer("Hello."));
    p.fakes
        .completions
        .push(CompletionPurpose::Title, "Greeting");
    let (stream, _) = p.first_turn(&fixtures::customer("alice"), "Hi").await;
    stream.session_id
}

#[tokio::test]
async fn cleanup_deletes_expired_sessions_once_and_waits_for_a_running_one() {
    let p = Platform::standard().await;
    let session = one_turn(&p).await;
    let at = p.fakes.clock.now() + Duration::minutes(5);
    let patch = SessionPatch {
        expires_at: Some(Some(at)),
        ..SessionPatch::default()
    };
    p.fakes.sessions.update(&session, &patch).await.unwrap();
    p.fakes.clock.advance(Duration::minutes(10));

    // Another run holds the lock: nothing happens.
    let now = p.fakes.clock.now();
    assert!(p
        .fakes
        .job_lock
        .try_acquire(CLEANUP_LOCK, "other", now, now + Duration::minutes(1))
        .await
        .unwrap());
    let job = Job::Cleanup { limit: None };
    assert_eq!(
        runner(&p).run(&job, "run-1").await.unwrap(),
        JobOutcome::Cleanup {
            deleted: 0,
            locked_out: true
        }
    );
    assert!(p.fakes.sessions.find(&session).is_some());

    p.fakes
        .job_lock
        .release(CLEANUP_LOCK, "other")
        .await
        .unwrap();
    assert_eq!(
        runner(&p).run(&job, "run-2").await.unwrap(),
        JobOutcome::Cleanup {
            deleted: 1,
            locked_out: false
        }
    );
    assert!(p.fakes.sessions.find(&session).is_none());
    assert_eq!(
        runner(&p).run(&job, "run-3").await.unwrap(),
        JobOutcome::Cleanup {
            deleted: 0,
            locked_out: false
        },
        "a second run finds nothing left to do"
    );
}

#[tokio::test]
async fn the_usage_report_reports_a_day_once_as_metrics() {
    let p = Platform::standard().await;
    one_turn(&p).await;
    let day = p.fakes.clock.now().date_naive();
    p.fakes.metrics.clear();
    let job = Job::UsageReport { day: Some(day) };

    let JobOutcome::UsageReport { report, .. } = runner(&p).run(&job, "run-1").await.unwrap()
    else {
        panic!("not a usage report");
    };
    let report = report.expect("the first run reports");
    assert_eq!(report.totals.turns, 1);
    assert_eq!(p.fakes.metrics.values("DailyTurns"), vec![1.0]);
    assert_eq!(
        p.fakes.metrics.values("DailyTokens"),
        vec![report.totals.usage.tokens().total() as f64]
    );
    assert!(report.totals.usage.tokens().total() > 0);

    let again = runner(&p).run(&job, "run-2").await.unwrap();
    assert_eq!(again, JobOutcome::UsageReport { day, report: None });
    assert_eq!(
        p.fakes.metrics.values("DailyTurns").len(),
        1,
        "not counted twice"
    );
}

#[tokio::test]
async fn the_usage_report_defaults_to_yesterday() {
    let p = Platform::standard().await;
    let today = p.fakes.clock.now().date_naive();
    let outcome = runner(&p)
        .run(&Job::UsageReport { day: None }, "run-1")
        .await
        .unwrap();
    let JobOutcome::UsageReport { day, report } = outcome else {
        panic!("not a usage report");
    };
    assert_eq!(day, today - Duration::days(1));
    assert_eq!(report.unwrap().totals.turns, 0);
}

#[tokio::test]
async fn the_insights_job_runs_the_insights_runner_under_its_lock() {
    let p = Platform::standard().await;
    let job = Job::Insights {
        batch_size: Some(5),
        idle_minutes: Some(0),
    };
    let now = p.fakes.clock.now();
    assert!(p
        .fakes
        .job_lock
        .try_acquire(INSIGHTS_LOCK, "other", now, now + Duration::minutes(5))
        .await
        .unwrap());
    let JobOutcome::Insights(busy) = runner(&p).run(&job, "run-1").await.unwrap() else {
        panic!("not an insights report");
    };
    assert!(busy.locked_out, "another run holds the runner's lock");

    p.fakes
        .job_lock
        .release(INSIGHTS_LOCK, "other")
        .await
        .unwrap();
    let JobOutcome::Insights(report) = runner(&p).run(&job, "run-2").await.unwrap() else {
        panic!("not an insights report");
    };
    assert!(!report.locked_out);
}

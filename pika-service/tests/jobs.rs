//! The scheduled jobs: each runs once at a time and doing it twice does the
//! work once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::chrono::Duration;
use pika_ports::{ChatAppStore, Clock, CompletionPurpose, JobLock, SessionPatch, SessionStore};
use pika_service::insights::INSIGHTS_LOCK;
use pika_service::jobs::CLEANUP_LOCK;
use pika_service::{Job, JobOutcome, JobRunner};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use support::*;

fn runner(p: &Platform) -> JobRunner {
    JobRunner::new(p.ports.clone())
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

#[tokio::test]
async fn a_chat_apps_retention_expires_its_sessions_and_cleanup_deletes_them() {
    let p = Platform::with_site(fixtures::site());
    let mut app = fixtures::chat_app(APP, AGENT);
    app.session_retention_days = Some(30);
    p.seed_app(app, fixtures::agent(AGENT, &[]), vec![]).await;
    let kept = {
        let mut forever = fixtures::chat_app("forever", AGENT);
        forever.session_retention_days = None;
        p.fakes.chat_apps.create(&forever).await.unwrap();
        p.sessions()
            .create(
                &fixtures::customer("bob"),
                &fixtures::chat_app_id("forever"),
            )
            .await
            .unwrap()
    };
    let created = p.fakes.clock.now();
    let session = one_turn(&p).await;
    let stored = p.fakes.sessions.find(&session).unwrap();
    assert_eq!(stored.expires_at, Some(created + Duration::days(30)));
    let listed = p
        .sessions()
        .create(&fixtures::customer("carol"), &fixtures::chat_app_id(APP))
        .await
        .unwrap();
    assert_eq!(listed.expires_at, Some(created + Duration::days(30)));

    let job = Job::Cleanup { limit: None };
    p.fakes.clock.advance(Duration::days(29));
    assert_eq!(
        runner(&p).run(&job, "day-29").await.unwrap(),
        JobOutcome::Cleanup {
            deleted: 0,
            locked_out: false
        }
    );
    p.fakes.clock.advance(Duration::days(2));
    assert_eq!(
        runner(&p).run(&job, "day-31").await.unwrap(),
        JobOutcome::Cleanup {
            deleted: 2,
            locked_out: false
        }
    );
    assert!(p.fakes.sessions.find(&session).is_none());
    assert!(p.fakes.messages.of_session(&session).is_empty());
    assert!(
        p.fakes.sessions.find(&kept.session_id).is_some(),
        "no retention: kept"
    );
}

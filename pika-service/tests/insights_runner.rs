//! The insights runner (PIKA.md §10): idle sessions marked for analysis are
//! assessed, stored, scored for search and turned into automatic feedback —
//! one run at a time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::chrono::Duration;
use pika_domain::features::SimpleFeature;
use pika_domain::feedback::{FeedbackKind, FeedbackSource, FeedbackStatus, Severity};
use pika_domain::insights::SessionAssessment;
use pika_domain::session::InsightStatus;
use pika_domain::user::User;
use pika_ports::{Clock, CompletionPurpose, ErrorKind, JobLock, PageRequest, SearchQuery};
use pika_service::insights::INSIGHTS_LOCK;
use pika_service::ServiceError;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::json;
use std::fmt::Debug;
use support::*;

fn code<T: Debug>(result: Result<T, ServiceError>) -> &'static str {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code(),
    }
}

/// A platform whose site turns `sessionInsights` on.
async fn insights_platform() -> Platform {
    let mut site = fixtures::site();
    site.features.session_insights = Some(SimpleFeature {
        enabled: true,
        settings: serde_json::Value::Null,
    });
    let p = Platform::with_site(site);
    p.seed_app(
        fixtures::chat_app(APP, AGENT),
        fixtures::agent(AGENT, &[]),
        vec![],
    )
    .await;
    p
}

/// One answered turn; returns the session id.
async fn chat(p: &Platform, user: &User, text: &str, answer: &str) -> pika_domain::ids::SessionId {
    p.fakes.runtime.push(Script::answer(answer));
    p.first_turn(user, text).await.0.session_id
}

/// An assessment as the model writes it.
struct Findings {
    overall: u8,
    critical: bool,
    satisfaction: &'static str,
    goal: &'static str,
    confidence: &'static str,
    complexity: &'static str,
}

impl Findings {
    fn all_fine(overall: u8) -> Self {
        Self {
            overall,
            critical: false,
            satisfaction: "satisfied",
            goal: "achieved",
            confidence: "high",
            complexity: "low",
        }
    }

    fn everything_wrong(overall: u8) -> Self {
        Self {
            overall,
            critical: true,
            satisfaction: "dissatisfied",
            goal: "not_achieved",
            confidence: "low",
            complexity: "high",
        }
    }

    fn json(&self) -> String {
        let score = |s: u8| json!({ "score": s, "description": "seen" });
        let doc = json!({
            "scores": {
                "goalAchievement": score(60),
                "userSatisfaction": score(55),
                "aiAccuracy": score(70),
                "aiHelpfulness": score(65),
                "aiCommunication": score(80),
                "aiEfficiency": score(75),
                "aiOverall": score(self.overall),
                "interactionQuality": score(68)
            },
            "sentiment": "neutral",
            "goalCompletion": self.goal,
            "satisfactionLevel": self.satisfaction,
            "requiresFollowUp": self.critical,
            "criticalIssuesPresent": self.critical,
            "escalationNeeded": false,
            "complexity": self.complexity,
            "aiConfidence": self.confidence,
            "summary": "The user asked about a refund."
        });
        // Models like to wrap JSON in prose and fences.
        format!("Here is the assessment:\n```json\n{doc}\n```")
    }
}

fn insight_key(s: &pika_domain::session::Session) -> String {
    format!(
        "session-insights/{}/{}/{}.json",
        s.chat_app_id, s.user_id, s.session_id
    )
}

#[tokio::test]
async fn a_run_does_nothing_while_another_holds_the_lock() {
    let p = insights_platform().await;
    let session = chat(&p, &fixtures::customer("alice"), "Refund?", "Sure.").await;
    p.fakes.clock.advance(Duration::minutes(90));
    let now = p.fakes.clock.now();
    assert!(p
        .fakes
        .job_lock
        .try_acquire(INSIGHTS_LOCK, "other-run", now, now + Duration::minutes(15))
        .await
        .unwrap());
    p.fakes
        .completions
        .push(CompletionPurpose::Assessment, Findings::all_fine(90).json());

    let report = p.insights().run_once("this-run", None, None).await.unwrap();

    assert!(report.locked_out);
    assert_eq!((report.analyzed, report.failed, report.skipped), (0, 0, 0));
    assert!(p
        .fakes
        .completions
        .requests_for(CompletionPurpose::Assessment)
        .is_empty());
    assert_eq!(
        p.fakes.sessions.find(&session).unwrap().insight_status,
        InsightStatus::Pending
    );
    assert_eq!(
        p.fakes.job_lock.holder(INSIGHTS_LOCK).unwrap().owner,
        "other-run",
        "the other run keeps its lock"
    );

    // Once the other run's lock expires, a run proceeds.
    p.fakes.clock.advance(Duration::minutes(16));
    let report = p.insights().run_once("this-run", None, None).await.unwrap();
    assert!(!report.locked_out);
    assert_eq!(report.analyzed, 1);
}

#[tokio::test]
async fn an_idle_session_is_assessed_stored_scored_and_turned_into_feedback() {
    let p = insights_platform().await;
    let alice = fixtures::customer("alice");
    let session_id = chat(
        &p,
        &alice,
        "I want a refund for order 42",
        "I cannot help with that.",
    )
    .await;
    let before = p.fakes.sessions.find(&session_id).unwrap();
    assert_eq!(before.insight_status, InsightStatus::Pending);
    p.fakes.clock.advance(Duration::minutes(61));
    p.fakes.completions.push(
        CompletionPurpose::Assessment,
        Findings::everything_wrong(35).json(),
    );

    let report = p.insights().run_once("run-1", None, None).await.unwrap();

    assert!(!report.locked_out);
    assert_eq!((report.analyzed, report.failed, report.skipped), (1, 0, 0));

    // The model saw the transcript, with the site's insights model.
    let requests = p
        .fakes
        .completions
        .requests_for(CompletionPurpose::Assessment);
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].model_id,
        p.fakes.site.current().unwrap().config.insights.model_id
    );
    assert!(requests[0]
        .input
        .contains("User: I want a refund for order 42"));
    assert!(requests[0]
        .input
        .contains("Assistant: I cannot help with that."));

    // The assessment is stored as JSON where PIKA.md says.
    let key = insight_key(&before);
    assert_eq!(
        key,
        format!("session-insights/support/alice/{session_id}.json")
    );
    let body = pika_ports::FileStore::get(p.fakes.files.as_ref(), &key)
        .await
        .unwrap()
        .expect("the insight document");
    let stored: SessionAssessment = serde_json::from_slice(&body).unwrap();
    assert_eq!(stored.overall_score(), 35);
    assert!(stored.critical_issues_present);
    assert_eq!(stored.summary, "The user asked about a refund.");

    // The session is up to date with its newest message.
    let after = p.fakes.sessions.find(&session_id).unwrap();
    assert_eq!(after.insight_status, InsightStatus::UpToDate);
    assert_eq!(after.last_analyzed_message_id, before.last_message_id);

    // Its search documents carry the score: a minScore search finds them.
    let docs = p.fakes.search.documents();
    assert!(!docs.is_empty());
    assert!(docs.iter().all(|d| d.insight_score == Some(35)));
    let query = |min| SearchQuery {
        min_score: Some(min),
        ..SearchQuery::default()
    };
    let found = p
        .search()
        .search(&alice, query(30), PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].document.session_id, session_id);
    let too_high = p
        .search()
        .search(&alice, query(36), PageRequest::first(10))
        .await
        .unwrap();
    assert!(too_high.items.is_empty());

    // Every rule that fired became an automatic, open finding.
    let feedback = p.fakes.feedback.all();
    let mut severities: Vec<Severity> = feedback.iter().filter_map(|f| f.severity).collect();
    severities.sort();
    assert_eq!(
        severities,
        vec![
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::High,
            Severity::Critical
        ]
    );
    for f in &feedback {
        assert_eq!(f.session_id, session_id);
        assert_eq!(f.chat_app_id.as_str(), APP);
        assert_eq!(f.source, FeedbackSource::Automatic);
        assert_eq!(f.status, FeedbackStatus::Open);
        assert_eq!(f.kind, FeedbackKind::InsightFinding);
        assert_eq!(f.reporter, None);
        assert!(f.comment.is_some());
    }
    let reasons: Vec<&str> = feedback
        .iter()
        .filter_map(|f| f.comment.as_deref())
        .collect();
    assert!(reasons.contains(&"critical issues present"));
    assert!(reasons.contains(&"user dissatisfied"));

    // A second run has nothing left to do.
    let again = p.insights().run_once("run-2", None, None).await.unwrap();
    assert_eq!((again.analyzed, again.failed, again.skipped), (0, 0, 0));
    assert_eq!(
        p.fakes
            .completions
            .requests_for(CompletionPurpose::Assessment)
            .len(),
        1
    );
}

#[tokio::test]
async fn a_good_session_makes_no_findings() {
    let p = insights_platform().await;
    chat(
        &p,
        &fixtures::customer("alice"),
        "Opening hours?",
        "9 to 5.",
    )
    .await;
    p.fakes.clock.advance(Duration::minutes(61));
    p.fakes
        .completions
        .push(CompletionPurpose::Assessment, Findings::all_fine(92).json());

    let report = p.insights().run_once("run-1", None, None).await.unwrap();

    assert_eq!(report.analyzed, 1);
    assert!(p.fakes.feedback.is_empty());
    assert!(p
        .fakes
        .search
        .documents()
        .iter()
        .all(|d| d.insight_score == Some(92)));
}

#[tokio::test]
async fn a_session_that_is_not_idle_long_enough_is_left_alone() {
    let p = insights_platform().await;
    let session = chat(&p, &fixtures::customer("alice"), "Still talking", "Go on.").await;
    p.fakes.clock.advance(Duration::minutes(59));
    p.fakes
        .completions
        .push(CompletionPurpose::Assessment, Findings::all_fine(80).json());

    let report = p.insights().run_once("run-1", None, None).await.unwrap();

    assert_eq!((report.analyzed, report.failed, report.skipped), (0, 0, 0));
    assert!(p
        .fakes
        .completions
        .requests_for(CompletionPurpose::Assessment)
        .is_empty());
    assert_eq!(
        p.fakes.sessions.find(&session).unwrap().insight_status,
        InsightStatus::Pending
    );
    assert!(p.fakes.files.keys().is_empty());

    // The scheduled event may ask for a shorter idle time.
    let report = p
        .insights()
        .run_once("run-2", None, Some(30))
        .await
        .unwrap();
    assert_eq!(report.analyzed, 1);
    assert_eq!(
        p.fakes.sessions.find(&session).unwrap().insight_status,
        InsightStatus::UpToDate
    );
}

#[tokio::test]
async fn garbage_from_the_model_counts_as_failed_and_is_retried_after_a_pause() {
    let p = insights_platform().await;
    let alice = fixtures::customer("alice");
    let session = chat(&p, &alice, "Help", "With what?").await;
    p.fakes.clock.advance(Duration::minutes(61));
    p.fakes.completions.push(
        CompletionPurpose::Assessment,
        "I am sorry, I cannot assess this conversation.",
    );

    let report = p.insights().run_once("run-1", None, None).await.unwrap();

    assert_eq!((report.analyzed, report.failed, report.skipped), (0, 1, 0));
    let failed = p.fakes.sessions.find(&session).unwrap();
    assert_eq!(failed.insight_status, InsightStatus::Failed);
    assert_eq!(failed.last_analyzed_message_id, None);
    assert!(p.fakes.files.keys().is_empty(), "nothing stored");
    assert!(p.fakes.feedback.is_empty());
    assert_eq!(
        p.insights().insight_of(&alice, &session).await.unwrap(),
        None
    );

    // A failed session waits the idle period again before its retry.
    let report = p.insights().run_once("run-2", None, None).await.unwrap();
    assert_eq!((report.analyzed, report.failed), (0, 0));

    // Then the model behaves: the session is analysed after all.
    p.fakes.clock.advance(Duration::minutes(61));
    p.fakes
        .completions
        .push(CompletionPurpose::Assessment, Findings::all_fine(75).json());
    let report = p.insights().run_once("run-3", None, None).await.unwrap();
    assert_eq!((report.analyzed, report.failed), (1, 0));
    assert_eq!(
        p.fakes.sessions.find(&session).unwrap().insight_status,
        InsightStatus::UpToDate
    );
}

#[tokio::test]
async fn a_session_that_keeps_failing_does_not_block_the_others() {
    let p = insights_platform().await;
    let alice = fixtures::customer("alice");
    let poison = chat(&p, &alice, "Help", "With what?").await;
    p.fakes.clock.advance(Duration::minutes(1));
    let fine = chat(&p, &alice, "Thanks", "You are welcome.").await;
    p.fakes.clock.advance(Duration::minutes(61));

    // One session per run: the oldest (poison) fails first ...
    p.fakes
        .completions
        .push(CompletionPurpose::Assessment, "not an assessment");
    let report = p.insights().run_once("run-1", Some(1), None).await.unwrap();
    assert_eq!(report.failed, 1);
    assert_eq!(
        p.fakes.sessions.find(&poison).unwrap().insight_status,
        InsightStatus::Failed
    );

    // ... and the next run reaches the other one instead of failing again.
    p.fakes.clock.advance(Duration::minutes(61));
    p.fakes
        .completions
        .push(CompletionPurpose::Assessment, Findings::all_fine(80).json());
    let report = p.insights().run_once("run-2", Some(1), None).await.unwrap();
    assert_eq!(report.analyzed, 1);
    assert_eq!(
        p.fakes.sessions.find(&fine).unwrap().insight_status,
        InsightStatus::UpToDate
    );
}

#[tokio::test]
async fn the_lock_is_released_after_each_run_even_a_failed_one() {
    let p = insights_platform().await;
    chat(&p, &fixtures::customer("alice"), "One", "Two").await;
    p.fakes.clock.advance(Duration::minutes(61));
    p.fakes
        .completions
        .push(CompletionPurpose::Assessment, Findings::all_fine(80).json());

    let first = p.insights().run_once("run-1", None, None).await.unwrap();
    assert_eq!(first.analyzed, 1);
    assert_eq!(p.fakes.job_lock.holder(INSIGHTS_LOCK), None);

    // Another owner is not locked out (the first run's lock would still be
    // valid for 15 minutes had it not been released).
    chat(&p, &fixtures::customer("bob"), "Three", "Four").await;
    p.fakes.clock.advance(Duration::minutes(61));
    p.fakes
        .completions
        .push(CompletionPurpose::Assessment, Findings::all_fine(70).json());
    let second = p.insights().run_once("run-2", None, None).await.unwrap();
    assert!(!second.locked_out);
    assert_eq!(second.analyzed, 1);
    assert_eq!(p.fakes.job_lock.holder(INSIGHTS_LOCK), None);

    // A run whose listing fails reports the error and still frees the lock.
    p.fakes
        .sessions
        .faults()
        .fail_always("SessionStore::list_needing_insights", ErrorKind::Permanent);
    assert!(p.insights().run_once("run-3", None, None).await.is_err());
    assert_eq!(p.fakes.job_lock.holder(INSIGHTS_LOCK), None);
}

#[tokio::test]
async fn sessions_of_an_app_that_turned_insights_off_are_skipped_without_a_model_call() {
    let p = insights_platform().await;
    let session = chat(&p, &fixtures::customer("alice"), "Hi", "Hello.").await;
    // The app switches the feature off after the session was marked.
    let root = fixtures::site_admin("root");
    let (mut app, _) = p
        .admin()
        .get_chat_app(&root, &fixtures::chat_app_id(APP))
        .await
        .unwrap();
    app.features.session_insights = Some(SimpleFeature {
        enabled: false,
        settings: serde_json::Value::Null,
    });
    p.admin().update_chat_app(&root, app).await.unwrap();
    p.fakes.clock.advance(Duration::minutes(61));

    let report = p.insights().run_once("run-1", None, None).await.unwrap();

    assert_eq!((report.analyzed, report.failed, report.skipped), (0, 0, 1));
    assert!(p
        .fakes
        .completions
        .requests_for(CompletionPurpose::Assessment)
        .is_empty());
    assert_eq!(
        p.fakes.sessions.find(&session).unwrap().insight_status,
        InsightStatus::UpToDate,
        "not picked up again"
    );
    assert!(p.fakes.files.keys().is_empty());
}

#[tokio::test]
async fn an_insight_is_shown_to_the_owner_and_site_admins_only() {
    let p = insights_platform().await;
    let alice = fixtures::customer("alice");
    let session = chat(&p, &alice, "Where is my parcel?", "On its way.").await;
    assert_eq!(
        p.insights().insight_of(&alice, &session).await.unwrap(),
        None,
        "not assessed yet"
    );
    p.fakes.clock.advance(Duration::minutes(61));
    p.fakes
        .completions
        .push(CompletionPurpose::Assessment, Findings::all_fine(88).json());
    p.insights().run_once("run-1", None, None).await.unwrap();

    let owners = p
        .insights()
        .insight_of(&alice, &session)
        .await
        .unwrap()
        .expect("assessed");
    assert_eq!(owners.overall_score(), 88);
    let admins = p
        .insights()
        .insight_of(&fixtures::site_admin("root"), &session)
        .await
        .unwrap();
    assert_eq!(admins, Some(owners));

    assert_eq!(
        code(
            p.insights()
                .insight_of(&fixtures::customer("mallory"), &session)
                .await
        ),
        "not_found"
    );
    assert_eq!(
        code(
            p.insights()
                .insight_of(&fixtures::content_admin("carol"), &session)
                .await
        ),
        "not_found"
    );
}

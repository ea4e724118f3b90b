//! Feedback from people and its triage by site admins (PIKA.md §10, §11).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::chrono::Duration;
use pika_domain::feedback::{
    Feedback, FeedbackKind, FeedbackSource, FeedbackStatus, Severity, MAX_COMMENT_CHARS,
};
use pika_domain::ids::{FeedbackId, MessageId};
use pika_domain::user::User;
use pika_ports::{Clock, FeedbackFilter, PageRequest};
use pika_service::feedback::{FeedbackInput, Triage};
use pika_service::{SendMessage, ServiceError, TurnStream, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use std::fmt::Debug;
use support::*;

fn code<T: Debug>(result: Result<T, ServiceError>) -> &'static str {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code(),
    }
}

async fn chat(p: &Platform, user: &User, text: &str) -> TurnStream {
    p.fakes.runtime.push(Script::answer("An answer."));
    p.first_turn(user, text).await.0
}

fn thumbs_down(message: MessageId, comment: &str) -> FeedbackInput {
    FeedbackInput {
        message_id: Some(message),
        kind: FeedbackKind::ThumbsDown,
        comment: Some(comment.to_string()),
    }
}

fn thumbs_up() -> FeedbackInput {
    FeedbackInput {
        message_id: None,
        kind: FeedbackKind::ThumbsUp,
        comment: None,
    }
}

#[tokio::test]
async fn the_owner_gives_a_thumbs_down_on_an_answer() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let turn = chat(&p, &alice, "What is 2 + 2?").await;
    p.fakes.clock.advance(Duration::minutes(3));

    let stored = p
        .feedback()
        .submit(
            &alice,
            &turn.session_id,
            thumbs_down(turn.assistant_message_id, "  The sum is wrong.  "),
        )
        .await
        .unwrap();

    assert_eq!(stored.session_id, turn.session_id);
    assert_eq!(stored.chat_app_id.as_str(), APP);
    assert_eq!(stored.message_id, Some(turn.assistant_message_id));
    assert_eq!(stored.reporter.as_ref().unwrap().as_str(), "alice");
    assert_eq!(stored.source, FeedbackSource::Human);
    assert_eq!(stored.status, FeedbackStatus::Open);
    assert_eq!(stored.severity, None);
    assert_eq!(stored.kind, FeedbackKind::ThumbsDown);
    assert_eq!(stored.comment.as_deref(), Some("The sum is wrong."));
    assert_eq!(stored.created_at, p.fakes.clock.now());
    assert_eq!(p.fakes.feedback.all(), vec![stored.clone()]);

    // Feedback on the whole session, without a comment, works too; a blank
    // comment counts as none.
    let mut blank = thumbs_up();
    blank.comment = Some("   ".into());
    let session_wide = p
        .feedback()
        .submit(&alice, &turn.session_id, blank)
        .await
        .unwrap();
    assert_eq!(session_wide.message_id, None);
    assert_eq!(session_wide.comment, None);
    assert_eq!(p.fakes.feedback.len(), 2);
    let listed = p
        .feedback()
        .for_session(&alice, &turn.session_id)
        .await
        .unwrap();
    assert_eq!(listed, vec![stored, session_wide]);
}

#[tokio::test]
async fn feedback_on_a_message_that_is_not_in_the_session_is_not_found() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let turn = chat(&p, &alice, "First").await;
    let other = chat(&p, &alice, "Second").await;
    let unknown = MessageId::parse("01890a5d-ac96-774b-bcce-b302099a8057").unwrap();

    for message in [unknown, other.assistant_message_id] {
        assert_eq!(
            code(
                p.feedback()
                    .submit(&alice, &turn.session_id, thumbs_down(message, "bad"))
                    .await
            ),
            "not_found",
            "{message}"
        );
    }
    assert!(p.fakes.feedback.is_empty());
}

#[tokio::test]
async fn only_the_owner_may_give_feedback_on_a_session() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let turn = chat(&p, &alice, "Mine").await;

    let mallory = fixtures::customer("mallory");
    assert_eq!(
        code(
            p.feedback()
                .submit(&mallory, &turn.session_id, thumbs_up())
                .await
        ),
        "not_found"
    );
    assert_eq!(
        code(p.feedback().for_session(&mallory, &turn.session_id).await),
        "not_found"
    );
    let carol = fixtures::content_admin("carol");
    assert_eq!(
        code(
            p.feedback()
                .submit(&carol, &turn.session_id, thumbs_up())
                .await
        ),
        "forbidden"
    );
    assert!(p.fakes.feedback.is_empty());
}

#[tokio::test]
async fn an_oversized_comment_is_refused() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let turn = chat(&p, &alice, "Question").await;

    let too_long = "é".repeat(MAX_COMMENT_CHARS + 1);
    let err = p
        .feedback()
        .submit(
            &alice,
            &turn.session_id,
            thumbs_down(turn.assistant_message_id, &too_long),
        )
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "invalid_request");
    assert!(p.fakes.feedback.is_empty());

    // Exactly the limit (in characters, not bytes) is fine.
    let at_limit = "é".repeat(MAX_COMMENT_CHARS);
    assert!(p
        .feedback()
        .submit(
            &alice,
            &turn.session_id,
            thumbs_down(turn.assistant_message_id, &at_limit)
        )
        .await
        .is_ok());
}

#[tokio::test]
async fn triage_by_a_site_admin_and_internal_notes_hidden_from_the_owner() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let turn = chat(&p, &alice, "Is this safe?").await;
    let submitted = p
        .feedback()
        .submit(
            &alice,
            &turn.session_id,
            FeedbackInput {
                message_id: Some(turn.assistant_message_id),
                kind: FeedbackKind::Harmful,
                comment: Some("Dangerous advice".into()),
            },
        )
        .await
        .unwrap();
    let root = fixtures::site_admin("root");
    p.fakes.clock.advance(Duration::hours(1));

    let triaged = p
        .feedback()
        .triage(
            &root,
            &submitted.feedback_id,
            Triage {
                status: Some(FeedbackStatus::InReview),
                severity: Some(Severity::High),
                internal_comment: Some("Escalated to the safety team".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(triaged.status, FeedbackStatus::InReview);
    assert_eq!(triaged.severity, Some(Severity::High));
    assert_eq!(
        triaged.internal_comment.as_deref(),
        Some("Escalated to the safety team")
    );
    assert_eq!(triaged.updated_at, p.fakes.clock.now());
    assert_eq!(triaged.created_at, submitted.created_at);
    assert_eq!(p.fakes.feedback.all(), vec![triaged.clone()]);

    // A partial triage changes only what it names.
    let resolved = p
        .feedback()
        .triage(
            &root,
            &submitted.feedback_id,
            Triage {
                status: Some(FeedbackStatus::Resolved),
                ..Triage::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(resolved.status, FeedbackStatus::Resolved);
    assert_eq!(resolved.severity, Some(Severity::High));
    assert_eq!(
        resolved.internal_comment.as_deref(),
        Some("Escalated to the safety team")
    );

    // The owner sees the status but not the internal note; the admin sees both.
    let owners_view = p
        .feedback()
        .for_session(&alice, &turn.session_id)
        .await
        .unwrap();
    assert_eq!(owners_view.len(), 1);
    assert_eq!(owners_view[0].status, FeedbackStatus::Resolved);
    assert_eq!(owners_view[0].comment.as_deref(), Some("Dangerous advice"));
    assert_eq!(owners_view[0].internal_comment, None);
    let admins_view = p
        .feedback()
        .for_session(&root, &turn.session_id)
        .await
        .unwrap();
    assert_eq!(
        admins_view[0].internal_comment.as_deref(),
        Some("Escalated to the safety team")
    );
    // The store still holds the note.
    assert!(p.fakes.feedback.all()[0].internal_comment.is_some());
}

#[tokio::test]
async fn only_site_admins_triage_and_unknown_feedback_is_not_found() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let turn = chat(&p, &alice, "Hmm").await;
    let submitted = p
        .feedback()
        .submit(&alice, &turn.session_id, thumbs_up())
        .await
        .unwrap();
    let change = Triage {
        status: Some(FeedbackStatus::Closed),
        severity: Some(Severity::Low),
        internal_comment: Some("noise".into()),
    };

    for caller in [alice.clone(), fixtures::content_admin("carol")] {
        assert_eq!(
            code(
                p.feedback()
                    .triage(&caller, &submitted.feedback_id, change.clone())
                    .await
            ),
            "forbidden"
        );
    }
    assert_eq!(p.fakes.feedback.all(), vec![submitted.clone()]);

    let root = fixtures::site_admin("root");
    let unknown = FeedbackId::parse("01890a5d-ac96-774b-bcce-b302099a8057").unwrap();
    assert_eq!(
        code(p.feedback().triage(&root, &unknown, change).await),
        "not_found"
    );
    let oversized = Triage {
        internal_comment: Some("x".repeat(MAX_COMMENT_CHARS + 1)),
        ..Triage::default()
    };
    assert_eq!(
        code(
            p.feedback()
                .triage(&root, &submitted.feedback_id, oversized)
                .await
        ),
        "invalid_request"
    );
    assert_eq!(p.fakes.feedback.all(), vec![submitted]);
}

#[tokio::test]
async fn site_admins_list_feedback_by_status_and_chat_app() {
    let p = Platform::standard().await;
    p.seed_app(
        fixtures::chat_app("billing", AGENT),
        fixtures::agent(AGENT, &[]),
        vec![],
    )
    .await;
    let alice = fixtures::customer("alice");
    let support_turn = chat(&p, &alice, "Support question").await;
    p.fakes.runtime.push(Script::answer("Billing answer."));
    let (billing_turn, _) = p
        .send(
            &alice,
            SendMessage::new(
                TurnTarget::NewSession(fixtures::chat_app_id("billing")),
                "Billing question",
            ),
        )
        .await;
    let fb = p.feedback();
    let a = fb
        .submit(&alice, &support_turn.session_id, thumbs_up())
        .await
        .unwrap();
    p.fakes.clock.advance(Duration::seconds(1));
    let b = fb
        .submit(&alice, &billing_turn.session_id, thumbs_up())
        .await
        .unwrap();
    p.fakes.clock.advance(Duration::seconds(1));
    let c = fb
        .submit(
            &alice,
            &billing_turn.session_id,
            thumbs_down(billing_turn.assistant_message_id, "wrong invoice"),
        )
        .await
        .unwrap();
    let root = fixtures::site_admin("root");
    let b = fb
        .triage(
            &root,
            &b.feedback_id,
            Triage {
                status: Some(FeedbackStatus::Closed),
                ..Triage::default()
            },
        )
        .await
        .unwrap();
    let ids = |items: &[Feedback]| items.iter().map(|f| f.feedback_id).collect::<Vec<_>>();

    let everything = fb
        .list(&root, &FeedbackFilter::default(), PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(
        ids(&everything.items),
        vec![c.feedback_id, b.feedback_id, a.feedback_id]
    );

    let open = fb
        .list(
            &root,
            &FeedbackFilter {
                status: Some(FeedbackStatus::Open),
                chat_app_id: None,
            },
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(ids(&open.items), vec![c.feedback_id, a.feedback_id]);

    let open_billing = fb
        .list(
            &root,
            &FeedbackFilter {
                status: Some(FeedbackStatus::Open),
                chat_app_id: Some(fixtures::chat_app_id("billing")),
            },
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(ids(&open_billing.items), vec![c.feedback_id]);

    for caller in [alice, fixtures::content_admin("carol")] {
        assert_eq!(
            code(
                fb.list(&caller, &FeedbackFilter::default(), PageRequest::first(10))
                    .await
            ),
            "forbidden"
        );
    }
}

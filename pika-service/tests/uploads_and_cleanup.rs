//! Uploads within the `fileUpload` rules, files attached to messages, and
//! deletion: one session, expired sessions, a whole user (PIKA.md §10).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::chrono::Duration;
use pika_domain::features::{FileUploadFeature, SimpleFeature, UserMemoryFeature};
use pika_domain::feedback::FeedbackKind;
use pika_domain::ids::SessionId;
use pika_domain::message::Role;
use pika_domain::quota::QuotaScope;
use pika_domain::user::User;
use pika_ports::{Clock, CompletionPurpose, PageRequest, SessionPatch, SessionStore, UserStore};
use pika_service::feedback::FeedbackInput;
use pika_service::uploads::{UploadRequest, UploadTicket};
use pika_service::{SendMessage, ServiceError, TurnTarget};
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

/// `support` with uploads of images up to 1000 bytes; the site also turns
/// insights and user memory on.
async fn upload_platform() -> Platform {
    let mut site = fixtures::site();
    site.features.session_insights = Some(SimpleFeature {
        enabled: true,
        settings: serde_json::Value::Null,
    });
    site.features.user_memory = Some(UserMemoryFeature { enabled: true });
    let p = Platform::with_site(site);
    let mut app = fixtures::chat_app(APP, AGENT);
    app.features.file_upload = Some(FileUploadFeature {
        enabled: true,
        mime_types_allowed: vec!["image/*".to_string()],
        max_file_size_bytes: Some(1000),
    });
    p.seed_app(app, fixtures::agent(AGENT, &[]), vec![]).await;
    p
}

fn png(name: &str, size: u64) -> UploadRequest {
    UploadRequest {
        name: name.to_string(),
        content_type: "image/png".to_string(),
        size,
    }
}

async fn new_session(p: &Platform, user: &User) -> SessionId {
    p.sessions()
        .create(user, &fixtures::chat_app_id(APP))
        .await
        .unwrap()
        .session_id
}

/// Presigns and performs the upload of a PNG of `size` bytes.
async fn upload(
    p: &Platform,
    user: &User,
    session: &SessionId,
    name: &str,
    size: u64,
) -> UploadTicket {
    let ticket = p
        .uploads()
        .presign(user, session, png(name, size))
        .await
        .unwrap();
    p.fakes
        .files
        .simulate_upload(&ticket.upload.url, vec![7u8; size as usize], "image/png")
        .unwrap();
    ticket
}

async fn say(p: &Platform, user: &User, session: SessionId, text: &str, files: Vec<String>) {
    p.fakes.runtime.push(Script::answer("Noted."));
    let mut message = SendMessage::new(TurnTarget::Session(session), text);
    message.file_refs = files;
    p.send(user, message).await;
}

fn assessment_json() -> String {
    let score = json!({ "score": 50, "description": "ok" });
    json!({
        "scores": {
            "goalAchievement": score, "userSatisfaction": score, "aiAccuracy": score,
            "aiHelpfulness": score, "aiCommunication": score, "aiEfficiency": score,
            "aiOverall": score, "interactionQuality": score
        },
        "sentiment": "negative",
        "goalCompletion": "not_achieved",
        "satisfactionLevel": "dissatisfied",
        "requiresFollowUp": true,
        "criticalIssuesPresent": false,
        "escalationNeeded": false,
        "complexity": "medium",
        "aiConfidence": "medium",
        "summary": "Unhappy user."
    })
    .to_string()
}

fn keys_under(p: &Platform, prefix: &str) -> Vec<String> {
    p.fakes
        .files
        .keys()
        .into_iter()
        .filter(|k| k.starts_with(prefix))
        .collect()
}

#[tokio::test]
async fn uploads_are_refused_where_the_app_has_no_file_upload_feature() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    let session = new_session(&p, &alice).await;

    let err = p
        .uploads()
        .presign(&alice, &session, png("photo.png", 500))
        .await
        .err()
        .unwrap();

    assert_eq!(err.code(), "forbidden");
    assert!(p.fakes.files.grants().is_empty());
}

#[tokio::test]
async fn an_image_within_the_limits_gets_a_ticket_scoped_to_user_and_session() {
    let p = upload_platform().await;
    let alice = fixtures::customer("alice");
    let session = new_session(&p, &alice).await;

    let ticket = p
        .uploads()
        .presign(&alice, &session, png("photo.png", 500))
        .await
        .unwrap();

    let prefix = format!("uploads/alice/{session}/");
    assert!(ticket.key.starts_with(&prefix), "{}", ticket.key);
    assert!(ticket.key.ends_with("/photo.png"));
    assert_eq!(format!("{prefix}{}", ticket.file_ref), ticket.key);
    assert_eq!(ticket.upload.method, "PUT");
    assert_eq!(
        ticket.upload.expires_at,
        p.fakes.clock.now() + Duration::seconds(300)
    );
    let grants = p.fakes.files.grants();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].key, ticket.key);
    assert_eq!(grants[0].content_length, 500);
    assert_eq!(grants[0].content_type, "image/png");

    // A name that tries to leave the prefix stays inside it.
    let sneaky = p
        .uploads()
        .presign(&alice, &session, png("../../bob/x.png", 10))
        .await
        .unwrap();
    assert!(sneaky.key.starts_with(&prefix), "{}", sneaky.key);
    assert!(
        sneaky.key.split('/').all(|seg| seg != ".." && seg != "."),
        "{}",
        sneaky.key
    );
    assert_eq!(sneaky.key.split('/').count(), 5, "{}", sneaky.key);
}

#[tokio::test]
async fn wrong_types_sizes_and_other_peoples_sessions_are_refused() {
    let p = upload_platform().await;
    let alice = fixtures::customer("alice");
    let session = new_session(&p, &alice).await;
    let u = p.uploads();

    let text = UploadRequest {
        name: "notes.txt".into(),
        content_type: "text/plain".into(),
        size: 100,
    };
    let err = u.presign(&alice, &session, text).await.err().unwrap();
    assert_eq!(err.code(), "invalid_request");
    assert!(err.public_message().contains("text/plain"), "{err}");
    assert_eq!(
        code(u.presign(&alice, &session, png("big.png", 2000)).await),
        "invalid_request"
    );
    assert_eq!(
        code(u.presign(&alice, &session, png("empty.png", 0)).await),
        "invalid_request"
    );
    assert_eq!(
        code(u.presign(&alice, &session, png("   ", 10)).await),
        "invalid_request"
    );
    assert_eq!(
        code(
            u.presign(&fixtures::customer("mallory"), &session, png("x.png", 10))
                .await
        ),
        "not_found"
    );
    assert_eq!(
        code(
            u.presign(
                &fixtures::content_admin("carol"),
                &session,
                png("x.png", 10)
            )
            .await
        ),
        "forbidden"
    );
    assert!(p.fakes.files.grants().is_empty());

    // The exact limit is fine.
    assert!(u
        .presign(&alice, &session, png("max.png", 1000))
        .await
        .is_ok());
}

#[tokio::test]
async fn no_upload_url_for_a_user_the_chat_app_no_longer_admits() {
    let p = upload_platform().await;
    let alice = fixtures::customer("alice");
    let session = new_session(&p, &alice).await;
    // The app is disabled after the session was created.
    let root = fixtures::site_admin("root");
    let (mut app, _) = p
        .admin()
        .get_chat_app(&root, &fixtures::chat_app_id(APP))
        .await
        .unwrap();
    app.enabled = false;
    p.admin().update_chat_app(&root, app).await.unwrap();

    let err = p
        .uploads()
        .presign(&alice, &session, png("photo.png", 500))
        .await
        .err()
        .unwrap();

    assert_eq!(err.code(), "forbidden");
    assert!(err.public_message().contains("disabled"), "{err}");
    assert!(p.fakes.files.grants().is_empty());
}

#[tokio::test]
async fn an_uploaded_file_is_attached_to_the_message_and_listed_to_the_model() {
    let p = upload_platform().await;
    let alice = fixtures::customer("alice");
    let session = new_session(&p, &alice).await;
    let ticket = upload(&p, &alice, &session, "receipt.png", 500).await;

    say(
        &p,
        &alice,
        session,
        "What does this receipt say?",
        vec![ticket.file_ref.clone()],
    )
    .await;

    let stored = p.fakes.messages.of_session(&session);
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].role, Role::User);
    assert_eq!(stored[0].files.len(), 1);
    let file = &stored[0].files[0];
    assert_eq!(file.name, "receipt.png");
    assert_eq!(file.content_type, "image/png");
    assert_eq!(file.key, ticket.key);
    assert_eq!(ticket.file_ref, format!("{}/receipt.png", file.file_id));

    let request = p.fakes.runtime.last_request().unwrap();
    let text = request.messages.last().unwrap().joined_text();
    assert!(text.starts_with("What does this receipt say?"), "{text}");
    assert!(text.contains("receipt.png"), "{text}");
    assert!(text.contains("image/png"), "{text}");
    assert!(text.contains(&ticket.key), "{text}");

    // A file that was never uploaded, or someone else's, names nothing
    // this caller has: not found (a malformed reference is invalid).
    let unsent = p
        .uploads()
        .presign(&alice, &session, png("never.png", 10))
        .await
        .unwrap();
    let mut message = SendMessage::new(TurnTarget::Session(session), "And this one?");
    message.file_refs = vec![unsent.file_ref];
    assert_eq!(
        code(p.chat.send(&alice, message).await.map(|_| ())),
        "not_found"
    );
    let mut malformed = SendMessage::new(TurnTarget::Session(session), "And this?");
    malformed.file_refs = vec!["not-a-file-ref".to_string()];
    assert_eq!(
        code(p.chat.send(&alice, malformed).await.map(|_| ())),
        "invalid_request"
    );
    let bob = fixtures::customer("bob");
    let bobs = new_session(&p, &bob).await;
    let mut stolen = SendMessage::new(TurnTarget::Session(bobs), "Look");
    stolen.file_refs = vec![ticket.file_ref];
    assert_eq!(
        code(p.chat.send(&bob, stolen).await.map(|_| ())),
        "not_found"
    );
    assert_eq!(p.fakes.messages.of_session(&session).len(), 2);
}

#[tokio::test]
async fn deleting_a_session_removes_everything_that_hangs_off_it() {
    let p = upload_platform().await;
    let alice = fixtures::customer("alice");
    let doomed = new_session(&p, &alice).await;
    let kept = new_session(&p, &alice).await;
    let doomed_file = upload(&p, &alice, &doomed, "a.png", 100).await;
    let kept_file = upload(&p, &alice, &kept, "b.png", 100).await;
    say(
        &p,
        &alice,
        doomed,
        "Doomed question",
        vec![doomed_file.file_ref],
    )
    .await;
    say(&p, &alice, kept, "Kept question", vec![kept_file.file_ref]).await;
    // Feedback on both, and an insight document for both.
    for s in [doomed, kept] {
        p.feedback()
            .submit(
                &alice,
                &s,
                FeedbackInput {
                    message_id: None,
                    kind: FeedbackKind::ThumbsDown,
                    comment: Some("meh".into()),
                },
            )
            .await
            .unwrap();
    }
    p.fakes.clock.advance(Duration::minutes(61));
    p.fakes
        .completions
        .set_default(CompletionPurpose::Assessment, assessment_json());
    assert_eq!(
        p.insights()
            .run_once("run", None, None)
            .await
            .unwrap()
            .analyzed,
        2
    );
    let doomed_insight = format!("session-insights/support/alice/{doomed}.json");
    let kept_insight = format!("session-insights/support/alice/{kept}.json");
    assert!(p.fakes.files.keys().contains(&doomed_insight));
    let kept_messages = p.fakes.messages.of_session(&kept);
    let feedback_of = |s: SessionId| {
        p.fakes
            .feedback
            .all()
            .into_iter()
            .filter(|f| f.session_id == s)
            .count()
    };
    assert!(feedback_of(doomed) > 1, "human and automatic feedback");
    let kept_feedback = feedback_of(kept);

    p.sessions().delete(&alice, &doomed).await.unwrap();

    assert!(p.fakes.sessions.find(&doomed).is_none());
    assert!(p.fakes.messages.of_session(&doomed).is_empty());
    assert!(p
        .fakes
        .search
        .documents()
        .iter()
        .all(|d| d.session_id != doomed));
    assert!(keys_under(&p, &format!("uploads/alice/{doomed}/")).is_empty());
    assert!(!p.fakes.files.keys().contains(&doomed_insight));
    assert_eq!(feedback_of(doomed), 0);
    assert_eq!(code(p.sessions().get(&alice, &doomed).await), "not_found");

    // The other session keeps everything.
    assert!(p.fakes.sessions.find(&kept).is_some());
    assert_eq!(p.fakes.messages.of_session(&kept), kept_messages);
    assert!(p
        .fakes
        .search
        .documents()
        .iter()
        .any(|d| d.session_id == kept));
    assert_eq!(
        keys_under(&p, &format!("uploads/alice/{kept}/")),
        vec![kept_file.key]
    );
    assert!(p.fakes.files.keys().contains(&kept_insight));
    assert_eq!(feedback_of(kept), kept_feedback);
}

#[tokio::test]
async fn erasing_a_user_removes_all_their_data_and_only_theirs() {
    let p = upload_platform().await;
    let alice = fixtures::customer("alice");
    let bob = fixtures::customer("bob");
    for u in [&alice, &bob] {
        p.fakes.users.put(u).await.unwrap();
    }
    let a1 = new_session(&p, &alice).await;
    let a2 = new_session(&p, &alice).await;
    let b1 = new_session(&p, &bob).await;
    let a_file = upload(&p, &alice, &a1, "mine.png", 100).await;
    let b_file = upload(&p, &bob, &b1, "bobs.png", 100).await;
    say(&p, &alice, a1, "I prefer tea", vec![a_file.file_ref]).await;
    say(&p, &alice, a2, "I like trains", vec![]).await;
    say(&p, &bob, b1, "I prefer coffee", vec![b_file.file_ref]).await;
    // A stray upload of Alice's that belongs to no session any more.
    p.fakes
        .files
        .simulate_upload("uploads/alice/old-session/x/old.png", vec![1], "image/png")
        .unwrap();
    let bobs_messages = p.fakes.messages.of_session(&b1);
    let bobs_memory: Vec<_> = p
        .fakes
        .memory
        .records()
        .into_iter()
        .filter(|r| r.user_id.as_str() == "bob")
        .collect();
    assert!(!bobs_memory.is_empty());
    let bobs_tokens = p.fakes.usage.total_tokens(QuotaScope::User, "bob");
    assert!(bobs_tokens > 0);
    assert!(p.fakes.usage.total_tokens(QuotaScope::User, "alice") > 0);

    // Nobody but a site admin may erase.
    for caller in [alice.clone(), fixtures::content_admin("carol")] {
        assert_eq!(
            code(
                p.cleanup()
                    .erase_user(&caller, &fixtures::user_id("alice"))
                    .await
            ),
            "forbidden"
        );
    }
    assert_eq!(p.fakes.sessions.len(), 3);

    let report = p
        .cleanup()
        .erase_user(&fixtures::site_admin("root"), &fixtures::user_id("alice"))
        .await
        .unwrap();

    assert_eq!(report.sessions, 2);
    assert_eq!(report.files, 2, "the session's upload and the stray one");
    // Nothing of Alice's is left.
    let alices_sessions = p
        .sessions()
        .list(&alice, None, PageRequest::first(10))
        .await
        .unwrap();
    assert!(alices_sessions.items.is_empty());
    assert!(p.fakes.messages.of_session(&a1).is_empty());
    assert!(p.fakes.messages.of_session(&a2).is_empty());
    assert!(p
        .fakes
        .search
        .documents()
        .iter()
        .all(|d| d.user_id.as_str() != "alice"));
    assert!(keys_under(&p, "uploads/alice/").is_empty());
    assert!(p
        .fakes
        .memory
        .records()
        .iter()
        .all(|r| r.user_id.as_str() != "alice"));
    assert_eq!(p.fakes.usage.total_tokens(QuotaScope::User, "alice"), 0);
    assert_eq!(
        p.fakes
            .users
            .get(&fixtures::user_id("alice"))
            .await
            .unwrap(),
        None
    );

    // Bob's data is untouched.
    assert!(p.fakes.sessions.find(&b1).is_some());
    assert_eq!(p.fakes.messages.of_session(&b1), bobs_messages);
    assert!(p
        .fakes
        .search
        .documents()
        .iter()
        .any(|d| d.user_id.as_str() == "bob"));
    assert_eq!(keys_under(&p, "uploads/bob/"), vec![b_file.key]);
    let bobs_memory_after: Vec<_> = p
        .fakes
        .memory
        .records()
        .into_iter()
        .filter(|r| r.user_id.as_str() == "bob")
        .collect();
    assert_eq!(bobs_memory_after, bobs_memory);
    assert_eq!(
        p.fakes.usage.total_tokens(QuotaScope::User, "bob"),
        bobs_tokens
    );
    assert_eq!(
        p.fakes.users.get(&fixtures::user_id("bob")).await.unwrap(),
        Some(bob)
    );
}

#[tokio::test]
async fn expired_sessions_are_deleted_and_the_rest_kept() {
    let p = upload_platform().await;
    let alice = fixtures::customer("alice");
    let soon = new_session(&p, &alice).await;
    let later = new_session(&p, &alice).await;
    let never = new_session(&p, &alice).await;
    for s in [soon, later, never] {
        say(&p, &alice, s, "Hello", vec![]).await;
    }
    let now = p.fakes.clock.now();
    for (s, at) in [
        (soon, now + Duration::hours(1)),
        (later, now + Duration::hours(48)),
    ] {
        p.fakes
            .sessions
            .update(
                &s,
                &SessionPatch {
                    expires_at: Some(Some(at)),
                    ..SessionPatch::default()
                },
            )
            .await
            .unwrap();
    }

    assert_eq!(
        p.cleanup().delete_expired(10).await.unwrap(),
        0,
        "nothing expired yet"
    );
    p.fakes.clock.advance(Duration::hours(2));
    assert_eq!(p.cleanup().delete_expired(10).await.unwrap(), 1);

    assert!(p.fakes.sessions.find(&soon).is_none());
    assert!(p.fakes.messages.of_session(&soon).is_empty());
    assert!(p
        .fakes
        .search
        .documents()
        .iter()
        .all(|d| d.session_id != soon));
    for s in [later, never] {
        assert!(p.fakes.sessions.find(&s).is_some());
        assert_eq!(p.fakes.messages.of_session(&s).len(), 2);
    }
    assert_eq!(p.cleanup().delete_expired(10).await.unwrap(), 0);

    p.fakes.clock.advance(Duration::days(2));
    assert_eq!(p.cleanup().delete_expired(10).await.unwrap(), 1);
    assert!(p.fakes.sessions.find(&later).is_none());
    assert!(p.fakes.sessions.find(&never).is_some());
}

//! The [`FeedbackStore`] contract suite.

// Contract suites are tests: a failed expectation panics with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::contracts::store_support::{assert_foreign_cursors_refused, assert_kind, collect_pages};
use crate::fakes::clock::SequentialIds;
use crate::fixtures::{chat_app_id, t0, user_id};
use pika_domain::chrono::{DateTime, Duration};
use pika_domain::feedback::{Feedback, FeedbackKind, FeedbackSource, FeedbackStatus, Severity};
use pika_domain::ids::{FeedbackId, SessionId};
use pika_ports::{ErrorKind, FeedbackFilter, FeedbackStore, IdGeneratorExt, PageRequest};
use std::future::Future;

/// Checks the whole [`FeedbackStore`] contract. `make` must give a fresh,
/// empty, isolated store on every call; each case uses its own.
///
/// Records are made with increasing ids and increasing `created_at`, so
/// "oldest first" and "newest first" mean the same by either.
pub async fn feedback_store_contract<S, F, Fut>(make: F)
where
    S: FeedbackStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    create_then_get(&make().await).await;
    update_replaces_existing_records(&make().await).await;
    list_by_session_oldest_first(&make().await).await;
    list_filters_newest_first_in_pages(&make().await).await;
    delete_by_session_is_idempotent(&make().await).await;
}

/// A human thumbs-down with the next id, created at the time inside that
/// id (UUIDv7), so ids and `created_at` order alike.
fn record(ids: &SequentialIds, session: SessionId, app: &str, status: FeedbackStatus) -> Feedback {
    let id = ids.feedback_id();
    let at = id
        .as_uuid()
        .get_timestamp()
        .and_then(|t| {
            let (secs, nanos) = t.to_unix();
            DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos)
        })
        .unwrap_or_else(t0);
    Feedback {
        feedback_id: id,
        session_id: session,
        chat_app_id: chat_app_id(app),
        message_id: None,
        reporter: Some(user_id("alice")),
        source: FeedbackSource::Human,
        status,
        severity: None,
        kind: FeedbackKind::ThumbsDown,
        comment: Some("Wrong answer".to_string()),
        internal_comment: None,
        created_at: at,
        updated_at: at,
    }
}

fn ids_of(records: &[Feedback]) -> Vec<FeedbackId> {
    records.iter().map(|f| f.feedback_id).collect()
}

fn newest_first(records: &[&Feedback]) -> Vec<FeedbackId> {
    let mut ids: Vec<FeedbackId> = records.iter().map(|f| f.feedback_id).collect();
    ids.sort_by(|a, b| b.cmp(a));
    ids
}

async fn create_then_get<S: FeedbackStore>(store: &S) {
    let ids = SequentialIds::new();
    let session = ids.session_id();
    let f = record(&ids, session, "app-a", FeedbackStatus::Open);
    assert_eq!(
        store.get(&f.feedback_id).await.unwrap(),
        None,
        "get of a missing record"
    );
    store.create(&f).await.expect("create of a new record");
    assert_eq!(
        store.get(&f.feedback_id).await.unwrap(),
        Some(f.clone()),
        "as created"
    );
    let mut again = f.clone();
    again.comment = Some("Overwritten?".to_string());
    assert_kind(
        store.create(&again).await,
        ErrorKind::Conflict,
        "create of an existing id",
    );
    assert_eq!(
        store.get(&f.feedback_id).await.unwrap(),
        Some(f),
        "a refused create changes nothing"
    );
}

async fn update_replaces_existing_records<S: FeedbackStore>(store: &S) {
    let ids = SequentialIds::new();
    let session = ids.session_id();
    let f = record(&ids, session, "app-a", FeedbackStatus::Open);
    let missing = record(&ids, session, "app-a", FeedbackStatus::Open);
    assert_kind(
        store.update(&missing).await,
        ErrorKind::NotFound,
        "update of a missing record",
    );
    assert_eq!(
        store.get(&missing.feedback_id).await.unwrap(),
        None,
        "update never creates"
    );

    store.create(&f).await.unwrap();
    let mut triaged = f.clone();
    triaged.status = FeedbackStatus::InReview;
    triaged.severity = Some(Severity::High);
    triaged.internal_comment = Some("Looking".to_string());
    triaged.comment = None;
    triaged.updated_at = f.updated_at + Duration::hours(1);
    store
        .update(&triaged)
        .await
        .expect("update of an existing record");
    assert_eq!(
        store.get(&f.feedback_id).await.unwrap(),
        Some(triaged.clone()),
        "the record is replaced whole"
    );
    let open = FeedbackFilter {
        status: Some(FeedbackStatus::Open),
        ..FeedbackFilter::default()
    };
    let listed = store.list(&open, PageRequest::first(10)).await.unwrap();
    assert!(
        listed.items.is_empty(),
        "a triaged record leaves the Open listing"
    );
    let in_review = FeedbackFilter {
        status: Some(FeedbackStatus::InReview),
        ..FeedbackFilter::default()
    };
    let listed = store
        .list(&in_review, PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(
        listed.items,
        vec![triaged],
        "and joins the InReview listing"
    );
}

async fn list_by_session_oldest_first<S: FeedbackStore>(store: &S) {
    let ids = SequentialIds::new();
    let (s1, s2, empty) = (ids.session_id(), ids.session_id(), ids.session_id());
    let mine: Vec<Feedback> = (0..3)
        .map(|_| record(&ids, s1, "app-a", FeedbackStatus::Open))
        .collect();
    let theirs: Vec<Feedback> = (0..2)
        .map(|_| record(&ids, s2, "app-a", FeedbackStatus::Open))
        .collect();
    for f in [&mine[2], &theirs[0], &mine[0], &theirs[1], &mine[1]] {
        store.create(f).await.unwrap();
    }
    assert_eq!(
        store.list_by_session(&s1).await.unwrap(),
        mine,
        "the session's feedback, oldest first"
    );
    assert_eq!(store.list_by_session(&s2).await.unwrap(), theirs);
    assert!(
        store.list_by_session(&empty).await.unwrap().is_empty(),
        "a session without feedback"
    );
}

async fn list_filters_newest_first_in_pages<S: FeedbackStore>(store: &S) {
    let ids = SequentialIds::new();
    let session = ids.session_id();
    let all: Vec<Feedback> = (0..9)
        .map(|i| {
            let app = if i % 3 == 0 { "app-b" } else { "app-a" };
            let status = if i % 2 == 0 {
                FeedbackStatus::Open
            } else {
                FeedbackStatus::Resolved
            };
            record(&ids, session, app, status)
        })
        .collect();
    for i in [4, 8, 0, 2, 6, 1, 3, 7, 5] {
        store.create(&all[i]).await.unwrap();
    }
    let filters = [
        FeedbackFilter::default(),
        FeedbackFilter {
            status: Some(FeedbackStatus::Open),
            chat_app_id: None,
        },
        FeedbackFilter {
            status: None,
            chat_app_id: Some(chat_app_id("app-a")),
        },
        FeedbackFilter {
            status: Some(FeedbackStatus::Resolved),
            chat_app_id: Some(chat_app_id("app-a")),
        },
    ];
    for filter in &filters {
        let matching: Vec<&Feedback> = all
            .iter()
            .filter(|f| filter.status.is_none_or(|s| f.status == s))
            .filter(|f| {
                filter
                    .chat_app_id
                    .as_ref()
                    .is_none_or(|a| f.chat_app_id == *a)
            })
            .collect();
        for limit in [2, 100] {
            let got = collect_pages(
                limit,
                |p| store.list(filter, p),
                &format!("feedback list {filter:?}, limit {limit}"),
            )
            .await;
            assert_eq!(
                ids_of(&got),
                newest_first(&matching),
                "{filter:?}: newest first"
            );
        }
    }
    let none = FeedbackFilter {
        status: Some(FeedbackStatus::Closed),
        chat_app_id: None,
    };
    let page = store.list(&none, PageRequest::first(5)).await.unwrap();
    assert!(
        page.items.is_empty() && page.next_cursor.is_none(),
        "no Closed feedback"
    );
    assert_foreign_cursors_refused(|p| store.list(&filters[0], p), "feedback list").await;
}

async fn delete_by_session_is_idempotent<S: FeedbackStore>(store: &S) {
    let ids = SequentialIds::new();
    let (gone, kept) = (ids.session_id(), ids.session_id());
    let doomed: Vec<Feedback> = (0..3)
        .map(|_| record(&ids, gone, "app-a", FeedbackStatus::Open))
        .collect();
    let other = record(&ids, kept, "app-a", FeedbackStatus::Open);
    for f in doomed.iter().chain([&other]) {
        store.create(f).await.unwrap();
    }
    store
        .delete_by_session(&gone)
        .await
        .expect("delete_by_session");
    assert!(
        store.list_by_session(&gone).await.unwrap().is_empty(),
        "the session's feedback is gone"
    );
    assert_eq!(store.get(&doomed[0].feedback_id).await.unwrap(), None);
    let listed = store
        .list(&FeedbackFilter::default(), PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(
        listed.items,
        vec![other.clone()],
        "listings forget deleted feedback"
    );
    assert_eq!(
        store.list_by_session(&kept).await.unwrap(),
        vec![other],
        "others stay"
    );
    store
        .delete_by_session(&gone)
        .await
        .expect("deleting twice succeeds");
    store
        .delete_by_session(&ids.session_id())
        .await
        .expect("deleting the feedback of a session without any succeeds");
}

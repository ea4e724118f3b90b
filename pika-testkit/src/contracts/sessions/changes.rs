//! [`SessionStore`] cases that change sessions: turn records, patches, and
//! the listings that follow them (needing insights, expired).

use super::{create_all, ids_of};
use crate::contracts::store_support::{assert_kind, assert_usage_eq};
use crate::fakes::clock::SequentialIds;
use crate::fixtures::{session, t0};
use pika_domain::chrono::{DateTime, Duration, Utc};
use pika_domain::cost::Usage;
use pika_domain::ids::{MessageId, SessionId};
use pika_domain::session::{InsightStatus, Session};
use pika_ports::{ErrorKind, IdGeneratorExt, SessionPatch, SessionStore, TurnRecord};

fn usage(input: u64, output: u64) -> Usage {
    let input_cost = input as f64 * 3.0 / 1e6;
    let output_cost = output as f64 * 15.0 / 1e6;
    Usage {
        input_tokens: input,
        output_tokens: output,
        input_cost,
        output_cost,
        total_cost: input_cost + output_cost,
    }
}

fn turn(usage: Usage, last: MessageId, at: DateTime<Utc>, mark: bool) -> TurnRecord {
    TurnRecord {
        usage,
        last_message_id: last,
        at,
        mark_for_insights: mark,
    }
}

async fn stored<S: SessionStore>(store: &S, id: &SessionId) -> Session {
    store
        .get(id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("session {id} should exist"))
}

pub(super) async fn record_turn_adds_and_marks<S: SessionStore>(store: &S) {
    let ids = SequentialIds::new();
    assert_kind(
        store
            .record_turn(
                &ids.session_id(),
                &turn(usage(1, 1), ids.message_id(), t0(), true),
            )
            .await,
        ErrorKind::NotFound,
        "record_turn of a missing session",
    );

    let mut s = session(&ids, "alice", "app-a", "acme");
    s.title = Some("Kept".to_string());
    store.create(&s).await.expect("create of a new session");
    let (m1, m2) = (ids.message_id(), ids.message_id());
    let (u1, u2) = (usage(100, 20), usage(250, 40));
    let at1 = t0() + Duration::minutes(1);
    let after = store
        .record_turn(&s.session_id, &turn(u1, m1, at1, true))
        .await
        .unwrap();
    assert_usage_eq(&after.usage, &u1, "usage after one turn");
    let mut expected = s.clone();
    expected.usage = after.usage;
    expected.last_message_id = Some(m1);
    expected.updated_at = at1;
    expected.insight_status = InsightStatus::Pending;
    assert_eq!(
        after, expected,
        "record_turn sets last message, updated_at, Pending; nothing else"
    );
    assert_eq!(
        stored(store, &s.session_id).await,
        after,
        "record_turn returns the stored session"
    );

    let at2 = at1 + Duration::minutes(1);
    let after = store
        .record_turn(&s.session_id, &turn(u2, m2, at2, false))
        .await
        .unwrap();
    assert_usage_eq(&after.usage, &(u1 + u2), "usage is added up over turns");
    assert_eq!(
        after.last_message_id,
        Some(m2),
        "the newest turn's message is the last"
    );
    assert_eq!(after.updated_at, at2);
    assert_eq!(
        after.insight_status,
        InsightStatus::Pending,
        "an unmarked turn keeps Pending"
    );

    for status in [InsightStatus::UpToDate, InsightStatus::Failed] {
        let mut other = session(&ids, "alice", "app-a", "acme");
        other.insight_status = status;
        store.create(&other).await.expect("create of a new session");
        let m = ids.message_id();
        let after = store
            .record_turn(&other.session_id, &turn(usage(1, 1), m, at1, false))
            .await
            .unwrap();
        assert_eq!(
            after.insight_status, status,
            "an unmarked turn leaves {status:?} as it is"
        );
        let after = store
            .record_turn(&other.session_id, &turn(usage(1, 1), m, at2, true))
            .await
            .unwrap();
        assert_eq!(
            after.insight_status,
            InsightStatus::Pending,
            "a marked turn sets Pending"
        );
    }
}

pub(super) async fn record_turn_adds_atomically<S: SessionStore>(store: &S) {
    let ids = SequentialIds::new();
    let s = session(&ids, "alice", "app-a", "acme");
    store.create(&s).await.expect("create of a new session");
    let turns: Vec<TurnRecord> = (0..16)
        .map(|i| {
            turn(
                usage(10, 3),
                ids.message_id(),
                t0() + Duration::seconds(i),
                true,
            )
        })
        .collect();
    let results =
        futures::future::join_all(turns.iter().map(|t| store.record_turn(&s.session_id, t))).await;
    for r in results {
        r.expect("concurrent record_turn");
    }
    let after = stored(store, &s.session_id).await;
    let mut expected = Usage::default();
    for t in &turns {
        expected += t.usage;
    }
    assert_usage_eq(&after.usage, &expected, "16 concurrent turns all count");
    assert!(
        turns
            .iter()
            .any(|t| Some(t.last_message_id) == after.last_message_id),
        "the last message is one of the turns'"
    );
}

pub(super) async fn update_applies_patches<S: SessionStore>(store: &S) {
    let ids = SequentialIds::new();
    assert_kind(
        store
            .update(&ids.session_id(), &SessionPatch::default())
            .await,
        ErrorKind::NotFound,
        "update of a missing session",
    );
    let s = session(&ids, "alice", "app-a", "acme");
    store.create(&s).await.expect("create of a new session");
    let mut expected = s.clone();

    let after = store
        .update(&s.session_id, &SessionPatch::default())
        .await
        .unwrap();
    assert_eq!(after, expected, "an empty patch changes nothing");

    let title = SessionPatch {
        title: Some(Some("Trip to Lyon".to_string())),
        ..SessionPatch::default()
    };
    expected.title = Some("Trip to Lyon".to_string());
    assert_eq!(
        store.update(&s.session_id, &title).await.unwrap(),
        expected,
        "sets the title"
    );

    let pin = SessionPatch {
        pinned: Some(true),
        ..SessionPatch::default()
    };
    expected.pinned = true;
    assert_eq!(
        store.update(&s.session_id, &pin).await.unwrap(),
        expected,
        "pins and leaves the title as it is"
    );

    let analysed = ids.message_id();
    let later = t0() + Duration::hours(2);
    let many = SessionPatch {
        title: Some(None),
        pinned: Some(false),
        insight_status: Some(InsightStatus::Failed),
        last_analyzed_message_id: Some(analysed),
        expires_at: Some(Some(later)),
        updated_at: Some(later),
        ..SessionPatch::default()
    };
    expected.title = None;
    expected.pinned = false;
    expected.insight_status = InsightStatus::Failed;
    expected.last_analyzed_message_id = Some(analysed);
    expected.expires_at = Some(later);
    expected.updated_at = later;
    let after = store.update(&s.session_id, &many).await.unwrap();
    assert_eq!(
        after, expected,
        "clears the title, sets status, analysed id, expiry, updated_at"
    );
    assert_eq!(
        stored(store, &s.session_id).await,
        after,
        "update returns the stored session"
    );

    let unexpire = SessionPatch {
        expires_at: Some(None),
        ..SessionPatch::default()
    };
    expected.expires_at = None;
    assert_eq!(
        store.update(&s.session_id, &unexpire).await.unwrap(),
        expected,
        "clears expiry"
    );
}

pub(super) async fn update_checks_last_message<S: SessionStore>(store: &S) {
    let ids = SequentialIds::new();
    let s = session(&ids, "alice", "app-a", "acme");
    store.create(&s).await.expect("create of a new session");
    let (m1, m2) = (ids.message_id(), ids.message_id());
    let analysed = |m: MessageId| SessionPatch {
        insight_status: Some(InsightStatus::UpToDate),
        last_analyzed_message_id: Some(m),
        if_last_message_id: Some(m),
        ..SessionPatch::default()
    };
    assert_kind(
        store.update(&s.session_id, &analysed(m1)).await,
        ErrorKind::Conflict,
        "if_last_message_id on a session without messages",
    );
    assert_eq!(
        stored(store, &s.session_id).await,
        s,
        "a refused patch changes nothing"
    );

    store
        .record_turn(&s.session_id, &turn(usage(1, 1), m1, t0(), true))
        .await
        .unwrap();
    let after = store.update(&s.session_id, &analysed(m1)).await.unwrap();
    assert_eq!(
        after.insight_status,
        InsightStatus::UpToDate,
        "applied when the last message matches"
    );
    assert_eq!(after.last_analyzed_message_id, Some(m1));

    let before = store
        .record_turn(&s.session_id, &turn(usage(1, 1), m2, t0(), true))
        .await
        .unwrap();
    assert_kind(
        store.update(&s.session_id, &analysed(m1)).await,
        ErrorKind::Conflict,
        "if_last_message_id after a newer turn",
    );
    assert_eq!(
        stored(store, &s.session_id).await,
        before,
        "an analysis never hides the turn that arrived meanwhile"
    );
}

pub(super) async fn needing_insights_least_recent_first<S: SessionStore>(store: &S) {
    let ids = SequentialIds::new();
    let at = |minutes: i64| t0() + Duration::minutes(minutes);
    let make = |status, updated| {
        let mut s = session(&ids, "alice", "app-a", "acme");
        s.insight_status = status;
        s.updated_at = updated;
        s
    };
    let a = make(InsightStatus::Pending, at(60));
    let b = make(InsightStatus::Failed, at(0));
    let c = make(InsightStatus::UpToDate, at(0));
    let d = make(InsightStatus::Pending, at(180));
    let e = make(InsightStatus::Pending, at(120));
    create_all(
        store,
        &[a.clone(), b.clone(), c.clone(), d.clone(), e.clone()],
    )
    .await;
    let idle_before = at(120);

    let got = store.list_needing_insights(idle_before, 10).await.unwrap();
    assert_eq!(
        ids_of(&got),
        ids_of(&[b.clone(), a.clone(), e.clone()]),
        "Pending or Failed, updated at or before idle_before, least recently updated first"
    );
    let got = store.list_needing_insights(idle_before, 2).await.unwrap();
    assert_eq!(
        ids_of(&got),
        ids_of(&[b.clone(), a.clone()]),
        "at most `limit`"
    );

    store
        .record_turn(
            &c.session_id,
            &turn(usage(1, 1), ids.message_id(), at(30), true),
        )
        .await
        .unwrap();
    let done = SessionPatch {
        insight_status: Some(InsightStatus::UpToDate),
        ..SessionPatch::default()
    };
    store.update(&a.session_id, &done).await.unwrap();
    let got = store.list_needing_insights(idle_before, 10).await.unwrap();
    assert_eq!(
        ids_of(&got),
        ids_of(&[b, c, e]),
        "a marked turn adds a session; an analysed one leaves"
    );
    assert!(
        store
            .list_needing_insights(at(-1), 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing is idle before every update"
    );
}

pub(super) async fn expired_at_or_before_now<S: SessionStore>(store: &S) {
    let ids = SequentialIds::new();
    let make = |expires: Option<DateTime<Utc>>| {
        let mut s = session(&ids, "alice", "app-a", "acme");
        s.expires_at = expires;
        s
    };
    let at_now = make(Some(t0()));
    let past = make(Some(t0() - Duration::hours(1)));
    let future = make(Some(t0() + Duration::hours(1)));
    let never = make(None);
    create_all(store, &[at_now.clone(), past.clone(), future, never]).await;

    let mut got = ids_of(&store.list_expired(t0(), 10).await.unwrap());
    got.sort();
    let mut expected = vec![at_now.session_id, past.session_id];
    expected.sort();
    assert_eq!(got, expected, "sessions whose expiry is at or before now");
    let one = store.list_expired(t0(), 1).await.unwrap();
    assert_eq!(one.len(), 1, "at most `limit`");
    assert!(expected.contains(&one[0].session_id), "an expired session");

    let keep = SessionPatch {
        expires_at: Some(None),
        ..SessionPatch::default()
    };
    store.update(&past.session_id, &keep).await.unwrap();
    let got = store.list_expired(t0(), 10).await.unwrap();
    assert_eq!(
        ids_of(&got),
        vec![at_now.session_id],
        "a cleared expiry leaves the listing"
    );
}

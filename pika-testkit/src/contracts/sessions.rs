//! The [`SessionStore`] contract suite.
//!
//! This file checks creation, reads, listings, shares and deletion; the
//! `changes` module checks turn records, patches and the insight and expiry
//! listings.

// Contract suites are tests: a failed expectation panics with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod changes;

use crate::contracts::store_support::{
    assert_foreign_cursors_refused, assert_kind, collect_pages, collect_pages_after,
};
use crate::fakes::clock::SequentialIds;
use crate::fixtures::{chat_app_id, entity_id, session, t0, user_id};
use pika_domain::ids::SessionId;
use pika_domain::session::{Session, ShareInfo};
use pika_ports::{ErrorKind, IdGeneratorExt, PageRequest, SessionPatch, SessionStore};
use std::future::Future;

/// Checks the whole [`SessionStore`] contract. `make` must give a fresh,
/// empty, isolated store on every call; each case uses its own.
pub async fn session_store_contract<S, F, Fut>(make: F)
where
    S: SessionStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    create_then_get(&make().await).await;
    create_conflicts_and_changes_nothing(&make().await).await;
    list_by_user_newest_first_in_pages(&make().await).await;
    list_by_user_keeps_its_place(&make().await).await;
    list_by_entity_newest_first_in_pages(&make().await).await;
    get_by_share_finds_active_and_revoked_shares(&make().await).await;
    delete_is_idempotent(&make().await).await;
    changes::record_turn_adds_and_marks(&make().await).await;
    changes::record_turn_adds_atomically(&make().await).await;
    changes::update_applies_patches(&make().await).await;
    changes::update_checks_last_message(&make().await).await;
    changes::needing_insights_least_recent_first(&make().await).await;
    changes::expired_at_or_before_now(&make().await).await;
}

/// Creates `sessions` in the given order, failing loudly.
async fn create_all<S: SessionStore>(store: &S, sessions: &[Session]) {
    for s in sessions {
        store
            .create(s)
            .await
            .unwrap_or_else(|e| panic!("create of session {} failed: {e}", s.session_id));
    }
}

/// The ids of `sessions`, in their order.
fn ids_of(sessions: &[Session]) -> Vec<SessionId> {
    sessions.iter().map(|s| s.session_id).collect()
}

/// The ids of `sessions`, newest first.
fn newest_first(sessions: &[&Session]) -> Vec<SessionId> {
    let mut ids: Vec<SessionId> = sessions.iter().map(|s| s.session_id).collect();
    ids.sort_by(|a, b| b.cmp(a));
    ids
}

async fn create_then_get<S: SessionStore>(store: &S) {
    let ids = SequentialIds::new();
    let mut s = session(&ids, "alice", "app-a", "acme");
    s.title = Some("Planning".to_string());
    assert_eq!(
        store.get(&s.session_id).await.unwrap(),
        None,
        "get of a missing session"
    );
    store.create(&s).await.expect("create of a new session");
    assert_eq!(
        store.get(&s.session_id).await.unwrap(),
        Some(s.clone()),
        "get returns the session exactly as created"
    );
    let other = session(&ids, "alice", "app-a", "acme");
    assert_eq!(
        store.get(&other.session_id).await.unwrap(),
        None,
        "get of another id"
    );
}

async fn create_conflicts_and_changes_nothing<S: SessionStore>(store: &S) {
    let ids = SequentialIds::new();
    let s = session(&ids, "alice", "app-a", "acme");
    store.create(&s).await.expect("first create");
    let mut again = s.clone();
    again.title = Some("Overwritten?".to_string());
    again.user_id = user_id("mallory");
    assert_kind(
        store.create(&again).await,
        ErrorKind::Conflict,
        "create of an existing id",
    );
    assert_eq!(
        store.get(&s.session_id).await.unwrap(),
        Some(s),
        "a refused create changes nothing"
    );
}

async fn list_by_user_newest_first_in_pages<S: SessionStore>(store: &S) {
    let ids = SequentialIds::new();
    let alice: Vec<Session> = (0..7)
        .map(|i| {
            session(
                &ids,
                "alice",
                if i % 2 == 0 { "app-a" } else { "app-b" },
                "acme",
            )
        })
        .collect();
    let bob: Vec<Session> = (0..2)
        .map(|_| session(&ids, "bob", "app-a", "acme"))
        .collect();
    // Created out of order: the listing orders by id, not by insertion.
    let order = [3, 0, 6, 1, 5, 2, 4];
    create_all(store, &order.map(|i| alice[i].clone())).await;
    create_all(store, &bob).await;
    let alice_id = user_id("alice");
    let expected = newest_first(&alice.iter().collect::<Vec<_>>());

    for limit in [1, 3, 7, 100] {
        let got = collect_pages(
            limit,
            |p| store.list_by_user(&alice_id, None, p),
            &format!("list_by_user(alice) with limit {limit}"),
        )
        .await;
        assert_eq!(
            ids_of(&got),
            expected,
            "alice's sessions, newest first, limit {limit}"
        );
        for s in &got {
            let created = alice.iter().find(|a| a.session_id == s.session_id).unwrap();
            assert_eq!(s, created, "a listed session is the session as stored");
        }
    }
    let exact = store
        .list_by_user(&alice_id, None, PageRequest::first(7))
        .await
        .unwrap();
    assert_eq!(exact.items.len(), 7, "one page of exactly all sessions");
    assert_eq!(
        exact.next_cursor, None,
        "a page that ends the listing has no cursor"
    );

    let in_a: Vec<&Session> = alice
        .iter()
        .filter(|s| s.chat_app_id.as_str() == "app-a")
        .collect();
    let got = collect_pages(
        2,
        |p| store.list_by_user(&alice_id, Some(chat_app_id("app-a")), p),
        "list_by_user(alice, app-a)",
    )
    .await;
    assert_eq!(
        ids_of(&got),
        newest_first(&in_a),
        "only alice's sessions of app-a"
    );

    let none = store
        .list_by_user(&user_id("nobody"), None, PageRequest::first(10))
        .await
        .unwrap();
    assert!(none.items.is_empty(), "an unknown user has no sessions");
    assert_eq!(none.next_cursor, None, "an empty listing has no cursor");
    let none = store
        .list_by_user(
            &alice_id,
            Some(chat_app_id("app-z")),
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert!(none.items.is_empty(), "alice has no sessions in app-z");

    assert_foreign_cursors_refused(|p| store.list_by_user(&alice_id, None, p), "list_by_user")
        .await;
}

async fn list_by_user_keeps_its_place<S: SessionStore>(store: &S) {
    let ids = SequentialIds::new();
    let all: Vec<Session> = (0..7)
        .map(|_| session(&ids, "alice", "app-a", "acme"))
        .collect();
    create_all(store, &all).await;
    let alice = user_id("alice");
    let first = store
        .list_by_user(&alice, None, PageRequest::first(3))
        .await
        .unwrap();
    assert_eq!(
        ids_of(&first.items),
        newest_first(&all[4..].iter().collect::<Vec<_>>())
    );
    // A newer session appears and a listed one goes while the client pages.
    store
        .create(&session(&ids, "alice", "app-a", "acme"))
        .await
        .unwrap();
    store.delete(&all[5].session_id).await.unwrap();
    let rest = collect_pages_after(
        3,
        first.next_cursor.clone(),
        |p| store.list_by_user(&alice, None, p),
        "list_by_user after the first page",
    )
    .await;
    assert_eq!(
        ids_of(&rest),
        newest_first(&all[..4].iter().collect::<Vec<_>>()),
        "the pages after a cursor hold exactly the older sessions: none repeated, none lost"
    );
}

async fn list_by_entity_newest_first_in_pages<S: SessionStore>(store: &S) {
    let ids = SequentialIds::new();
    let mut sessions = Vec::new();
    for i in 0..9 {
        let (user, entity) = match i % 3 {
            0 => ("alice", "acme"),
            1 => ("bob", "acme"),
            _ => ("carol", "globex"),
        };
        sessions.push(session(&ids, user, "app-a", entity));
    }
    let mut shuffled = sessions.clone();
    shuffled.reverse();
    create_all(store, &shuffled).await;
    let acme = entity_id("acme");
    let expected: Vec<&Session> = sessions.iter().filter(|s| s.entity_id == acme).collect();
    for limit in [2, 6] {
        let got = collect_pages(
            limit,
            |p| store.list_by_entity(&acme, p),
            &format!("list_by_entity(acme) with limit {limit}"),
        )
        .await;
        assert_eq!(
            ids_of(&got),
            newest_first(&expected),
            "acme's sessions of every user, newest first"
        );
    }
    let none = store
        .list_by_entity(&entity_id("initech"), PageRequest::first(5))
        .await
        .unwrap();
    assert!(
        none.items.is_empty() && none.next_cursor.is_none(),
        "an unknown entity has no sessions"
    );
    assert_foreign_cursors_refused(|p| store.list_by_entity(&acme, p), "list_by_entity").await;
}

async fn get_by_share_finds_active_and_revoked_shares<S: SessionStore>(store: &S) {
    let ids = SequentialIds::new();
    let plain = session(&ids, "alice", "app-a", "acme");
    let share = ShareInfo {
        share_id: ids.share_id(),
        shared_by: user_id("alice"),
        shared_at: t0(),
        revoked_at: None,
    };
    let mut shared_at_creation = session(&ids, "bob", "app-a", "acme");
    let early = ShareInfo {
        share_id: ids.share_id(),
        shared_by: user_id("bob"),
        ..share.clone()
    };
    shared_at_creation.share = Some(early.clone());
    create_all(store, &[plain.clone(), shared_at_creation.clone()]).await;

    assert_eq!(
        store.get_by_share(&early.share_id).await.unwrap(),
        Some(shared_at_creation),
        "a share stored at creation is found"
    );
    assert_eq!(
        store.get_by_share(&share.share_id).await.unwrap(),
        None,
        "an unused share id"
    );

    let patch = |s: Option<ShareInfo>| SessionPatch {
        share: Some(s),
        ..SessionPatch::default()
    };
    let after = store
        .update(&plain.session_id, &patch(Some(share.clone())))
        .await
        .unwrap();
    assert_eq!(after.share.as_ref(), Some(&share), "update sets the share");
    let found = store.get_by_share(&share.share_id).await.unwrap();
    assert_eq!(
        found,
        Some(after),
        "the shared session is found by its share id"
    );

    let revoked = ShareInfo {
        revoked_at: Some(t0()),
        ..share.clone()
    };
    store
        .update(&plain.session_id, &patch(Some(revoked.clone())))
        .await
        .unwrap();
    let found = store.get_by_share(&share.share_id).await.unwrap();
    assert_eq!(
        found.and_then(|s| s.share),
        Some(revoked),
        "a revoked share is still found (the caller checks it)"
    );

    store.update(&plain.session_id, &patch(None)).await.unwrap();
    assert_eq!(
        store.get_by_share(&share.share_id).await.unwrap(),
        None,
        "a cleared share no longer finds the session"
    );
}

async fn delete_is_idempotent<S: SessionStore>(store: &S) {
    let ids = SequentialIds::new();
    let gone = session(&ids, "alice", "app-a", "acme");
    let kept = session(&ids, "alice", "app-a", "acme");
    create_all(store, &[gone.clone(), kept.clone()]).await;
    store
        .delete(&gone.session_id)
        .await
        .expect("delete of a session");
    assert_eq!(
        store.get(&gone.session_id).await.unwrap(),
        None,
        "a deleted session is gone"
    );
    assert_eq!(
        store.get(&kept.session_id).await.unwrap(),
        Some(kept.clone()),
        "others stay"
    );
    let listed = store
        .list_by_user(&user_id("alice"), None, PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(
        ids_of(&listed.items),
        vec![kept.session_id],
        "listings forget deleted sessions"
    );
    store
        .delete(&gone.session_id)
        .await
        .expect("deleting twice succeeds");
    store
        .delete(&ids.session_id())
        .await
        .expect("deleting a session that never existed succeeds");
}

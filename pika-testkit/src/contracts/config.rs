//! Contract suites of the configuration stores: [`ChatAppStore`],
//! [`AgentStore`] and [`ToolStore`]. The three share one set of cases
//! (conditional create, version-checked update, idempotent delete, paging by
//! id) through the private `Subject` view; overrides and batch reads have
//! their own cases.

// Contract suites are tests: a failed expectation panics with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod subject;

use crate::contracts::store_support::{assert_foreign_cursors_refused, assert_kind, collect_pages};
use crate::fixtures::{chat_app, chat_app_id, tool_id, user_id};
use pika_domain::chat_app::ChatAppOverride;
use pika_domain::tool::Tool;
use pika_ports::{AgentStore, ChatAppStore, ErrorKind, PageRequest, ToolStore};
use std::future::Future;
use subject::{Agents, Apps, Subject, Tools};

/// Checks the whole [`ChatAppStore`] contract. `make` must give a fresh,
/// empty, isolated store on every call; each case uses its own.
pub async fn chat_app_store_contract<S, F, Fut>(make: F)
where
    S: ChatAppStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    versioned_cases(|| async { Apps(make().await) }).await;
    overrides_belong_to_their_app(&make().await).await;
}

/// Checks the whole [`AgentStore`] contract. `make` must give a fresh,
/// empty, isolated store on every call; each case uses its own.
pub async fn agent_store_contract<S, F, Fut>(make: F)
where
    S: AgentStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    versioned_cases(|| async { Agents(make().await) }).await;
}

/// Checks the whole [`ToolStore`] contract. `make` must give a fresh,
/// empty, isolated store on every call; each case uses its own.
pub async fn tool_store_contract<S, F, Fut>(make: F)
where
    S: ToolStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    versioned_cases(|| async { Tools(make().await) }).await;
    get_many_keeps_the_order_of_ids(&make().await).await;
}

async fn versioned_cases<V, F, Fut>(make: F)
where
    V: Subject,
    F: Fn() -> Fut,
    Fut: Future<Output = V>,
{
    create_then_get(&make().await).await;
    update_checks_the_version(&make().await).await;
    concurrent_updates_have_one_winner(&make().await).await;
    delete_is_idempotent(&make().await).await;
    list_by_id_in_pages(&make().await).await;
}

async fn create_then_get<V: Subject>(store: &V) {
    let what = V::WHAT;
    let item = V::item(1);
    let id = V::id(&item);
    assert_eq!(
        store.get(&id).await.unwrap(),
        None,
        "get of a missing {what}"
    );
    store
        .create(&item)
        .await
        .unwrap_or_else(|e| panic!("create of a new {what}: {e}"));
    assert_eq!(
        store.get(&id).await.unwrap(),
        Some(item.clone()),
        "the {what} as created"
    );
    assert_eq!(
        store.get(&V::id(&V::item(2))).await.unwrap(),
        None,
        "another id"
    );

    let changed = V::next(&item);
    assert_kind(
        store.create(&changed).await,
        ErrorKind::Conflict,
        &format!("create of an existing {what}"),
    );
    assert_eq!(
        store.get(&id).await.unwrap(),
        Some(item),
        "a refused create changes nothing"
    );
}

async fn update_checks_the_version<V: Subject>(store: &V) {
    let what = V::WHAT;
    let missing = V::item(9);
    assert_kind(
        store.update(&V::next(&missing), 1).await,
        ErrorKind::NotFound,
        &format!("update of a missing {what}"),
    );
    assert_eq!(
        store.get(&V::id(&missing)).await.unwrap(),
        None,
        "update never creates"
    );

    let v1 = V::item(1);
    let id = V::id(&v1);
    store.create(&v1).await.unwrap();
    let v2 = V::next(&v1);
    store
        .update(&v2, 1)
        .await
        .unwrap_or_else(|e| panic!("update of a {what} at version 1: {e}"));
    assert_eq!(
        store.get(&id).await.unwrap(),
        Some(v2.clone()),
        "the {what} is replaced whole"
    );

    let stale = V::next(&v1);
    assert_kind(
        store.update(&stale, 1).await,
        ErrorKind::Conflict,
        &format!("update of a {what} with a stale version"),
    );
    assert_kind(
        store.update(&V::next(&v2), 3).await,
        ErrorKind::Conflict,
        &format!("update of a {what} with a version from the future"),
    );
    assert_eq!(
        store.get(&id).await.unwrap(),
        Some(v2.clone()),
        "a refused update changes nothing"
    );
    let v3 = V::next(&v2);
    store.update(&v3, 2).await.unwrap();
    assert_eq!(
        store.get(&id).await.unwrap(),
        Some(v3),
        "the next version applies"
    );
}

async fn concurrent_updates_have_one_winner<V: Subject>(store: &V) {
    let v1 = V::item(1);
    store.create(&v1).await.unwrap();
    let candidates: Vec<V::Item> = (0..4).map(|_| V::next(&v1)).collect();
    let results = futures::future::join_all(candidates.iter().map(|c| store.update(c, 1))).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(
        ok, 1,
        "exactly one of 4 updates from version 1 wins: {results:?}"
    );
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(r.kind, ErrorKind::Conflict, "the losers conflict");
    }
}

async fn delete_is_idempotent<V: Subject>(store: &V) {
    let what = V::WHAT;
    let (gone, kept) = (V::item(1), V::item(2));
    store.create(&gone).await.unwrap();
    store.create(&kept).await.unwrap();
    store
        .delete(&V::id(&gone))
        .await
        .unwrap_or_else(|e| panic!("delete of a {what}: {e}"));
    assert_eq!(
        store.get(&V::id(&gone)).await.unwrap(),
        None,
        "a deleted {what} is gone"
    );
    assert_eq!(
        store.get(&V::id(&kept)).await.unwrap(),
        Some(kept),
        "others stay"
    );
    store
        .delete(&V::id(&gone))
        .await
        .expect("deleting twice succeeds");
    store
        .delete(&V::id(&V::item(7)))
        .await
        .expect("deleting a missing id succeeds");
    store
        .create(&gone)
        .await
        .expect("a deleted id may be created again");
}

async fn list_by_id_in_pages<V: Subject>(store: &V) {
    let what = V::WHAT;
    let empty = store.list(PageRequest::first(10)).await.unwrap();
    assert!(
        empty.items.is_empty() && empty.next_cursor.is_none(),
        "an empty store lists nothing"
    );
    let items: Vec<V::Item> = (0..7).map(V::item).collect();
    for i in [5, 0, 3, 6, 1, 4, 2] {
        store.create(&items[i]).await.unwrap();
    }
    for limit in [1, 3, 7, 100] {
        let got = collect_pages(
            limit,
            |p| store.list(p),
            &format!("{what} list, limit {limit}"),
        )
        .await;
        assert_eq!(got, items, "every {what}, ordered by id, limit {limit}");
    }
    let exact = store.list(PageRequest::first(7)).await.unwrap();
    assert_eq!(exact.items.len(), 7, "one page of exactly all");
    assert_eq!(
        exact.next_cursor, None,
        "a page that ends the listing has no cursor"
    );
    assert_foreign_cursors_refused(|p| store.list(p), &format!("{what} list")).await;
}

async fn overrides_belong_to_their_app<S: ChatAppStore>(store: &S) {
    let app = chat_app("app-01", "agent");
    let id = app.chat_app_id.clone();
    let ovr = ChatAppOverride {
        enabled: Some(false),
        title: Some("Renamed".to_string()),
        exclusive_user_id_access_control: vec![user_id("alice")],
        ..ChatAppOverride::default()
    };
    assert_kind(
        store.put_override(&id, &ovr).await,
        ErrorKind::NotFound,
        "put_override of a missing app",
    );
    store.create(&app).await.unwrap();
    assert_eq!(
        store.get_override(&id).await.unwrap(),
        None,
        "no override yet (the refused put_override left nothing)"
    );

    store
        .put_override(&id, &ovr)
        .await
        .expect("put_override of an existing app");
    assert_eq!(store.get_override(&id).await.unwrap(), Some(ovr.clone()));
    assert_eq!(
        store.get(&id).await.unwrap(),
        Some(app.clone()),
        "an override leaves the app as it is"
    );
    let replaced = ChatAppOverride {
        description: Some("Replaced".to_string()),
        ..ChatAppOverride::default()
    };
    store
        .put_override(&id, &replaced)
        .await
        .expect("put_override replaces");
    assert_eq!(
        store.get_override(&id).await.unwrap(),
        Some(replaced.clone()),
        "replaced whole"
    );
    assert_eq!(
        store.get_override(&chat_app_id("app-02")).await.unwrap(),
        None,
        "per app"
    );

    store.delete_override(&id).await.expect("delete_override");
    assert_eq!(
        store.get_override(&id).await.unwrap(),
        None,
        "the override is gone"
    );
    assert!(
        store.get(&id).await.unwrap().is_some(),
        "deleting the override keeps the app"
    );
    store
        .delete_override(&id)
        .await
        .expect("deleting a missing override succeeds");

    store.put_override(&id, &replaced).await.unwrap();
    store.delete(&id).await.unwrap();
    store.create(&app).await.unwrap();
    assert_eq!(
        store.get_override(&id).await.unwrap(),
        None,
        "deleting an app deletes its override"
    );
}

async fn get_many_keeps_the_order_of_ids<S: ToolStore>(store: &S) {
    let tools: Vec<Tool> = (0..4).map(<Tools<S> as Subject>::item).collect();
    for t in &tools {
        store.create(t).await.unwrap();
    }
    let id = |n: usize| tools[n].tool_id.clone();
    let got = store
        .get_many(&[id(2), tool_id("missing"), id(0), id(3)])
        .await
        .unwrap();
    assert_eq!(
        got,
        vec![tools[2].clone(), tools[0].clone(), tools[3].clone()],
        "the tools that exist, in the order of the ids"
    );
    assert!(
        store.get_many(&[]).await.unwrap().is_empty(),
        "no ids, no tools"
    );
    assert!(
        store.get_many(&[tool_id("nope")]).await.unwrap().is_empty(),
        "missing ids are left out"
    );
}

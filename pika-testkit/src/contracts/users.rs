//! The [`UserStore`] contract suite.

// Contract suites are tests: a failed expectation panics with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::fixtures::{content_admin, customer, user_id};
use pika_ports::UserStore;
use std::future::Future;

/// Checks the whole [`UserStore`] contract. `make` must give a fresh,
/// empty, isolated store on every call; each case uses its own.
pub async fn user_store_contract<S, F, Fut>(make: F)
where
    S: UserStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    put_creates_and_replaces(&make().await).await;
    delete_is_idempotent(&make().await).await;
    overrides_live_apart_from_the_profile(&make().await).await;
}

async fn overrides_live_apart_from_the_profile<S: UserStore>(store: &S) {
    use pika_domain::user_data::Overrides;
    let alice = customer("alice");
    let id = &alice.user_id;
    assert!(
        store.overrides(id).await.unwrap().is_empty(),
        "none at first"
    );
    let mut overrides = Overrides::new();
    overrides.insert(
        crate::fixtures::chat_app_id("support"),
        serde_json::json!({"accountId": "acme", "tier": 2})
            .as_object()
            .cloned()
            .unwrap(),
    );
    store.put_overrides(id, &overrides).await.unwrap();
    store.put(&alice).await.unwrap();
    assert_eq!(
        store.overrides(id).await.unwrap(),
        overrides,
        "a profile put leaves them"
    );
    assert!(
        store
            .overrides(&customer("bob").user_id)
            .await
            .unwrap()
            .is_empty(),
        "another user's are not hers"
    );
    store.put_overrides(id, &Overrides::new()).await.unwrap();
    assert!(store.overrides(id).await.unwrap().is_empty(), "emptied");
    store.put_overrides(id, &overrides).await.unwrap();
    store.delete(id).await.unwrap();
    assert!(
        store.overrides(id).await.unwrap().is_empty(),
        "deleting the user deletes them"
    );
    assert_eq!(store.get(id).await.unwrap(), None);
}

async fn put_creates_and_replaces<S: UserStore>(store: &S) {
    let alice = customer("alice");
    let bob = content_admin("bob");
    assert_eq!(
        store.get(&alice.user_id).await.unwrap(),
        None,
        "an unknown user"
    );
    store.put(&alice).await.expect("put of a new user");
    store.put(&bob).await.expect("put of another user");
    assert_eq!(
        store.get(&alice.user_id).await.unwrap(),
        Some(alice.clone()),
        "as put"
    );
    assert_eq!(
        store.get(&bob.user_id).await.unwrap(),
        Some(bob.clone()),
        "as put"
    );

    let mut renamed = alice.clone();
    renamed.first_name = Some("Alice".to_string());
    renamed.roles = vec!["reader".to_string()];
    renamed.custom_data.clear();
    store
        .put(&renamed)
        .await
        .expect("put of a known user replaces");
    assert_eq!(
        store.get(&alice.user_id).await.unwrap(),
        Some(renamed),
        "the profile is replaced whole (no merge of old custom data or roles)"
    );
    assert_eq!(
        store.get(&bob.user_id).await.unwrap(),
        Some(bob),
        "others stay"
    );
}

async fn delete_is_idempotent<S: UserStore>(store: &S) {
    let alice = customer("alice");
    let bob = customer("bob");
    store.put(&alice).await.unwrap();
    store.put(&bob).await.unwrap();
    store
        .delete(&alice.user_id)
        .await
        .expect("delete of a user");
    assert_eq!(
        store.get(&alice.user_id).await.unwrap(),
        None,
        "a deleted user is gone"
    );
    assert_eq!(
        store.get(&bob.user_id).await.unwrap(),
        Some(bob),
        "others stay"
    );
    store
        .delete(&alice.user_id)
        .await
        .expect("deleting twice succeeds");
    store
        .delete(&user_id("never-seen"))
        .await
        .expect("deleting an unknown user succeeds");
    store
        .put(&alice)
        .await
        .expect("a deleted user may come back");
    assert_eq!(store.get(&alice.user_id).await.unwrap(), Some(alice));
}

//! User data overrides (PIKA.md §4): a permitted user overrides keys of
//! their custom data in one chat app; their turns there run with it (the
//! entity of new sessions, what tools receive), nobody else's do, and only
//! the keys the settings allow.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::features::SimpleFeature;
use pika_domain::user::UserType;
use pika_ports::UserStore;
use pika_service::UserDataService;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::{json, Map, Value};
use support::*;

fn data(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

async fn platform(enabled: bool) -> Platform {
    let mut site = fixtures::site();
    site.features.user_data_overrides = Some(SimpleFeature {
        enabled,
        settings: json!({ "attributes": ["accountId", "plan"] }),
    });
    Platform::standard_with_site(site).await
}

fn service(p: &Platform) -> UserDataService {
    UserDataService::new(p.ports.clone(), p.config.clone())
}

#[tokio::test]
async fn an_internal_user_acts_for_an_account_in_one_chat_app() {
    let p = platform(true).await;
    let sam = fixtures::user("sam", UserType::InternalUser, Some("operator"));
    let app = fixtures::chat_app_id(APP);

    let saved = service(&p)
        .set(&sam, &app, data(json!({ "accountId": "acme" })))
        .await
        .unwrap();
    assert_eq!(saved["accountId"], "acme");
    assert_eq!(service(&p).get(&sam, &app).await.unwrap(), saved);

    p.fakes.runtime.push(Script::answer("Hello acme."));
    let (stream, _) = p.first_turn(&sam, "Hi").await;

    let session = p.fakes.sessions.find(&stream.session_id).unwrap();
    assert_eq!(
        session.entity_id.as_str(),
        "acme",
        "the new session is the account's"
    );
    assert_eq!(session.user_id.as_str(), "sam", "still sam's");
    let request = p.fakes.runtime.last_request().unwrap();
    assert_eq!(request.session_attributes["accountId"], "acme");

    // Cleared: sam is sam again.
    service(&p).set(&sam, &app, Map::new()).await.unwrap();
    p.fakes.runtime.push(Script::answer("Hello."));
    let (stream, _) = p.first_turn(&sam, "Hi again").await;
    let session = p.fakes.sessions.find(&stream.session_id).unwrap();
    assert_eq!(session.entity_id.as_str(), "operator");
}

#[tokio::test]
async fn only_permitted_users_and_allowed_keys() {
    let p = platform(true).await;
    let app = fixtures::chat_app_id(APP);
    let alice = fixtures::customer("alice");
    assert_eq!(
        code(
            service(&p)
                .set(&alice, &app, data(json!({ "accountId": "globex" })))
                .await
        ),
        "forbidden",
        "customers may not, by default"
    );
    let sam = fixtures::user("sam", UserType::InternalUser, Some("operator"));
    assert_eq!(
        code(
            service(&p)
                .set(&sam, &app, data(json!({ "region": "us" })))
                .await
        ),
        "invalid_request",
        "a key the settings do not list"
    );
    assert_eq!(
        code(service(&p).get(&sam, &fixtures::chat_app_id("nope")).await),
        "not_found"
    );

    // A customer's stored override (written past the service) is ignored.
    let mut forged = pika_domain::user_data::Overrides::new();
    forged.insert(app.clone(), data(json!({ "accountId": "globex" })));
    p.fakes
        .users
        .put_overrides(&alice.user_id, &forged)
        .await
        .unwrap();
    p.fakes.runtime.push(Script::answer("Hi."));
    let (stream, _) = p.first_turn(&alice, "Hi").await;
    assert_eq!(
        p.fakes
            .sessions
            .find(&stream.session_id)
            .unwrap()
            .entity_id
            .as_str(),
        "acme"
    );
}

#[tokio::test]
async fn with_the_feature_off_nobody_overrides_and_stored_overrides_are_ignored() {
    let p = platform(false).await;
    let app = fixtures::chat_app_id(APP);
    let sam = fixtures::user("sam", UserType::InternalUser, Some("operator"));
    assert_eq!(
        code(
            service(&p)
                .set(&sam, &app, data(json!({ "accountId": "acme" })))
                .await
        ),
        "forbidden"
    );
    let mut stored = pika_domain::user_data::Overrides::new();
    stored.insert(app.clone(), data(json!({ "accountId": "acme" })));
    p.fakes
        .users
        .put_overrides(&sam.user_id, &stored)
        .await
        .unwrap();
    p.fakes.runtime.push(Script::answer("Hi."));
    let (stream, _) = p.first_turn(&sam, "Hi").await;
    assert_eq!(
        p.fakes
            .sessions
            .find(&stream.session_id)
            .unwrap()
            .entity_id
            .as_str(),
        "operator"
    );
}

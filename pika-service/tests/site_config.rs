//! The site configuration as data: seeded once, changed by site admins with
//! optimistic concurrency, read through the configuration cache — at once
//! in the process that changed it, within the cache's time to live in any
//! other — and the defaults (site features off) while none is stored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::chrono::Duration;
use pika_domain::ids::EntityId;
use pika_domain::site::SiteConfig;
use pika_service::{seed_site, ConfigCache, ServiceError, SessionService};
use pika_testkit::{fixtures, FakePorts};
use std::sync::Arc;
use support::*;

fn app() -> pika_domain::ids::ChatAppId {
    fixtures::chat_app_id(APP)
}

#[tokio::test]
async fn seeding_stores_once_and_keeps_what_is_stored() {
    let fakes = FakePorts::new();
    let ports = fakes.ports();
    let first = seed_site(&ports, fixtures::site()).await.unwrap();
    assert_eq!(first.version, 1);
    assert_eq!(first.updated_by, None);
    let again = seed_site(&ports, SiteConfig::default()).await.unwrap();
    assert_eq!(again, first, "a second seed changes nothing");
    assert_eq!(fakes.site.current(), Some(first));
}

#[tokio::test]
async fn without_a_stored_site_every_site_feature_is_off() {
    let p = Platform::standard().await;
    // A platform over fakes with nothing stored: entities are off.
    let bare = FakePorts::new();
    bare.seed_app(
        &fixtures::chat_app(APP, AGENT),
        &fixtures::agent(AGENT, &[]),
        &[],
    )
    .await
    .unwrap();
    let ports = bare.ports();
    let sessions = SessionService::new(
        ports.clone(),
        Arc::new(ConfigCache::new(ports, std::time::Duration::from_secs(60))),
    );
    let alice = fixtures::customer("alice");
    let global = sessions.create(&alice, &app()).await.unwrap();
    assert_eq!(global.entity_id.as_str(), EntityId::GLOBAL);
    // With the stored site (entity by accountId), the same caller's session
    // carries their entity.
    let scoped = p.sessions().create(&alice, &app()).await.unwrap();
    assert_eq!(scoped.entity_id.as_str(), "acme");
}

#[tokio::test]
async fn an_admin_change_applies_here_at_once_and_elsewhere_within_the_ttl() {
    let p = Platform::with_site(SiteConfig::default());
    p.seed_app(
        fixtures::chat_app(APP, AGENT),
        fixtures::agent(AGENT, &[]),
        vec![],
    )
    .await;
    // Another process over the same store, with its own cache.
    let other = SessionService::new(
        p.ports.clone(),
        Arc::new(ConfigCache::new(p.ports.clone(), p.settings.config_ttl)),
    );
    let alice = fixtures::customer("alice");
    assert_eq!(
        other
            .create(&alice, &app())
            .await
            .unwrap()
            .entity_id
            .as_str(),
        EntityId::GLOBAL,
        "the other process caches the site without entities"
    );

    let admin = fixtures::site_admin("root");
    let read = p.admin().get_site(&admin).await.unwrap();
    let changed = p
        .admin()
        .put_site(&admin, fixtures::site(), read.version)
        .await
        .unwrap();
    assert_eq!(changed.version, read.version + 1);
    assert_eq!(changed.created_at, read.created_at);
    assert_eq!(changed.updated_by, Some(admin.user_id.clone()));

    assert_eq!(
        p.sessions()
            .create(&alice, &app())
            .await
            .unwrap()
            .entity_id
            .as_str(),
        "acme",
        "this process forgot its cached site"
    );
    assert_eq!(
        other
            .create(&alice, &app())
            .await
            .unwrap()
            .entity_id
            .as_str(),
        EntityId::GLOBAL,
        "the other process still has its cached copy"
    );
    p.fakes
        .clock
        .advance(Duration::from_std(p.settings.config_ttl).unwrap() + Duration::seconds(1));
    assert_eq!(
        other
            .create(&alice, &app())
            .await
            .unwrap()
            .entity_id
            .as_str(),
        "acme",
        "past the TTL the other process reads the stored site"
    );
}

#[tokio::test]
async fn changes_need_a_site_admin_the_current_version_and_a_valid_site() {
    let p = Platform::with_site(SiteConfig::default());
    let admin = fixtures::site_admin("root");
    let not_admin = fixtures::content_admin("carla");

    assert!(matches!(
        p.admin().get_site(&not_admin).await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        p.admin().put_site(&not_admin, fixtures::site(), 1).await,
        Err(ServiceError::Forbidden(_))
    ));

    p.admin()
        .put_site(&admin, fixtures::site(), 1)
        .await
        .unwrap();
    assert!(
        matches!(
            p.admin().put_site(&admin, SiteConfig::default(), 1).await,
            Err(ServiceError::Conflict(_))
        ),
        "a change from a version read before the last change"
    );
    assert!(
        matches!(
            p.admin().put_site(&admin, SiteConfig::default(), 0).await,
            Err(ServiceError::Conflict(_))
        ),
        "version 0 means: none stored yet"
    );

    let mut invalid = fixtures::site();
    if let Some(entity) = invalid.features.entity.as_mut() {
        entity.attribute_path = None;
    }
    assert!(matches!(
        p.admin().put_site(&admin, invalid, 2).await,
        Err(ServiceError::Invalid(_))
    ));
    assert_eq!(p.fakes.site.current().unwrap().config, fixtures::site());
}

#[tokio::test]
async fn the_first_site_can_be_stored_through_the_admin_api() {
    let fakes = FakePorts::new();
    let ports = fakes.ports();
    let config = Arc::new(ConfigCache::new(
        ports.clone(),
        std::time::Duration::from_secs(60),
    ));
    let admin = pika_service::AdminService::new(ports, config);
    let root = fixtures::site_admin("root");
    assert!(matches!(
        admin.get_site(&root).await,
        Err(ServiceError::NotFound(_))
    ));
    let stored = admin.put_site(&root, fixtures::site(), 0).await.unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(admin.get_site(&root).await.unwrap(), stored);
}

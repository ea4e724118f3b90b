//! The service retries transient port failures (and only those), checked
//! with the mockall mocks of `pika-ports` (feature `mock`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use pika_ports::messages::MockMessageStore;
use pika_ports::{ErrorKind, PortError};
use pika_service::{ConfigCache, SessionService};
use pika_testkit::{fixtures, FakePorts};
use std::sync::Arc;

fn service_with(messages: MockMessageStore) -> (FakePorts, SessionService) {
    let fakes = FakePorts::new();
    let mut ports = fakes.ports();
    ports.messages = Arc::new(messages);
    let settings = pika_service::ServiceSettings::default();
    let config = Arc::new(ConfigCache::new(ports.clone(), settings.config_ttl));
    (fakes, SessionService::new(ports, config))
}

async fn owned_session(fakes: &FakePorts) -> pika_domain::session::Session {
    use pika_ports::SessionStore;
    let session = fixtures::session(fakes.ids.as_ref(), "alice", "support", "acme");
    fakes.sessions.create(&session).await.unwrap();
    session
}

#[tokio::test(start_paused = true)]
async fn transient_failures_are_retried_until_they_pass() {
    let mut messages = MockMessageStore::new();
    let mut seq = mockall::Sequence::new();
    messages
        .expect_delete_session()
        .times(2)
        .in_sequence(&mut seq)
        .returning(|_| Err(PortError::transient("throttled")));
    messages
        .expect_delete_session()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    let (fakes, sessions) = service_with(messages);
    let session = owned_session(&fakes).await;

    sessions
        .delete(&fixtures::customer("alice"), &session.session_id)
        .await
        .unwrap();

    assert!(
        fakes.sessions.find(&session.session_id).is_none(),
        "deleted after the retries"
    );
}

#[tokio::test(start_paused = true)]
async fn persistent_throttling_gives_up_after_three_tries_and_keeps_the_session() {
    let mut messages = MockMessageStore::new();
    messages
        .expect_delete_session()
        .times(3)
        .returning(|_| Err(PortError::transient("throttled")));
    let (fakes, sessions) = service_with(messages);
    let session = owned_session(&fakes).await;

    let err = sessions
        .delete(&fixtures::customer("alice"), &session.session_id)
        .await
        .unwrap_err();

    assert_eq!(err.code(), "internal");
    assert!(err.is_retryable(), "the caller is told a retry may help");
    assert!(
        fakes.sessions.find(&session.session_id).is_some(),
        "nothing half-deleted: the session stays for a retry"
    );
}

#[tokio::test]
async fn permanent_failures_are_not_retried() {
    let mut messages = MockMessageStore::new();
    messages
        .expect_delete_session()
        .times(1)
        .returning(|_| Err(PortError::new(ErrorKind::Permanent, "access denied")));
    let (fakes, sessions) = service_with(messages);
    let session = owned_session(&fakes).await;

    let err = sessions
        .delete(&fixtures::customer("alice"), &session.session_id)
        .await
        .unwrap_err();

    assert_eq!(err.code(), "internal");
    assert!(!err.is_retryable());
}

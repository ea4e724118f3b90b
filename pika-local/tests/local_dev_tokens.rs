#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Development tokens on the local server: off unless asked for, refused
//! at start beyond loopback or beside an identity provider, and never
//! accepted once one is configured.

mod local_support;

use local_support::*;
use pika_local::server;
use serde_json::json;
use std::path::PathBuf;

fn jwks_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../pika-http/tests/keys/jwks_single_rsa.json")
}

#[tokio::test]
async fn dev_tokens_are_off_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), None);
    config.auth.dev_tokens = false;
    let server = LocalServer::start(config).await;
    let reply = exchange(
        client()
            .post(server.url("/dev/token"))
            .json(&json!({ "userId": "alice" })),
    )
    .await;
    assert_eq!(reply.status, 404, "{}", reply.body);
    server.stop().await;
}

#[tokio::test]
async fn asked_for_beyond_loopback_or_beside_an_identity_provider_the_server_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut open = config(dir.path(), None);
    open.server.bind = "0.0.0.0:0".to_string();
    let Err(err) = server::build(&open).await else {
        panic!("started beyond loopback")
    };
    assert!(err.contains("loopback"), "{err}");

    let mut beside = config(dir.path(), None);
    beside.auth.jwks_file = Some(jwks_file());
    let Err(err) = server::build(&beside).await else {
        panic!("started beside an identity provider")
    };
    assert!(err.contains("identity provider"), "{err}");
}

#[tokio::test]
async fn beside_an_identity_provider_no_development_token_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    // A token signed with the generated secret, before the provider came.
    let before = config(dir.path(), None);
    let token = server::dev_token(&before, pika_http::auth::DevClaims::new("alice"))
        .await
        .unwrap();

    let mut config = config(dir.path(), None);
    config.auth.dev_tokens = false;
    config.auth.jwks_file = Some(jwks_file());
    let err = server::dev_token(&config, pika_http::auth::DevClaims::new("alice"))
        .await
        .expect_err("no development token beside a provider");
    assert!(err.contains("identity provider"), "{err}");
    let server = LocalServer::start(config).await;
    let reply = exchange(client().get(server.url("/chatapps")).bearer_auth(&token)).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    server.stop().await;
}

//! A JWKS URL kept fresh: a rotated-in key is fetched on its first token, a
//! flood of unknown `kid`s costs one fetch per interval, a failing provider
//! leaves the keys held in use, a failure at start-up is no failed start;
//! and `token_use` is checked when configured.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod jwt_support;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use jwt_support::*;
use pika_http::auth::{AuthConfig, Authenticator, JwksRefresh, JwksSource};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A provider's JWKS endpoint: serves `document` (or 500 when `None`) and
/// counts the fetches.
#[derive(Clone, Default)]
struct Provider {
    document: Arc<Mutex<Option<String>>>,
    fetches: Arc<AtomicUsize>,
}

impl Provider {
    async fn start(document: Option<&str>) -> (Self, String) {
        let provider = Self::default();
        provider.serve(document);
        let app = Router::new()
            .route("/.well-known/jwks.json", get(jwks))
            .with_state(provider.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/.well-known/jwks.json",
            listener.local_addr().unwrap()
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (provider, url)
    }

    fn serve(&self, document: Option<&str>) {
        *self.document.lock().unwrap() = document.map(str::to_string);
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

async fn jwks(State(p): State<Provider>) -> impl IntoResponse {
    p.fetches.fetch_add(1, Ordering::SeqCst);
    match p.document.lock().unwrap().clone() {
        Some(doc) => (StatusCode::OK, doc),
        None => (StatusCode::INTERNAL_SERVER_ERROR, "{}".to_string()),
    }
}

/// The RSA key alone, without a `kid`.
fn rsa_only() -> String {
    String::from_utf8(key_file("jwks_single_rsa.json")).unwrap()
}

fn rsa_and_ec() -> String {
    String::from_utf8(key_file("jwks.json")).unwrap()
}

/// RS256/ES256 from `url` only, with `refresh`.
fn by_url(url: String, refresh: JwksRefresh) -> AuthConfig {
    let mut config = config();
    config.hs256_secret = None;
    config.jwks = Some(JwksSource::Url(url));
    config.jwks_refresh = refresh;
    config
}

fn quick() -> JwksRefresh {
    JwksRefresh {
        min_interval: Duration::from_millis(300),
        after_error: Duration::from_millis(100),
        max_age: Duration::from_secs(3600),
    }
}

#[tokio::test]
async fn a_key_rotated_in_is_fetched_on_its_first_token() {
    let (provider, url) = Provider::start(Some(&rsa_only())).await;
    let auth = Authenticator::new(by_url(url, quick())).await.unwrap();
    let rotated = es256(Some("ec-1"), &claims());
    // Not yet published: refused, after one fetch more at most.
    assert_invalid(auth_token(&auth, &rotated).await, &rotated);
    provider.serve(Some(&rsa_and_ec()));
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_is_u1(&auth_token(&auth, &rotated).await.unwrap());
    // Keys already held need no fetch.
    let before = provider.fetches();
    assert_is_u1(
        &auth_token(&auth, &rs256(Some("rsa-1"), &claims()))
            .await
            .unwrap(),
    );
    assert_is_u1(&auth_token(&auth, &rotated).await.unwrap());
    assert_eq!(provider.fetches(), before);
}

#[tokio::test]
async fn unknown_kids_fetch_at_most_once_per_interval() {
    let (provider, url) = Provider::start(Some(&rsa_only())).await;
    let refresh = JwksRefresh {
        min_interval: Duration::from_secs(60),
        ..quick()
    };
    let auth = Authenticator::new(by_url(url, refresh)).await.unwrap();
    assert_eq!(provider.fetches(), 1, "the fetch at start");
    let made_up: Vec<String> = (0..50)
        .map(|i| rs256(Some(&format!("kid-{i}")), &claims()))
        .collect();
    let results = futures::future::join_all(made_up.iter().map(|t| auth_token(&auth, t))).await;
    for (result, token) in results.into_iter().zip(&made_up) {
        assert_invalid(result, token);
    }
    assert_eq!(
        provider.fetches(),
        1,
        "within a minute of the last fetch: none"
    );
}

#[tokio::test]
async fn a_failing_provider_leaves_the_keys_held_in_use() {
    let (provider, url) = Provider::start(Some(&rsa_and_ec())).await;
    let refresh = JwksRefresh {
        max_age: Duration::from_millis(50),
        ..quick()
    };
    let auth = Authenticator::new(by_url(url, refresh)).await.unwrap();
    provider.serve(None);
    tokio::time::sleep(Duration::from_millis(400)).await;
    // The set is old, the fetch fails: the keys held still verify.
    assert_is_u1(
        &auth_token(&auth, &rs256(Some("rsa-1"), &claims()))
            .await
            .unwrap(),
    );
    assert!(provider.fetches() >= 2, "it did try again");
}

#[tokio::test]
async fn a_provider_down_at_start_is_no_failed_start() {
    let (provider, url) = Provider::start(None).await;
    let auth = Authenticator::new(by_url(url, quick())).await.unwrap();
    let token = rs256(Some("rsa-1"), &claims());
    assert_invalid(auth_token(&auth, &token).await, &token);
    provider.serve(Some(&rsa_and_ec()));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_is_u1(&auth_token(&auth, &token).await.unwrap());
}

#[tokio::test]
async fn token_use_is_checked_when_configured() {
    let mut config = config();
    config.token_use = Some("id".to_string());
    let auth = Authenticator::new(config).await.unwrap();
    let id = rs256(Some("rsa-1"), &with(claims(), "token_use", json!("id")));
    assert_is_u1(&auth_token(&auth, &id).await.unwrap());
    for other in [
        rs256(Some("rsa-1"), &with(claims(), "token_use", json!("access"))),
        rs256(Some("rsa-1"), &claims()),
        rs256(Some("rsa-1"), &with(claims(), "token_use", json!(["id"]))),
    ] {
        assert_invalid(auth_token(&auth, &other).await, &other);
    }
}

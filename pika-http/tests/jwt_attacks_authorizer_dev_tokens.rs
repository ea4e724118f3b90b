//! The authorizer context mode and dev tokens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod jwt_support;

use http::request::Parts;
use jwt_support::*;
use pika_http::auth::{
    AuthConfig, AuthError, AuthMode, Authenticator, AuthorizerClaims, DevClaims,
};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};

// ------------------------------------------------- authorizer context mode

fn authorizer_request(headers: &[(&str, &str)], claims: Option<Value>) -> Parts {
    let mut request = parts(headers);
    if let Some(Value::Object(map)) = claims {
        request.extensions.insert(AuthorizerClaims(map));
    }
    request
}

#[tokio::test]
async fn authorizer_mode_uses_the_extension_and_ignores_headers() {
    let auth = Authenticator::new(AuthConfig::new(AuthMode::AuthorizerContext))
        .await
        .unwrap();
    // A valid-looking token for someone else is in the header; the extension wins.
    let other = hs256(&with(claims(), "sub", json!("intruder")));
    let request = authorizer_request(
        &[("authorization", &format!("Bearer {other}"))],
        Some(json!({
            "sub": "u-1",
            "userType": "internal-user",
            "roles": "pika:site-admin,reader",
            "customData": "{\"accountId\":\"a-17\"}",
            "firstName": "Ada",
            "lastName": "Lovelace",
        })),
    );
    assert_is_u1(&auth.authenticate(&request).await.unwrap());

    // No extension: missing, whatever the headers say.
    let request = authorizer_request(&[("authorization", &format!("Bearer {other}"))], None);
    assert_eq!(
        auth.authenticate(&request).await.unwrap_err(),
        AuthError::Missing
    );
}

#[tokio::test]
async fn authorizer_mode_reads_api_gateway_string_forms() {
    let auth = Authenticator::new(AuthConfig::new(AuthMode::AuthorizerContext))
        .await
        .unwrap();
    for roles in [
        json!("[pika:site-admin reader]"),
        json!("[\"pika:site-admin\",\"reader\"]"),
        json!(["pika:site-admin", "reader"]),
    ] {
        let request = authorizer_request(
            &[],
            Some(json!({
                "sub": "u-1", "userType": "internal-user", "roles": roles,
                "customData": {"accountId": "a-17"}, "firstName": "Ada", "lastName": "Lovelace",
            })),
        );
        assert_is_u1(&auth.authenticate(&request).await.unwrap());
    }
    let request = authorizer_request(&[], Some(json!({"userType": "internal-user"})));
    assert!(matches!(
        auth.authenticate(&request).await,
        Err(AuthError::Invalid(_))
    ));
}

// ------------------------------------------------------------- dev tokens

fn dev_claims() -> DevClaims {
    let mut claims = DevClaims::new("u-1");
    claims.user_type = Some("internal-user".to_string());
    claims.roles = vec!["pika:site-admin".to_string(), "reader".to_string()];
    claims.custom_data = json!({"accountId": "a-17"}).as_object().cloned().unwrap();
    claims.first_name = Some("Ada".to_string());
    claims.last_name = Some("Lovelace".to_string());
    claims
}

#[tokio::test]
async fn dev_tokens_round_trip() {
    let auth = authenticator().await;
    let token = auth
        .issue_dev_token(dev_claims(), Duration::from_secs(3600), SystemTime::now())
        .unwrap();
    assert_is_u1(&auth_token(&auth, &token).await.unwrap());

    // With custom claim names too.
    let mut custom = config();
    custom.claims.user_id = "username".to_string();
    custom.claims.roles = "groups".to_string();
    let auth = Authenticator::new(custom).await.unwrap();
    let token = auth
        .issue_dev_token(dev_claims(), Duration::from_secs(3600), SystemTime::now())
        .unwrap();
    assert_is_u1(&auth_token(&auth, &token).await.unwrap());
}

#[tokio::test]
async fn dev_tokens_expire() {
    let auth = authenticator().await;
    let issued = SystemTime::now() - Duration::from_secs(7200);
    let token = auth
        .issue_dev_token(dev_claims(), Duration::from_secs(60), issued)
        .unwrap();
    assert_eq!(
        refused(auth_token(&auth, &token).await, &token),
        AuthError::Expired
    );
}

#[tokio::test]
async fn dev_tokens_need_a_secret_and_a_valid_user() {
    let mut jwks_only = config();
    jwks_only.hs256_secret = None;
    let auth = Authenticator::new(jwks_only).await.unwrap();
    let error = auth
        .issue_dev_token(dev_claims(), Duration::from_secs(60), SystemTime::now())
        .unwrap_err();
    assert!(matches!(error, AuthError::NotConfigured(_)), "{error:?}");
    assert!(!error.is_unauthenticated());

    let auth = authenticator().await;
    let error = auth
        .issue_dev_token(
            DevClaims::new("bad id"),
            Duration::from_secs(60),
            SystemTime::now(),
        )
        .unwrap_err();
    assert!(matches!(error, AuthError::Invalid(_)), "{error:?}");
}

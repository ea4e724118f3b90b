//! The ways a good token may look: each is accepted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod jwt_support;

use jwt_support::*;
use pika_domain::user::UserType;
use pika_http::auth::{Authenticator, ClaimNames, JwksSource};
use serde_json::json;

// ---------------------------------------------------------------- success

#[tokio::test]
async fn hs256_is_accepted_with_the_secret() {
    let auth = authenticator().await;
    let user = auth_token(&auth, &hs256(&claims())).await.unwrap();
    assert_is_u1(&user);
}

#[tokio::test]
async fn rs256_is_accepted_via_a_jwks_file() {
    let auth = authenticator().await;
    let user = auth_token(&auth, &rs256(Some("rsa-1"), &claims()))
        .await
        .unwrap();
    assert_is_u1(&user);
}

#[tokio::test]
async fn rs256_is_accepted_via_an_inline_jwks() {
    let mut inline = config();
    inline.hs256_secret = None;
    let text = String::from_utf8(key_file("jwks.json")).unwrap();
    inline.jwks = Some(JwksSource::Inline(text));
    let auth = Authenticator::new(inline).await.unwrap();
    let user = auth_token(&auth, &rs256(Some("rsa-1"), &claims()))
        .await
        .unwrap();
    assert_is_u1(&user);
}

#[tokio::test]
async fn a_single_key_jwks_serves_tokens_without_kid() {
    let mut single = config();
    single.jwks = Some(JwksSource::File(key_path("jwks_single_rsa.json")));
    let auth = Authenticator::new(single).await.unwrap();
    assert_is_u1(&auth_token(&auth, &rs256(None, &claims())).await.unwrap());
    // The single key is RSA: ES256 still fails.
    let token = es256(None, &claims());
    assert_invalid(auth_token(&auth, &token).await, &token);
}

#[tokio::test]
async fn es256_is_accepted() {
    let auth = authenticator().await;
    let user = auth_token(&auth, &es256(Some("ec-1"), &claims()))
        .await
        .unwrap();
    assert_is_u1(&user);
}

#[tokio::test]
async fn custom_claim_names_are_read() {
    let mut custom = config();
    custom.claims = ClaimNames {
        user_id: "username".to_string(),
        user_type: "custom:userType".to_string(),
        roles: "https://pika.example/roles".to_string(),
        custom_data: "custom:data".to_string(),
        first_name: "given_name".to_string(),
        last_name: "family_name".to_string(),
    };
    let auth = Authenticator::new(custom).await.unwrap();
    let token_claims = json!({
        "username": "u-1",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": now() + 600,
        "custom:userType": "internal-user",
        "https://pika.example/roles": ["pika:site-admin", "reader"],
        "custom:data": {"accountId": "a-17"},
        "given_name": "Ada",
        "family_name": "Lovelace",
        // The default names are ignored once others are configured.
        "roles": ["ignored"],
        "userType": "external-user",
    })
    .as_object()
    .cloned()
    .unwrap();
    let user = auth_token(&auth, &hs256(&token_claims)).await.unwrap();
    assert_is_u1(&user);
}

#[tokio::test]
async fn roles_may_be_a_string_and_custom_data_json_text() {
    let auth = authenticator().await;
    let token = hs256(&with(
        with(claims(), "roles", json!("pika:site-admin, reader")),
        "customData",
        json!("{\"accountId\":\"a-17\"}"),
    ));
    assert_is_u1(&auth_token(&auth, &token).await.unwrap());
    let token = hs256(&with(claims(), "roles", json!("pika:site-admin reader")));
    assert_is_u1(&auth_token(&auth, &token).await.unwrap());
}

#[tokio::test]
async fn a_missing_user_type_means_external() {
    let auth = authenticator().await;
    let token = hs256(&without(claims(), "userType"));
    let user = auth_token(&auth, &token).await.unwrap();
    assert_eq!(user.user_type, UserType::ExternalUser);
}

#[tokio::test]
async fn the_x_chat_auth_header_carries_a_token_too() {
    let auth = authenticator().await;
    let token = hs256(&claims());
    let request = parts(&[
        ("x-chat-auth", &format!("Bearer {token}")),
        ("authorization", "AWS4-HMAC-SHA256 Credential=..."),
    ]);
    assert_is_u1(&auth.authenticate(&request).await.unwrap());
}

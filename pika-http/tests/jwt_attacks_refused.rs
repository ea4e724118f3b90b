//! The authenticator against forged, broken and hostile tokens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod jwt_support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use jwt_support::*;
use pika_http::auth::{AuthError, Authenticator};
use serde_json::{json, Value};

// ---------------------------------------------------------------- attacks

#[tokio::test]
async fn no_token_is_missing() {
    let auth = authenticator().await;
    let error = auth.authenticate(&parts(&[])).await.unwrap_err();
    assert_eq!(error, AuthError::Missing);
}

#[tokio::test]
async fn malformed_tokens_are_malformed() {
    let auth = authenticator().await;
    for token in [
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!.e30.sig",
        "e30.e30.sig",
        "bnVsbA.e30.sig",
    ] {
        assert_malformed(auth_token(&auth, token).await, token);
    }
    // A good header over a payload that is not a JSON object, or a
    // signature that is not base64url.
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let good = hs256(&claims());
    let signature = good.rsplit('.').next().unwrap();
    for token in [
        format!("{header}.!!!.{signature}"),
        format!("{header}.{}.{signature}", URL_SAFE_NO_PAD.encode("[1,2]")),
        format!("{header}.e30.not*base64"),
    ] {
        assert_malformed(auth_token(&auth, &token).await, &token);
    }
    let not_bearer = parts(&[("authorization", "Basic dXNlcjpwYXNz")]);
    assert!(matches!(
        auth.authenticate(&not_bearer).await,
        Err(AuthError::Malformed(_))
    ));
}

#[tokio::test]
async fn alg_none_is_refused() {
    let auth = authenticator().await;
    for alg in ["none", "None", "NONE"] {
        let token = raw_token(&json!({"alg": alg, "typ": "JWT"}), &claims(), "");
        assert_invalid(auth_token(&auth, &token).await, &token);
    }
}

#[tokio::test]
async fn algorithms_outside_the_allowed_three_are_refused() {
    let auth = authenticator().await;
    let token = sign(
        Algorithm::HS512,
        None,
        &claims(),
        &EncodingKey::from_secret(SECRET),
    );
    assert_invalid(auth_token(&auth, &token).await, &token);
    let rsa = EncodingKey::from_rsa_pem(&key_file("rsa_private.pem")).unwrap();
    for alg in [Algorithm::RS384, Algorithm::PS256] {
        let token = sign(alg, Some("rsa-1"), &claims(), &rsa);
        assert_invalid(auth_token(&auth, &token).await, &token);
    }
}

#[tokio::test]
async fn hs256_signed_with_the_rsa_public_key_is_refused() {
    // The classic algorithm confusion: the attacker knows the public key and
    // uses it as an HMAC secret, hoping the verifier does the same.
    let public_pem = key_file("rsa_public.pem");
    let forged_key = EncodingKey::from_secret(&public_pem);
    let token = sign(Algorithm::HS256, Some("rsa-1"), &claims(), &forged_key);

    // With a different secret configured: HS256 is checked with that secret.
    let auth = authenticator().await;
    assert_invalid(auth_token(&auth, &token).await, &token);

    // With only the JWKS configured: HS256 is not accepted at all.
    let mut jwks_only = config();
    jwks_only.hs256_secret = None;
    let auth = Authenticator::new(jwks_only).await.unwrap();
    assert_invalid(auth_token(&auth, &token).await, &token);
    // … and the same holds without a kid.
    let token = sign(Algorithm::HS256, None, &claims(), &forged_key);
    assert_invalid(auth_token(&auth, &token).await, &token);
}

#[tokio::test]
async fn expired_tokens_are_expired() {
    let auth = authenticator().await;
    let token = hs256(&with(claims(), "exp", json!(now() - 3600)));
    assert_eq!(
        refused(auth_token(&auth, &token).await, &token),
        AuthError::Expired
    );
    let token = rs256(Some("rsa-1"), &with(claims(), "exp", json!(now() - 3600)));
    assert_eq!(
        refused(auth_token(&auth, &token).await, &token),
        AuthError::Expired
    );
}

#[tokio::test]
async fn leeway_covers_small_clock_skew() {
    let auth = authenticator().await;
    let token = hs256(&with(claims(), "exp", json!(now() - 10)));
    assert_is_u1(&auth_token(&auth, &token).await.unwrap());
    let token = hs256(&with(claims(), "nbf", json!(now() + 10)));
    assert_is_u1(&auth_token(&auth, &token).await.unwrap());
}

#[tokio::test]
async fn tokens_not_yet_valid_are_not_yet_valid() {
    let auth = authenticator().await;
    let token = hs256(&with(claims(), "nbf", json!(now() + 3600)));
    assert_eq!(
        refused(auth_token(&auth, &token).await, &token),
        AuthError::NotYetValid
    );
}

#[tokio::test]
async fn missing_or_malformed_exp_is_invalid() {
    let auth = authenticator().await;
    let token = hs256(&without(claims(), "exp"));
    assert_invalid(auth_token(&auth, &token).await, &token);
    let token = hs256(&with(claims(), "exp", json!("tomorrow")));
    assert_invalid(auth_token(&auth, &token).await, &token);

    let mut lenient = config();
    lenient.require_exp = false;
    let auth = Authenticator::new(lenient).await.unwrap();
    let token = hs256(&without(claims(), "exp"));
    assert_is_u1(&auth_token(&auth, &token).await.unwrap());
    let token = hs256(&with(claims(), "exp", json!("tomorrow")));
    assert_invalid(auth_token(&auth, &token).await, &token);
}

#[tokio::test]
async fn wrong_or_missing_issuer_is_invalid() {
    let auth = authenticator().await;
    let token = hs256(&with(claims(), "iss", json!("https://evil.test")));
    assert_invalid(auth_token(&auth, &token).await, &token);
    let token = hs256(&without(claims(), "iss"));
    assert_invalid(auth_token(&auth, &token).await, &token);
}

#[tokio::test]
async fn wrong_or_missing_audience_is_invalid() {
    let auth = authenticator().await;
    let token = hs256(&with(claims(), "aud", json!("another-api")));
    assert_invalid(auth_token(&auth, &token).await, &token);
    let token = hs256(&without(claims(), "aud"));
    assert_invalid(auth_token(&auth, &token).await, &token);
    // An audience list that contains ours is fine.
    let token = hs256(&with(claims(), "aud", json!(["another-api", AUDIENCE])));
    assert_is_u1(&auth_token(&auth, &token).await.unwrap());
}

#[tokio::test]
async fn a_signature_from_another_payload_is_invalid() {
    let auth = authenticator().await;
    let honest = claims();
    let elevated = with(
        claims(),
        "roles",
        json!(["pika:site-admin", "pika:content-admin"]),
    );
    for (good, other) in [
        (hs256(&honest), hs256(&elevated)),
        (
            rs256(Some("rsa-1"), &honest),
            rs256(Some("rsa-1"), &elevated),
        ),
        (es256(Some("ec-1"), &honest), es256(Some("ec-1"), &elevated)),
    ] {
        let good_parts: Vec<&str> = good.split('.').collect();
        let other_parts: Vec<&str> = other.split('.').collect();
        let tampered = format!("{}.{}.{}", good_parts[0], other_parts[1], good_parts[2]);
        assert_invalid(auth_token(&auth, &tampered).await, &tampered);
    }
}

#[tokio::test]
async fn a_token_signed_by_a_key_outside_the_jwks_is_invalid() {
    let auth = authenticator().await;
    let other = EncodingKey::from_rsa_pem(&key_file("rsa_other_private.pem")).unwrap();
    let token = sign(Algorithm::RS256, Some("rsa-1"), &claims(), &other);
    assert_invalid(auth_token(&auth, &token).await, &token);
}

#[tokio::test]
async fn an_unknown_kid_is_invalid() {
    let auth = authenticator().await;
    let token = rs256(Some("rsa-2"), &claims());
    assert_invalid(auth_token(&auth, &token).await, &token);
}

#[tokio::test]
async fn a_missing_kid_with_several_keys_is_invalid() {
    let auth = authenticator().await;
    let token = rs256(None, &claims());
    assert_invalid(auth_token(&auth, &token).await, &token);
}

#[tokio::test]
async fn a_key_of_the_wrong_type_for_the_alg_is_invalid() {
    let auth = authenticator().await;
    // ES256 naming the RSA key, RS256 naming the EC key.
    let token = es256(Some("rsa-1"), &claims());
    assert_invalid(auth_token(&auth, &token).await, &token);
    let token = rs256(Some("ec-1"), &claims());
    assert_invalid(auth_token(&auth, &token).await, &token);
}

#[tokio::test]
async fn algorithms_without_configured_keys_are_invalid() {
    let mut secret_only = config();
    secret_only.jwks = None;
    let auth = Authenticator::new(secret_only).await.unwrap();
    let token = rs256(Some("rsa-1"), &claims());
    assert_invalid(auth_token(&auth, &token).await, &token);
}

#[tokio::test]
async fn a_missing_user_id_is_invalid() {
    let auth = authenticator().await;
    let token = hs256(&without(claims(), "sub"));
    assert_invalid(auth_token(&auth, &token).await, &token);
    let token = hs256(&with(claims(), "sub", Value::Null));
    assert_invalid(auth_token(&auth, &token).await, &token);
}

#[tokio::test]
async fn an_invalid_user_id_is_invalid() {
    let auth = authenticator().await;
    for sub in [
        json!(""),
        json!("u 1"),
        json!("u/1"),
        json!("u#1"),
        json!({"id": 1}),
    ] {
        let token = hs256(&with(claims(), "sub", sub));
        assert_invalid(auth_token(&auth, &token).await, &token);
    }
    let token = hs256(&with(claims(), "sub", json!("u".repeat(257))));
    assert_invalid(auth_token(&auth, &token).await, &token);
}

#[tokio::test]
async fn unreadable_claims_are_invalid() {
    let auth = authenticator().await;
    for (claim, value) in [
        ("roles", json!([1, 2])),
        ("roles", json!({"admin": true})),
        ("customData", json!("not json")),
        ("customData", json!([1])),
        ("userType", json!(1)),
        ("firstName", json!(["Ada"])),
    ] {
        let token = hs256(&with(claims(), claim, value));
        assert_invalid(auth_token(&auth, &token).await, &token);
    }
}

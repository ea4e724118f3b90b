//! The authenticator against forged, broken and hostile tokens, and the ways
//! a good token may look.
//!
//! Keys are fixed, test-only PEM files under `tests/keys/` (generated with
//! `openssl genpkey`); `jwks.json` holds the public halves of `rsa_private.pem`
//! (kid `rsa-1`) and `ec_private.pem` (kid `ec-1`); `jwks_single_rsa.json`
//! holds the RSA key alone, without a kid.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::request::Parts;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use pika_domain::user::{User, UserType};
use pika_lambda_shell::auth::{
    AuthConfig, AuthError, AuthMode, AuthSetupError, Authenticator, AuthorizerClaims, ClaimNames,
    DevClaims, JwksSource,
};
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SECRET: &[u8] = b"a-test-only-hs256-secret-of-40-bytes-len";
const ISSUER: &str = "https://issuer.pika.test";
const AUDIENCE: &str = "pika-api";

// ---------------------------------------------------------------- fixtures

fn key_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name)
}

fn key_file(name: &str) -> Vec<u8> {
    std::fs::read(key_path(name)).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Good claims for user `u-1`; tests change what they attack.
fn claims() -> Map<String, Value> {
    json!({
        "sub": "u-1",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now(),
        "exp": now() + 600,
        "userType": "internal-user",
        "roles": ["pika:site-admin", "reader"],
        "customData": {"accountId": "a-17"},
        "firstName": "Ada",
        "lastName": "Lovelace",
    })
    .as_object()
    .cloned()
    .unwrap()
}

fn with(mut claims: Map<String, Value>, key: &str, value: Value) -> Map<String, Value> {
    claims.insert(key.to_string(), value);
    claims
}

fn without(mut claims: Map<String, Value>, key: &str) -> Map<String, Value> {
    claims.remove(key);
    claims
}

fn sign(
    alg: Algorithm,
    kid: Option<&str>,
    claims: &Map<String, Value>,
    key: &EncodingKey,
) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

fn hs256(claims: &Map<String, Value>) -> String {
    sign(
        Algorithm::HS256,
        None,
        claims,
        &EncodingKey::from_secret(SECRET),
    )
}

fn rs256(kid: Option<&str>, claims: &Map<String, Value>) -> String {
    let key = EncodingKey::from_rsa_pem(&key_file("rsa_private.pem")).unwrap();
    sign(Algorithm::RS256, kid, claims, &key)
}

fn es256(kid: Option<&str>, claims: &Map<String, Value>) -> String {
    let key = EncodingKey::from_ec_pem(&key_file("ec_private.pem")).unwrap();
    sign(Algorithm::ES256, kid, claims, &key)
}

/// A token with a hand-written header and no valid signature.
fn raw_token(header: &Value, claims: &Map<String, Value>, signature: &str) -> String {
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let p = URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string());
    format!("{h}.{p}.{signature}")
}

/// Jwt mode with the secret, the two-key JWKS file, issuer and audience.
fn config() -> AuthConfig {
    let mut config = AuthConfig::new(AuthMode::Jwt);
    config.hs256_secret = Some(SECRET.to_vec());
    config.jwks = Some(JwksSource::File(key_path("jwks.json")));
    config.issuer = Some(ISSUER.to_string());
    config.audience = Some(AUDIENCE.to_string());
    config
}

async fn authenticator() -> Authenticator {
    Authenticator::new(config()).await.unwrap()
}

fn parts(headers: &[(&str, &str)]) -> Parts {
    let mut builder = http::Request::builder().uri("/sessions");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap().into_parts().0
}

fn bearer(token: &str) -> Parts {
    parts(&[("authorization", &format!("Bearer {token}"))])
}

async fn auth_token(auth: &Authenticator, token: &str) -> Result<User, AuthError> {
    auth.authenticate(&bearer(token)).await
}

/// The error of a refused token, checking the client never sees the token.
fn refused(result: Result<User, AuthError>, token: &str) -> AuthError {
    let error = result.expect_err("the token must be refused");
    let public = error.public_message();
    assert!(!token.is_empty() && !public.contains(token));
    assert!(!public.contains("u-1") && !public.contains("a-17"));
    assert!(error.is_unauthenticated(), "{error:?}");
    error
}

fn assert_invalid(result: Result<User, AuthError>, token: &str) {
    let error = refused(result, token);
    assert!(matches!(error, AuthError::Invalid(_)), "{error:?}");
}

fn assert_malformed(result: Result<User, AuthError>, token: &str) {
    let error = refused(result, token);
    assert!(matches!(error, AuthError::Malformed(_)), "{error:?}");
}

fn assert_is_u1(user: &User) {
    assert_eq!(user.user_id.as_str(), "u-1");
    assert_eq!(user.user_type, UserType::InternalUser);
    assert_eq!(user.roles, vec!["pika:site-admin", "reader"]);
    assert_eq!(user.custom_data.get("accountId"), Some(&json!("a-17")));
    assert_eq!(user.first_name.as_deref(), Some("Ada"));
    assert_eq!(user.last_name.as_deref(), Some("Lovelace"));
}

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

// ------------------------------------------------------------------ setup

#[tokio::test]
async fn setup_refuses_what_cannot_work() {
    let mut none = config();
    none.hs256_secret = None;
    none.jwks = None;
    assert_eq!(
        Authenticator::new(none).await.unwrap_err(),
        AuthSetupError::NoKeys
    );

    let mut weak = config();
    weak.hs256_secret = Some(b"short".to_vec());
    assert_eq!(
        Authenticator::new(weak).await.unwrap_err(),
        AuthSetupError::WeakSecret { len: 5 }
    );

    let mut missing_file = config();
    missing_file.jwks = Some(JwksSource::File(key_path("no_such_jwks.json")));
    assert!(matches!(
        Authenticator::new(missing_file).await,
        Err(AuthSetupError::JwksRead { .. })
    ));

    let mut not_a_set = config();
    not_a_set.jwks = Some(JwksSource::Inline(r#"{"keys": []}"#.to_string()));
    assert!(matches!(
        Authenticator::new(not_a_set).await,
        Err(AuthSetupError::JwksInvalid(_))
    ));

    let mut duplicate = config();
    let jwks: Value = serde_json::from_slice(&key_file("jwks.json")).unwrap();
    let rsa = jwks["keys"][0].clone();
    duplicate.jwks = Some(JwksSource::Inline(json!({"keys": [rsa, rsa]}).to_string()));
    assert!(matches!(
        Authenticator::new(duplicate).await,
        Err(AuthSetupError::JwksInvalid(_))
    ));

    let mut skew = config();
    skew.leeway_seconds = 86_400;
    assert!(matches!(
        Authenticator::new(skew).await,
        Err(AuthSetupError::Config(_))
    ));
}

#[tokio::test]
async fn the_config_debug_output_hides_the_secret() {
    let shown = format!("{:?}", config());
    assert!(!shown.contains("a-test-only"), "{shown}");
    let shown = format!("{:?}", authenticator().await);
    assert!(!shown.contains("a-test-only"), "{shown}");
}

// ------------------------------------------------------------ JWKS by URL

/// Serves `body` with `status` to one HTTP request on a local port.
fn serve_once(status: &'static str, body: String) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buffer = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = stream.read(&mut buffer).unwrap();
            if read == 0 {
                break;
            }
            request.extend_from_slice(&buffer[..read]);
        }
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).unwrap();
    });
    format!("http://{address}/.well-known/jwks.json")
}

#[tokio::test]
async fn rs256_is_accepted_via_a_jwks_url() {
    let body = String::from_utf8(key_file("jwks.json")).unwrap();
    let mut by_url = config();
    by_url.jwks = Some(JwksSource::Url(serve_once("200 OK", body)));
    let auth = Authenticator::new(by_url).await.unwrap();
    assert_is_u1(
        &auth_token(&auth, &rs256(Some("rsa-1"), &claims()))
            .await
            .unwrap(),
    );
    assert_is_u1(
        &auth_token(&auth, &es256(Some("ec-1"), &claims()))
            .await
            .unwrap(),
    );
}

#[tokio::test]
async fn a_jwks_url_that_fails_stops_the_setup() {
    let mut failing = config();
    failing.jwks = Some(JwksSource::Url(serve_once(
        "500 Internal Server Error",
        "{}".to_string(),
    )));
    assert!(matches!(
        Authenticator::new(failing).await,
        Err(AuthSetupError::JwksFetch { .. })
    ));
}

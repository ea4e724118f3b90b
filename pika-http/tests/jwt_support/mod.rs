//! Shared by the `jwt_attacks_*` tests: keys, claims, signing and the
//! authenticator under test.
//!
//! Keys are fixed, test-only PEM files under `tests/keys/` (generated with
//! `openssl genpkey`); `jwks.json` holds the public halves of `rsa_private.pem`
//! (kid `rsa-1`) and `ec_private.pem` (kid `ec-1`); `jwks_single_rsa.json`
//! holds the RSA key alone, without a kid.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::request::Parts;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use pika_domain::user::{User, UserType};
use pika_http::auth::{AuthConfig, AuthError, AuthMode, Authenticator, JwksSource};
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

pub const SECRET: &[u8] = b"a-test-only-hs256-secret-of-40-bytes-len";
pub const ISSUER: &str = "https://issuer.pika.test";
pub const AUDIENCE: &str = "pika-api";

// ---------------------------------------------------------------- fixtures

pub fn key_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name)
}

pub fn key_file(name: &str) -> Vec<u8> {
    std::fs::read(key_path(name)).unwrap()
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Good claims for user `u-1`; tests change what they attack.
pub fn claims() -> Map<String, Value> {
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

pub fn with(mut claims: Map<String, Value>, key: &str, value: Value) -> Map<String, Value> {
    claims.insert(key.to_string(), value);
    claims
}

pub fn without(mut claims: Map<String, Value>, key: &str) -> Map<String, Value> {
    claims.remove(key);
    claims
}

pub fn sign(
    alg: Algorithm,
    kid: Option<&str>,
    claims: &Map<String, Value>,
    key: &EncodingKey,
) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

pub fn hs256(claims: &Map<String, Value>) -> String {
    sign(
        Algorithm::HS256,
        None,
        claims,
        &EncodingKey::from_secret(SECRET),
    )
}

pub fn rs256(kid: Option<&str>, claims: &Map<String, Value>) -> String {
    let key = EncodingKey::from_rsa_pem(&key_file("rsa_private.pem")).unwrap();
    sign(Algorithm::RS256, kid, claims, &key)
}

pub fn es256(kid: Option<&str>, claims: &Map<String, Value>) -> String {
    let key = EncodingKey::from_ec_pem(&key_file("ec_private.pem")).unwrap();
    sign(Algorithm::ES256, kid, claims, &key)
}

/// A token with a hand-written header and no valid signature.
pub fn raw_token(header: &Value, claims: &Map<String, Value>, signature: &str) -> String {
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let p = URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string());
    format!("{h}.{p}.{signature}")
}

/// Jwt mode with the secret, the two-key JWKS file, issuer and audience.
pub fn config() -> AuthConfig {
    let mut config = AuthConfig::new(AuthMode::Jwt);
    config.hs256_secret = Some(SECRET.to_vec());
    config.jwks = Some(JwksSource::File(key_path("jwks.json")));
    config.issuer = Some(ISSUER.to_string());
    config.audience = Some(AUDIENCE.to_string());
    config
}

pub async fn authenticator() -> Authenticator {
    Authenticator::new(config()).await.unwrap()
}

pub fn parts(headers: &[(&str, &str)]) -> Parts {
    let mut builder = http::Request::builder().uri("/sessions");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap().into_parts().0
}

pub fn bearer(token: &str) -> Parts {
    parts(&[("authorization", &format!("Bearer {token}"))])
}

pub async fn auth_token(auth: &Authenticator, token: &str) -> Result<User, AuthError> {
    auth.authenticate(&bearer(token)).await
}

/// The error of a refused token, checking the client never sees the token.
pub fn refused(result: Result<User, AuthError>, token: &str) -> AuthError {
    let error = result.expect_err("the token must be refused");
    let public = error.public_message();
    assert!(!token.is_empty() && !public.contains(token));
    assert!(!public.contains("u-1") && !public.contains("a-17"));
    assert!(error.is_unauthenticated(), "{error:?}");
    error
}

pub fn assert_invalid(result: Result<User, AuthError>, token: &str) {
    let error = refused(result, token);
    assert!(matches!(error, AuthError::Invalid(_)), "{error:?}");
}

pub fn assert_malformed(result: Result<User, AuthError>, token: &str) {
    let error = refused(result, token);
    assert!(matches!(error, AuthError::Malformed(_)), "{error:?}");
}

pub fn assert_is_u1(user: &User) {
    assert_eq!(user.user_id.as_str(), "u-1");
    assert_eq!(user.user_type, UserType::InternalUser);
    assert_eq!(user.roles, vec!["pika:site-admin", "reader"]);
    assert_eq!(user.custom_data.get("accountId"), Some(&json!("a-17")));
    assert_eq!(user.first_name.as_deref(), Some("Ada"));
    assert_eq!(user.last_name.as_deref(), Some("Lovelace"));
}

//! Authenticator setup: what cannot work is refused, secrets stay hidden,
//! and a JWKS may come from a URL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod jwt_support;

use jwt_support::*;
use pika_http::auth::{AuthSetupError, Authenticator, JwksSource};
use serde_json::{json, Value};

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

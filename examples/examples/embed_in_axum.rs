//! Pika's API mounted in a host's own axum app, behind the host's own
//! authentication: the host has its routes (`/hello`) and its sessions (here
//! an `x-host-session` header its login would have set); Pika serves under
//! `/pika`, asking the host who each caller is. Its OpenAPI document is
//! merged into the host's under the same prefix.
//!
//! The stores are `pika-testkit`'s in-memory fakes and the model answers
//! from a script, so it runs anywhere: a real service passes its own stores
//! and model to the same builder.
//!
//! `cargo run -p pika-examples --example embed_in_axum`

use async_trait::async_trait;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use http_body_util::BodyExt;
use pika_domain::user::User;
use pika_http::auth::{CallerAuth, CallerRefused};
use pika_http::{ApiConfig, AppState};
use pika_service::PlatformBuilder;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::{fixtures, FakePorts};
use std::collections::HashMap;
use std::sync::Arc;
use tower::ServiceExt;

/// The host's sessions: an opaque session id to the user it signed in.
struct HostSessions(HashMap<String, User>);

#[async_trait]
impl CallerAuth for HostSessions {
    async fn caller(&self, parts: &Parts) -> Result<User, CallerRefused> {
        let session = parts
            .headers
            .get("x-host-session")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| CallerRefused::Unauthenticated("sign in first".to_string()))?;
        self.0
            .get(session)
            .cloned()
            .ok_or_else(|| CallerRefused::Unauthenticated("your session has ended".to_string()))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Pika's platform: stores, a chat app, a model that answers from a script.
    let fakes = FakePorts::with_site(fixtures::site());
    fakes
        .seed_app(
            &fixtures::chat_app("support", "helper"),
            &fixtures::agent("helper", &[]),
            &[],
        )
        .await?;
    fakes
        .runtime
        .push(Script::answer("Hello from Pika, inside the host."));
    // A real service gives `Platform::builder()` its own stores and model,
    // port by port; here every port is a fake.
    let platform = PlatformBuilder::from_ports(fakes.ports()).build()?;

    // The host's authentication decides who calls Pika.
    let sessions = HostSessions(HashMap::from([(
        "s-alice".to_string(),
        fixtures::customer("alice"),
    )]));
    let state = AppState::hosted(platform, Arc::new(sessions), ApiConfig::default());

    // The host's app: its own route, Pika under /pika, one merged document.
    let mut document = serde_json::json!({ "openapi": "3.1.0", "paths": { "/hello": {} } });
    let pika_doc = pika_http::openapi::document_under("/pika");
    if let (Some(host), Some(pika)) = (
        document["paths"].as_object_mut(),
        pika_doc["paths"].as_object(),
    ) {
        host.extend(pika.clone());
    }
    document["components"] = pika_doc["components"].clone();
    let document = Arc::new(document);
    let app = Router::new()
        .route("/hello", get(|| async { "the host's own route" }))
        .route(
            "/openapi.json",
            get(move || {
                let document = Arc::clone(&document);
                async move { axum::Json(document.as_ref().clone()) }
            }),
        )
        .nest("/pika", pika_http::router(state));

    // Without the host's session: Pika answers 401 with the host's message.
    let refused = app
        .clone()
        .oneshot(Request::get("/pika/chatapps").body(Body::empty())?)
        .await?;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let body = refused.into_body().collect().await?.to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("sign in first"));

    // Signed in to the host: a turn streams back.
    let turn = app
        .clone()
        .oneshot(
            Request::post("/pika/chat/support/messages")
                .header("x-host-session", "s-alice")
                .header("content-type", "application/json")
                .body(Body::from(r#"{"message":"Hi"}"#))?,
        )
        .await?;
    assert_eq!(turn.status(), StatusCode::OK);
    let stream = String::from_utf8(turn.into_body().collect().await?.to_bytes().to_vec())?;
    // The answer arrives as `delta` events; joined, it is the model's text.
    let said: String = stream
        .split("\n\n")
        .filter(|event| event.contains("event: delta"))
        .filter_map(|event| event.lines().find_map(|l| l.strip_prefix("data: ")))
        .filter_map(|data| serde_json::from_str::<serde_json::Value>(data).ok())
        .filter_map(|data| data["text"].as_str().map(str::to_string))
        .collect();
    assert_eq!(said, "Hello from Pika, inside the host.", "{stream}");
    assert!(stream.contains("event: done"), "{stream}");
    println!("alice, signed in to the host, asked Pika and got: {said}");

    // The host's document names its own route and Pika's under /pika.
    let doc = app
        .oneshot(Request::get("/openapi.json").body(Body::empty())?)
        .await?;
    let doc: serde_json::Value =
        serde_json::from_slice(&doc.into_body().collect().await?.to_bytes())?;
    assert!(doc["paths"]["/hello"].is_object());
    assert!(doc["paths"]["/pika/chat/{chatAppId}/messages"]["post"].is_object());
    println!(
        "the merged document has {} paths",
        doc["paths"].as_object().map_or(0, |p| p.len())
    );
    Ok(())
}

//! The real router on in-memory fakes, called through tower's `oneshot`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use pika_domain::site::SiteConfig;
use pika_domain::user::User;
use pika_http::auth::{AuthConfig, AuthMode, Authenticator, DevClaims};
use pika_http::{router, ApiConfig, AppState};
use pika_service::ServiceSettings;
use pika_testkit::{fixtures, FakePorts};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tower::ServiceExt;

pub const SECRET: &[u8] = b"test-secret-that-is-long-enough-for-hs256!";
pub const APP: &str = "support";
pub const AGENT: &str = "agent";

pub struct Api {
    pub fakes: FakePorts,
    pub state: AppState,
    pub router: Router,
    pub auth: Arc<Authenticator>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The problem document's `code`, checking the content type.
    pub fn code(&self) -> String {
        assert_eq!(
            self.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "a problem document, got {} {}",
            self.status,
            self.text()
        );
        let p = self.json();
        assert_eq!(p["status"].as_u64(), Some(u64::from(self.status.as_u16())));
        assert!(p["type"].is_string() && p["title"].is_string() && p["detail"].is_string());
        p["code"].as_str().unwrap().to_string()
    }
}

pub fn auth_config() -> AuthConfig {
    let mut config = AuthConfig::new(AuthMode::Jwt);
    config.hs256_secret = Some(SECRET.to_vec());
    config.issuer = Some("pika-test".to_string());
    config.audience = Some("pika".to_string());
    config
}

impl Api {
    pub async fn new() -> Self {
        Self::with(fixtures::site(), ApiConfig::default()).await
    }

    pub async fn with(site: SiteConfig, api: ApiConfig) -> Self {
        let fakes = FakePorts::with_site(site);
        let auth = Arc::new(Authenticator::new(auth_config()).await.unwrap());
        let state = AppState::new(fakes.ports(), ServiceSettings::default(), auth.clone(), api);
        let router = router(state.clone());
        let api = Self {
            fakes,
            state,
            router,
            auth,
        };
        api.seed_app(
            fixtures::chat_app(APP, AGENT),
            fixtures::agent(AGENT, &[]),
            vec![],
        )
        .await;
        api
    }

    pub async fn seed_app(
        &self,
        app: pika_domain::chat_app::ChatApp,
        agent: pika_domain::agent::Agent,
        tools: Vec<pika_domain::tool::Tool>,
    ) {
        self.fakes.seed_app(&app, &agent, &tools).await.unwrap();
    }

    /// A valid token for `user`.
    pub fn token(&self, user: &User) -> String {
        let claims = DevClaims {
            user_id: user.user_id.to_string(),
            user_type: Some(user.user_type.as_str().to_string()),
            roles: user.roles.clone(),
            custom_data: user.custom_data.clone(),
            first_name: None,
            last_name: None,
        };
        self.auth
            .issue_dev_token(claims, Duration::from_secs(3600), SystemTime::now())
            .unwrap()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        // As an HTTP/1.1 client does; `POST /dev/token` wants a loopback Host.
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(serde_json::to_vec(&b).unwrap())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        self.send(req).await
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = tokio::time::timeout(Duration::from_secs(10), response.into_body().collect())
            .await
            .expect("the body ended within 10 s")
            .unwrap()
            .to_bytes()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, user: &User) -> Reply {
        self.call(Method::GET, path, Some(&self.token(user)), None)
            .await
    }

    pub async fn post(&self, path: &str, user: &User, body: Value) -> Reply {
        self.call(Method::POST, path, Some(&self.token(user)), Some(body))
            .await
    }

    /// Sends the first message of a new session in `support`; returns the
    /// session id and the SSE reply.
    pub async fn chat(&self, user: &User, text: &str) -> (String, Reply) {
        let reply = self
            .post(
                &format!("/chat/{APP}/messages"),
                user,
                serde_json::json!({ "message": text }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let session = reply.headers["x-chatbot-session-id"]
            .to_str()
            .unwrap()
            .to_string();
        (session, reply)
    }
}

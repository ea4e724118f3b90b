//! # pika-http
//!
//! The HTTP API of PIKA.md §11 as an axum [`Router`], built from the
//! services ([`router`]). The local server (`pika-local`) serves it on a
//! socket; the Lambda functions (`pika-lambda-shell`) hand the same router
//! to the Lambda runtime. Beside it: authentication ([`auth`]: JWTs, JWKS,
//! development tokens), the streaming encoders ([`streaming`]: SSE and Pika
//! text), problem documents ([`problem`]) and the OpenAPI document
//! ([`openapi`]).
//!
//! The router behind the host's own authentication, called in-process:
//!
//! ```
//! use async_trait::async_trait;
//! use axum::body::Body;
//! use axum::http::{request::Parts, Request, StatusCode};
//! use pika_domain::user::User;
//! use pika_http::auth::{CallerAuth, CallerRefused};
//! use pika_http::{ApiConfig, AppState};
//! use pika_service::PlatformBuilder;
//! use pika_testkit::{fixtures, FakePorts};
//! use std::sync::Arc;
//! use tower::ServiceExt;
//!
//! /// Everyone who sends `x-user` is that customer (a host's real check goes here).
//! struct HeaderAuth;
//!
//! #[async_trait]
//! impl CallerAuth for HeaderAuth {
//!     async fn caller(&self, parts: &Parts) -> Result<User, CallerRefused> {
//!         let name = parts.headers.get("x-user").and_then(|v| v.to_str().ok());
//!         name.map(fixtures::customer)
//!             .ok_or_else(|| CallerRefused::Unauthenticated("send x-user".to_string()))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let platform = PlatformBuilder::from_ports(FakePorts::new().ports()).build()?;
//! let state = AppState::hosted(platform, Arc::new(HeaderAuth), ApiConfig::default());
//! let app = pika_http::router(state);
//!
//! let anonymous = Request::get("/chatapps").body(Body::empty())?;
//! let refused = app.clone().oneshot(anonymous).await?;
//! assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
//! let signed_in = Request::get("/chatapps").header("x-user", "alice").body(Body::empty())?;
//! assert_eq!(app.oneshot(signed_in).await?.status(), StatusCode::OK);
//! # Ok(())
//! # }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod dev_tokens;
pub mod extract;
pub mod openapi;
pub mod problem;
mod rate_limit;
pub mod routes;
pub mod streaming;
pub mod wire;

use crate::auth::Authenticator;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use pika_service::{Platform, Ports, ServiceSettings};
use problem::ApiError;
pub use rate_limit::RateLimit;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Largest request body, in bytes. A body announced larger
    /// (`Content-Length`) is refused with 413 before a byte of it is read.
    pub body_limit_bytes: usize,
    /// Longest a request body may stall between two of its chunks (a
    /// client trickling its body holds a connection no longer); `None`
    /// leaves it to the front (API Gateway buffers bodies).
    pub body_read_timeout: Option<Duration>,
    /// Heartbeat period of streamed turns.
    pub heartbeat: Duration,
    /// Origins allowed by CORS; empty means no CORS headers. `*` allows any.
    pub cors_origins: Vec<String>,
    /// When set, `POST /dev/token` exists under this policy (the local
    /// server only, and only with the `dev-tokens` feature; see
    /// [`dev_tokens`]).
    pub dev_tokens: Option<dev_tokens::DevTokens>,
    /// Per-user rate limit (the local server; on Lambda API Gateway throttles).
    pub rate_limit: Option<RateLimit>,
    /// When set, turns are refused up front (503 `model_unavailable`) with
    /// this explanation: the local server without a configured model.
    pub turns_unavailable: Option<String>,
    /// When set, turns are refused here (421 `use_stream_endpoint`) and
    /// sent to this URL: API Gateway REST buffers responses and stops at
    /// 29 s, so on AWS turns stream from the `pika-stream` function.
    pub turns_endpoint: Option<String>,
    /// When set, search is refused (503 `search_unavailable`) with this
    /// explanation: a deployment without a search index.
    pub search_unavailable: Option<String>,
}

/// How long a turn may run, put on the request by the entry point that
/// knows (the Lambda stream function: its remaining time less a margin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnTimeLimit(pub std::time::Duration);

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            body_limit_bytes: 256 * 1024,
            body_read_timeout: Some(Duration::from_secs(30)),
            heartbeat: crate::streaming::HEARTBEAT,
            cors_origins: Vec::new(),
            dev_tokens: None,
            rate_limit: None,
            turns_unavailable: None,
            turns_endpoint: None,
            search_unavailable: None,
        }
    }
}

/// Everything the handlers use: the platform's services (through
/// `Deref`: `state.chat`, `state.sessions`, …), who the callers are, and
/// the HTTP settings.
#[derive(Clone)]
pub struct AppState {
    /// Every service, over the ports.
    pub platform: Platform,
    /// Pika's own authentication (it signs development tokens); `None`
    /// when a host authenticates ([`AppState::hosted`]).
    pub auth: Option<Arc<Authenticator>>,
    /// Who decides the caller of every protected route.
    pub callers: Arc<dyn auth::CallerAuth>,
    /// HTTP settings.
    pub api: Arc<ApiConfig>,
}

impl std::ops::Deref for AppState {
    type Target = Platform;

    fn deref(&self) -> &Platform {
        &self.platform
    }
}

impl AppState {
    /// Builds every service over `ports`.
    pub fn new(
        ports: Ports,
        settings: ServiceSettings,
        auth: Arc<Authenticator>,
        api: ApiConfig,
    ) -> Self {
        Self::from_platform(Platform::new(ports, settings), auth, api)
    }

    /// Serves the services of `platform` (composed with
    /// [`Platform::builder`]) behind Pika's own authentication.
    pub fn from_platform(platform: Platform, auth: Arc<Authenticator>, api: ApiConfig) -> Self {
        Self {
            platform,
            callers: auth.clone(),
            auth: Some(auth),
            api: Arc::new(api),
        }
    }

    /// Serves the services of `platform` behind a host's authentication:
    /// `callers` decides who calls every protected route (a service that
    /// mounts the API in its own axum app, with its own sessions or
    /// tokens). Development tokens do not exist here.
    pub fn hosted(platform: Platform, callers: Arc<dyn auth::CallerAuth>, api: ApiConfig) -> Self {
        Self {
            platform,
            auth: None,
            callers,
            api: Arc::new(ApiConfig {
                dev_tokens: None,
                ..api
            }),
        }
    }
}

/// The API router: every route of PIKA.md §11 with authentication, limits,
/// CORS, request ids and tracing.
pub fn router(state: AppState) -> Router {
    let (public, _) = routes::public_routes(state.api.dev_tokens.is_some()).split_for_parts();
    let limiter = state.api.rate_limit.map(|r| Arc::new(r.build()));
    let (protected, _) = routes::protected_routes().split_for_parts();
    let protected = protected
        .layer(middleware::from_fn_with_state(limiter, rate_limit::enforce))
        .layer(middleware::from_fn_with_state(state.clone(), authenticate));
    let request_id = HeaderName::from_static("x-request-id");
    let mut app = Router::new()
        .merge(public)
        .merge(protected)
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "invalid_request",
                "this method is not allowed on this route",
            )
        })
        .with_state(state.clone())
        .layer(DefaultBodyLimit::max(state.api.body_limit_bytes))
        .layer(middleware::from_fn_with_state(
            state.api.body_limit_bytes,
            announced_size,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong on our side",
            )
            .into_response()
        }))
        .layer(middleware::from_fn(problem::with_request_id))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    if let Some(timeout) = state.api.body_read_timeout {
        app = app.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(timeout));
    }
    if let Some(cors) = cors_layer(&state.api.cors_origins) {
        app = app.layer(cors);
    }
    app
}

/// Refuses a body announced larger than `limit` (413), before reading a
/// byte of it and before anything else runs.
async fn announced_size(State(limit): State<usize>, req: Request, next: Next) -> Response {
    let announced = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match announced {
        Some(n) if n > limit as u64 => ApiError::too_large(format!(
            "the body is {n} bytes; at most {limit} are accepted"
        ))
        .into_response(),
        _ => next.run(req).await,
    }
}

/// The CORS layer of `origins` (`None` when empty), for routes served next
/// to the API (the local server's signed file URLs) that browsers on the
/// same origins call.
pub fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                axum::http::header::AUTHORIZATION,
                axum::http::header::CONTENT_TYPE,
                axum::http::header::ACCEPT,
                HeaderName::from_static("last-event-id"),
                HeaderName::from_static("x-chat-auth"),
            ])
            .expose_headers([
                HeaderName::from_static("x-chatbot-session-id"),
                HeaderName::from_static("x-request-id"),
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// Verifies the caller and puts the `User` in the request's extensions.
async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match state.callers.caller(&parts).await {
        Ok(user) => {
            // First sight, or new claims: recorded before the request runs,
            // so a use case reading the users store finds the caller.
            state.users.remember(&user).await;
            let mut req = Request::from_parts(parts, body);
            req.extensions_mut().insert(user);
            next.run(req).await
        }
        Err(auth::CallerRefused::Unauthenticated(message)) => {
            ApiError::unauthenticated(message).into_response()
        }
        Err(auth::CallerRefused::Unavailable(_)) => ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "authentication is not available",
        )
        .into_response(),
    }
}

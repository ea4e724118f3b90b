//! # pika-lambda-shell
//!
//! The Lambda entry points: thin wiring of the same
//! router and streaming encoders the local server uses onto the Lambda
//! runtime, with the AWS adapters behind the ports.
//!
//! | binary | trigger | serves |
//! |---|---|---|
//! | `pika-api` | API Gateway REST (buffered, 29 s) | every route but the streamed turns ([`api_app`]) |
//! | `pika-stream` | Function URL, `RESPONSE_STREAM` | the turns, streamed, ending before the deadline ([`stream_app`]) |
//! | `pika-jobs` | EventBridge schedules | insights, cleanup, usage report ([`jobs::handle`]) |
//!
//! Everything heavy (the SDK clients, the JWT keys) is built once per
//! container at cold start ([`cold_start`]); the configuration comes from
//! the environment ([`mod@env`], `docs/lambda-env.md`).
//!
//! ```
//! use pika_lambda_shell::env::{FunctionKind, LambdaEnv};
//!
//! // A cold start without its environment stops, naming what is missing.
//! let refused = LambdaEnv::read(FunctionKind::Api, |_| None).unwrap_err();
//! assert!(refused.to_string().contains("PIKA_"), "{refused}");
//! // Every variable the function reads, for the deployment to set.
//! assert!(FunctionKind::Api.variables().iter().all(|v| v.starts_with("PIKA_") || v.starts_with("AWS_")));
//! ```

pub mod authorizer;
pub mod compose;
pub mod deadline;
pub mod diagnostic;
pub mod env;
pub mod jobs;
pub mod logging;
pub mod secrets;
pub mod split_files;
pub mod stage;
pub mod stream_routes;

use env::{AuthEnv, FunctionKind, LambdaEnv, SearchTarget};
use pika_domain::site::SiteConfig;
use pika_http::auth::{AuthConfig, AuthMode, Authenticator, JwksSource};
use pika_http::{router, ApiConfig, AppState};
use pika_service::{Ports, ServiceSettings};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceBuilder;

/// What a container builds once: its environment, ports and settings.
pub struct Container {
    /// The environment it was configured from.
    pub env: LambdaEnv,
    /// The ports on AWS.
    pub ports: Ports,
    /// The services' settings.
    pub settings: ServiceSettings,
    /// The SDK configuration (region, credentials).
    pub sdk: pika_aws_adapters::aws::SdkConfig,
}

/// Starts JSON logging, reads and checks the environment for `function`,
/// and builds the ports on AWS.
///
/// # Errors
/// A missing or malformed variable (named), or an adapter that cannot be
/// configured; Lambda reports the cold start as failed with the message.
pub async fn cold_start(function: FunctionKind) -> Result<Container, lambda_runtime::Error> {
    logging::init();
    let env = LambdaEnv::from_process(function)
        .inspect_err(|e| tracing::error!(error = %e, "cold start refused"))?;
    let sdk = pika_aws_adapters::aws::load_sdk_config().await;
    let ports = compose::aws_ports(&env, &sdk).await?;
    tracing::info!(function = function.as_str(), runtime = ?env.runtime, search = ?env.search, "cold start");
    // Only the api function may write the configuration table; the others
    // read what it seeded (the defaults, every site feature off, until then).
    if function == FunctionKind::Api {
        pika_service::seed_site(&ports, site_seed(&env))
            .await
            .inspect_err(
                |e| tracing::error!(error = %e, "the site configuration could not be seeded"),
            )?;
    }
    let settings = ServiceSettings::default();
    Ok(Container {
        env,
        ports,
        settings,
        sdk,
    })
}

/// The site configuration the api function seeds on its first cold start:
/// `PIKA_SITE_CONFIG` (else the defaults), with `PIKA_INSIGHTS_MODEL_ID` as
/// the insights model when set. Once stored, site admins change it with
/// `PUT /admin/site`; the variables are not read again.
pub fn site_seed(env: &LambdaEnv) -> SiteConfig {
    let mut site = env.site_seed.clone().unwrap_or_default();
    if let Some(model) = &env.insights_model_id {
        site.insights.model_id = model.clone();
    }
    site
}

/// The HTTP settings of a Lambda function: API Gateway and the Function
/// URL enforce body limits and throttling, so the router's own limiter is
/// off; the API refuses turns (they stream from `pika-stream`); search is
/// refused when the deployment has no index.
pub fn api_config(env: &LambdaEnv) -> ApiConfig {
    ApiConfig {
        cors_origins: env.cors_origins.clone(),
        // Never: the Lambda binaries are built without the dev-tokens
        // feature, so the route does not exist in them at all.
        dev_tokens: None,
        rate_limit: None,
        turns_endpoint: match env.function {
            FunctionKind::Api => Some(
                env.stream_url
                    .clone()
                    .unwrap_or_else(|| "the stream function's URL".to_string()),
            ),
            FunctionKind::Stream | FunctionKind::Jobs => None,
        },
        search_unavailable: matches!(env.search, SearchTarget::Off)
            .then(|| "search is not configured on this deployment".to_string()),
        ..ApiConfig::default()
    }
}

/// The authenticator `env` asks for; an HS256 key is read from Secrets
/// Manager (once: this runs at cold start).
///
/// # Errors
/// A key that cannot be read or a JWKS that cannot be fetched.
pub async fn authenticator(
    env: &LambdaEnv,
    sdk: &pika_aws_adapters::aws::SdkConfig,
) -> Result<Authenticator, lambda_runtime::Error> {
    let mut config = match &env.auth {
        None | Some(AuthEnv::Authorizer) => AuthConfig::new(AuthMode::AuthorizerContext),
        Some(AuthEnv::Jwt {
            secret_arn,
            jwks_url,
            issuer,
            audience,
            token_use,
        }) => {
            let mut config = AuthConfig::new(AuthMode::Jwt);
            if let Some(arn) = secret_arn {
                let client = aws_sdk_secretsmanager::Client::new(sdk);
                config.hs256_secret = Some(secrets::hs256_key(&client, arn).await?);
            }
            config.jwks = jwks_url.clone().map(JwksSource::Url);
            config.issuer = Some(issuer.clone());
            config.audience = Some(audience.clone());
            config.token_use = token_use.clone();
            config
        }
    };
    let names = &env.claim_names;
    if let Some(name) = &names.user_type {
        config.claims.user_type = name.clone();
    }
    if let Some(name) = &names.roles {
        config.claims.roles = name.clone();
    }
    if let Some(name) = &names.custom_data {
        config.claims.custom_data = name.clone();
    }
    Ok(Authenticator::new(config).await?)
}

/// The application state of a container.
///
/// # Errors
/// As [`authenticator`].
pub async fn app_state(container: &Container) -> Result<AppState, lambda_runtime::Error> {
    let auth = authenticator(&container.env, &container.sdk).await?;
    Ok(AppState::new(
        container.ports.clone(),
        container.settings.clone(),
        Arc::new(auth),
        api_config(&container.env),
    ))
}

/// The `pika-api` service: the router, with API Gateway's authorizer
/// claims put where the router's authentication reads them.
pub fn api_app(
    state: AppState,
) -> impl tower::Service<
    lambda_http::Request,
    Response = axum::response::Response,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    ServiceBuilder::new()
        .map_request(stage::strip_stage)
        .map_request(authorizer::attach_claims)
        .service(router(state))
}

/// The `pika-stream` service: the router's turn routes
/// ([`stream_routes`]), each request carrying the time left before the
/// invocation's deadline less `margin`.
pub fn stream_app(
    state: AppState,
    margin: Duration,
) -> impl tower::Service<
    lambda_http::Request,
    Response = axum::response::Response,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    ServiceBuilder::new()
        .map_request(move |r| deadline::attach_time_limit(r, margin))
        .service(router(state).layer(axum::middleware::from_fn(stream_routes::turns_only)))
}

//! Builds the local platform from its configuration and serves it.

use super::config::LocalConfig;
use super::{bootstrap, files, secrets, unconfigured};
use axum::Router;
use pika_domain::cost::PriceTable;
use pika_http::auth::{AuthConfig, AuthMode, Authenticator, DevClaims, JwksSource};
use pika_http::dev_tokens::DevTokens;
use pika_http::{router, ApiConfig, AppState, RateLimit};
use pika_local_adapters::files::LocalFileStore;
use pika_local_adapters::inline_tools::{demo, InlineTools};
use pika_local_adapters::knowledge::LocalKnowledge;
use pika_local_adapters::metrics::JsonLinesMetrics;
use pika_local_adapters::openai::{OpenAiCompatible, OpenAiConfig};
use pika_local_adapters::search::TantivySearchIndex;
use pika_ports::{AgentRuntime, Clock, CompletionModel, SystemClock};
use pika_service::{Platform, ServiceSettings};
use pika_tool_adapters::dispatch::ToolDispatcher;
use pika_tool_adapters::http::{HttpToolInvoker, HttpToolsConfig, IpNet};
use pika_tool_adapters::mcp::McpToolInvoker;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Which model answers, as the banner reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelChoice {
    /// The embedded model: its name and file.
    Embedded {
        /// The model's name.
        name: String,
        /// The GGUF file.
        path: String,
    },
    /// An OpenAI-compatible server.
    OpenAi {
        /// Its base URL.
        base_url: String,
        /// The model asked for.
        model: String,
    },
    /// None: turns are refused.
    None,
}

type ModelPorts = (Arc<dyn AgentRuntime>, Arc<dyn CompletionModel>, ModelChoice);

/// The model ports `config` asks for (see [`super::config::Provider`]).
///
/// # Errors
/// A model that was asked for but cannot be loaded or reached, saying what to do.
pub async fn model_ports(config: &LocalConfig) -> Result<ModelPorts, String> {
    use super::config::Provider;
    let base_url = config.model.base_url.clone().filter(|u| !u.is_empty());
    let use_openai = match config.model.provider {
        Provider::Openai => true,
        Provider::Auto => base_url.is_some(),
        Provider::Embedded | Provider::None => false,
    };
    if use_openai {
        let Some(url) = base_url else {
            return Err(
                "[model] provider = \"openai\" needs base_url (PIKA_MODEL_BASE_URL)".to_string(),
            );
        };
        let mut model = OpenAiConfig::new(url.clone());
        model.api_key = config.model.api_key.clone().filter(|k| !k.is_empty());
        model.model_override = Some(config.model.model.clone());
        model.request_timeout = Duration::from_secs(config.model.timeout_seconds.max(1));
        model.text_tool_calls = config.model.text_tool_calls;
        let client = Arc::new(OpenAiCompatible::new(model).map_err(err("model client"))?);
        let choice = ModelChoice::OpenAi {
            base_url: url,
            model: config.model.model.clone(),
        };
        return Ok((client.clone(), client, choice));
    }
    let gguf = match config.model.provider {
        Provider::None | Provider::Openai => None,
        Provider::Auto | Provider::Embedded => config.gguf(),
    };
    match gguf {
        Some(path) => embedded(config, path).await,
        None if config.model.provider == Provider::Embedded => Err(format!(
            "[model] provider = \"embedded\" but no GGUF was found: {}",
            unconfigured::MESSAGE
        )),
        None => Ok((
            Arc::new(unconfigured::NoModel),
            Arc::new(unconfigured::NoModel),
            ModelChoice::None,
        )),
    }
}

#[cfg(feature = "embedded-model")]
async fn embedded(config: &LocalConfig, path: std::path::PathBuf) -> Result<ModelPorts, String> {
    use pika_local_adapters::embedded::{EmbeddedConfig, EmbeddedModel};
    let mut settings = EmbeddedConfig::new(path.clone());
    settings.context_tokens = config.model.context_tokens;
    settings.max_concurrent = config.model.max_concurrent.max(1);
    settings.threads = config.model.threads.max(1);
    let model = tokio::task::spawn_blocking(move || EmbeddedModel::load(settings))
        .await
        .map_err(|e| format!("loading the embedded model failed: {e}"))?
        .map_err(err("cannot load the embedded model"))?;
    let choice = ModelChoice::Embedded {
        name: model.name().to_string(),
        path: path.display().to_string(),
    };
    let model = Arc::new(model);
    Ok((model.clone(), model, choice))
}

#[cfg(not(feature = "embedded-model"))]
async fn embedded(_config: &LocalConfig, path: std::path::PathBuf) -> Result<ModelPorts, String> {
    Err(format!(
        "found {} but this build has no embedded model: build with the `embedded-model` feature, or set PIKA_MODEL_BASE_URL",
        path.display()
    ))
}

/// The assembled platform, ready to serve.
pub struct LocalPlatform {
    /// The HTTP app (API and file routes).
    pub app: Router,
    /// The services, for shutdown.
    pub state: AppState,
    /// Where to listen.
    pub bind: String,
    /// The public URL.
    pub public_url: String,
    /// Which model answers.
    pub model: ModelChoice,
    /// Which store holds the data.
    pub store: super::stores::StoreChoice,
    /// The scheduled jobs, started by [`serve_on`].
    pub jobs: crate::config::JobsConfig,
    /// The connection limits of [`serve_on`] (`[server]`).
    pub limits: crate::config::ServerConfig,
}

fn err(context: &str) -> impl Fn(pika_ports::PortError) -> String + '_ {
    move |e| format!("{context}: {}", e.message)
}

/// The authenticator of `config`, with the generated secret when none is set.
///
/// # Errors
/// Unreadable secrets or JWKS, naming the setting.
pub async fn authenticator(config: &LocalConfig) -> Result<Authenticator, String> {
    let dir = config.data_dir();
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", dir.display()))?;
    let explicit = config
        .auth
        .hs256_secret
        .as_deref()
        .filter(|s| !s.is_empty());
    // Beside an identity provider, HS256 tokens are accepted only with a
    // secret the operator set: the generated one signs development tokens,
    // which never count once real sign-in exists.
    let secret = match explicit {
        Some(s) => Some(s.as_bytes().to_vec()),
        None if config.has_identity_provider() => None,
        None => Some(secrets::load_or_create(&dir.join("jwt-secret"), 32)?),
    };
    let mut auth = AuthConfig::new(AuthMode::Jwt);
    auth.hs256_secret = secret;
    auth.issuer = Some(config.auth.issuer.clone());
    auth.audience = Some(config.auth.audience.clone());
    auth.jwks = match (&config.auth.jwks_file, &config.auth.jwks_url) {
        (Some(f), _) if !f.as_os_str().is_empty() => Some(JwksSource::File(f.clone())),
        (_, Some(u)) if !u.is_empty() => Some(JwksSource::Url(u.clone())),
        _ => None,
    };
    Authenticator::new(auth)
        .await
        .map_err(|e| format!("authentication setup: {e}"))
}

/// The policy of `POST /dev/token`, when `[auth] dev_tokens` asks for it.
///
/// # Errors
/// When it is asked for on a server that binds beyond loopback, or beside
/// an identity provider: refused outright, rather than started open.
fn dev_tokens(config: &LocalConfig) -> Result<Option<DevTokens>, String> {
    if !config.auth.dev_tokens {
        return Ok(None);
    }
    if !binds_loopback(&config.server.bind) {
        return Err(format!(
            "[auth] dev_tokens needs a loopback bind (127.0.0.1, [::1] or localhost), not {}: anyone who reaches POST /dev/token signs in as anyone",
            config.server.bind
        ));
    }
    if config.has_identity_provider() {
        return Err(
            "[auth] dev_tokens cannot be on beside an identity provider (jwks_file / jwks_url)"
                .to_string(),
        );
    }
    Ok(Some(DevTokens {
        allowed_roles: config.auth.dev_token_roles.clone(),
    }))
}

/// Whether `bind` (`host:port`) listens on loopback only.
fn binds_loopback(bind: &str) -> bool {
    pika_http::dev_tokens::is_loopback_authority(bind)
}

/// A development token for `claims`, valid 12 hours.
///
/// # Errors
/// When dev tokens are off or the claims are invalid.
pub async fn dev_token(config: &LocalConfig, claims: DevClaims) -> Result<String, String> {
    if config.has_identity_provider() {
        return Err(
            "development tokens are never accepted beside an identity provider ([auth] jwks_file / jwks_url)"
                .to_string(),
        );
    }
    let auth = authenticator(config).await?;
    auth.issue_dev_token(claims, Duration::from_secs(12 * 3600), SystemTime::now())
        .map_err(|e| e.public_message())
}

/// The tool kinds this server runs: inline functions, and `http` and
/// `mcp` tools behind the SSRF guard (`[tools]`, secrets from `PIKA_TOOL_SECRET_*`).
fn tool_executors(config: &LocalConfig, inline: InlineTools) -> Result<ToolDispatcher, String> {
    let allow_private = config
        .tools
        .http_allow_private
        .iter()
        .map(|raw| {
            raw.parse::<IpNet>().map_err(|e| {
                format!("[tools] http_allow_private: {raw:?} is no address range: {e}")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let secrets = std::env::vars()
        .filter_map(|(name, value)| {
            name.strip_prefix("PIKA_TOOL_SECRET_")
                .map(|secret| (secret.to_string(), value))
        })
        .collect();
    let guard = HttpToolsConfig {
        allowed_hosts: config.tools.http_allowed_hosts.clone(),
        allow_private,
        secrets,
        ..HttpToolsConfig::default()
    };
    // MCP servers pass the same guard, with the same secrets.
    let mcp = McpToolInvoker::new(guard.clone());
    let http = HttpToolInvoker::new(guard);
    Ok(ToolDispatcher::new()
        .with(Arc::new(inline))
        .with(Arc::new(http))
        .with(Arc::new(mcp)))
}

/// Opens (or creates) everything under the data directory and wires the
/// services and routes.
///
/// # Errors
/// What could not be opened, with the path or setting involved.
pub async fn build(config: &LocalConfig) -> Result<LocalPlatform, String> {
    let dir = config.data_dir();
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", dir.display()))?;
    let public_url = config.public_url();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);

    let search = TantivySearchIndex::open(dir.join("search"))
        .map_err(err("cannot open the search index"))?;
    // Knowledge bases: one directory each under `knowledge/`, read at start.
    let knowledge = LocalKnowledge::open(&dir.join("knowledge"))
        .map_err(err("cannot read the knowledge bases"))?;
    let signing_key = secrets::load_or_create(&dir.join("file-signing-key"), 32)?;
    let files = Arc::new(LocalFileStore::new(
        dir.join("files"),
        public_url.clone(),
        signing_key,
    ));
    let mut tools = InlineTools::new();
    demo::register(&mut tools, clock.clone());

    let (runtime, completions, model) = model_ports(config).await?;
    let model_configured = !matches!(model, ModelChoice::None);
    let metrics_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("metrics.jsonl"))
        .map_err(|e| format!("cannot open metrics.jsonl: {e}"))?;

    let settings = ServiceSettings {
        prices: PriceTable::default(),
        default_max_upload_bytes: config.server.max_upload_bytes,
        ..ServiceSettings::default()
    };
    // The stores write a turn's records one by one (each its own
    // transaction): no journal.
    let (builder, store) = super::stores::open(&config.store, &dir, Platform::builder()).await?;
    let platform = builder
        .runtime(runtime)
        .completions(completions)
        .tool_invoker(Arc::new(tool_executors(config, tools)?))
        .files(files.clone())
        .search(Arc::new(search))
        .knowledge(Arc::new(knowledge))
        .metrics(Arc::new(JsonLinesMetrics::to_writer(Box::new(
            metrics_file,
        ))))
        .clock(clock)
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?;
    let ports = platform.ports.clone();

    let verification = config
        .model
        .verification_model
        .clone()
        .filter(|m| !m.is_empty());
    if config.demo.seed {
        let tool_defs = demo::demo_tool_definitions();
        let agent =
            bootstrap::demo_agent(&config.model.model, verification.as_deref(), &tool_defs)?;
        bootstrap::seed(&ports, tool_defs, agent, bootstrap::demo_app()?).await?;
    }

    // The site configuration: `[site]` (else the demo site's) is stored on
    // the first start; from then on the stored one rules, changed through
    // `PUT /admin/site`.
    let seed = match &config.site {
        Some(site) => site.clone(),
        None => {
            let mut site = bootstrap::site();
            site.turn.max_output_tokens = config.model.max_output_tokens.max(16);
            site.title_model_id = verification.or_else(|| Some(config.model.model.clone()));
            site
        }
    };
    seed.validate()
        .map_err(|e| format!("[site] in the configuration: {e}"))?;
    pika_service::seed_site(&ports, seed)
        .await
        .map_err(|e| format!("cannot store the site configuration: {e}"))?;
    let api = ApiConfig {
        body_limit_bytes: config.server.body_limit_bytes,
        body_read_timeout: Some(Duration::from_secs(
            config.server.body_read_timeout_seconds.max(1),
        )),
        cors_origins: config.server.cors_origins.clone(),
        dev_tokens: dev_tokens(config)?,
        rate_limit: Some(RateLimit {
            per_minute: config.server.rate_limit_per_minute,
            burst: config.server.rate_limit_burst,
        }),
        turns_unavailable: (!model_configured).then(|| unconfigured::MESSAGE.to_string()),
        ..ApiConfig::default()
    };
    let auth = Arc::new(authenticator(config).await?);
    let state = AppState::from_platform(platform, auth, api);
    // Browsers upload to the signed file URLs from the same pages that call
    // the API, so those routes answer CORS like the API does.
    let mut file_routes = files::routes(files);
    if let Some(cors) = pika_http::cors_layer(&config.server.cors_origins) {
        file_routes = file_routes.layer(cors);
    }
    let app = router(state.clone())
        .merge(file_routes)
        .merge(super::page::routes());
    Ok(LocalPlatform {
        app,
        state,
        bind: config.server.bind.clone(),
        public_url,
        model,
        store,
        jobs: config.jobs.clone(),
        limits: config.server.clone(),
    })
}

/// Serves until Ctrl-C / SIGTERM, then stops running turns (their partial
/// answers are stored) and waits up to 10 s for them.
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve(platform: LocalPlatform) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(&platform.bind)
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {}: {e} (set [server] bind or PIKA_BIND)",
                platform.bind
            )
        })?;
    serve_on(listener, platform, shutdown_signal()).await
}

/// Serves on `listener` until `shutdown` completes, then stops running
/// turns and waits up to 10 s for their answers to be stored. Tests use it
/// with a loopback listener and their own shutdown trigger.
///
/// # Errors
/// When the server fails.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    platform: LocalPlatform,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let chat = platform.state.chat.clone();
    let state = platform.state.clone();
    // Stopped when this function returns (the schedule is dropped).
    let _jobs = super::jobs::start(
        state.ports.clone(),
        state.settings.prices.clone(),
        &platform.jobs,
    );
    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutting down: stopping running turns");
        state.chat.shutdown();
    };
    super::accept::serve(
        listener,
        platform.app,
        super::accept::Limits {
            max_connections: platform.limits.max_connections.max(1),
            header_read_timeout: Duration::from_secs(
                platform.limits.header_read_timeout_seconds.max(1),
            ),
        },
        shutdown,
    )
    .await;
    if !chat.drain(Duration::from_secs(10)).await {
        tracing::warn!("some turns were still being stored at exit");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

//! The local server's configuration: one TOML file (every key optional, see
//! `docs/local.md`) with environment overrides (`PIKA_*`).

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The whole file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct LocalConfig {
    /// Where the database, search index, files and secrets live (`PIKA_DATA_DIR`).
    pub data_dir: Option<PathBuf>,
    /// The HTTP server.
    pub server: ServerConfig,
    /// Authentication.
    pub auth: AuthSection,
    /// The model server.
    pub model: ModelConfig,
    /// Seeding the demo site.
    pub demo: DemoConfig,
    /// The site configuration stored on the first start (the same shape as
    /// `PUT /admin/site` takes, camelCase keys); afterwards site admins
    /// change it through the API. Default: the demo site's
    /// (`bootstrap::site`).
    pub site: Option<pika_domain::site::SiteConfig>,
    /// The scheduled jobs (insights, cleanup, the daily usage report).
    pub jobs: JobsConfig,
    /// `http` tools.
    pub tools: ToolsConfig,
    /// Where the stores live: SQLite in the data directory, or PostgreSQL.
    pub store: StoreConfig,
}

/// `[store]`: SQLite under the data directory unless `postgres_url` is
/// set. With PostgreSQL, several servers share sessions, turns, quotas and
/// configuration (files and the search index stay in each server's data
/// directory).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// A PostgreSQL connection string or URL (`PIKA_POSTGRES_URL`),
    /// e.g. `postgres://pika@db.internal/pika`.
    pub postgres_url: Option<String>,
    /// The schema holding Pika's tables, created when missing
    /// (`PIKA_POSTGRES_SCHEMA`); default: the connection's (`public`).
    pub postgres_schema: Option<String>,
    /// The most connections this server opens to PostgreSQL.
    pub postgres_max_connections: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            postgres_url: None,
            postgres_schema: None,
            postgres_max_connections: 16,
        }
    }
}

/// `[tools]`: what `http` tools may call. Secrets named by a tool's
/// `secret:NAME` header values come from `PIKA_TOOL_SECRET_NAME`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ToolsConfig {
    /// Hosts `http` tools may call (`api.example.com`, `*.example.com`);
    /// empty: any public host.
    pub http_allowed_hosts: Vec<String>,
    /// Address ranges opened despite the SSRF guard (`10.1.0.0/16`): for
    /// services in the operator's own network. Empty by default.
    pub http_allow_private: Vec<String>,
}

/// `[jobs]`: the same jobs the Lambda deployment runs on EventBridge
/// schedules, run in-process on timers.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Run them at all (`PIKA_JOBS`: `true` / `false`; default true).
    pub enabled: bool,
    /// Seconds between insights runs.
    pub insights_every_seconds: u64,
    /// Seconds between cleanups of expired sessions.
    pub cleanup_every_seconds: u64,
    /// Seconds between checks for yesterday's usage report (reported once a day).
    pub usage_report_every_seconds: u64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            insights_every_seconds: 15 * 60,
            cleanup_every_seconds: 60 * 60,
            usage_report_every_seconds: 60 * 60,
        }
    }
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on (`PIKA_BIND`), default `127.0.0.1:8080`.
    pub bind: String,
    /// The URL clients reach the server at, used in presigned file URLs
    /// (`PIKA_PUBLIC_URL`); default `http://{bind}`.
    pub public_url: Option<String>,
    /// Origins allowed by CORS; empty: none.
    pub cors_origins: Vec<String>,
    /// Largest request body in bytes.
    pub body_limit_bytes: usize,
    /// Requests per minute per user.
    pub rate_limit_per_minute: u32,
    /// Burst above the rate.
    pub rate_limit_burst: u32,
    /// Largest upload in bytes.
    pub max_upload_bytes: u64,
    /// Most connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// Longest a client may take to send a request's headers, in seconds.
    pub header_read_timeout_seconds: u64,
    /// Longest a request body may stall between two chunks, in seconds.
    pub body_read_timeout_seconds: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".to_string(),
            public_url: None,
            cors_origins: Vec::new(),
            body_limit_bytes: 256 * 1024,
            rate_limit_per_minute: 600,
            rate_limit_burst: 100,
            max_upload_bytes: 10 * 1024 * 1024,
            max_connections: 1024,
            header_read_timeout_seconds: 10,
            body_read_timeout_seconds: 30,
        }
    }
}

/// `[auth]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSection {
    /// HS256 secret (`PIKA_JWT_SECRET`); when empty, one is generated once
    /// and kept in `{data_dir}/jwt-secret`.
    pub hs256_secret: Option<String>,
    /// A JWKS file for RS256/ES256 tokens.
    pub jwks_file: Option<PathBuf>,
    /// A JWKS URL for RS256/ES256 tokens (fetched at start).
    pub jwks_url: Option<String>,
    /// Required `iss`.
    pub issuer: String,
    /// Required `aud`.
    pub audience: String,
    /// Whether `POST /dev/token` exists (`PIKA_DEV_TOKENS`; default off):
    /// anyone who reaches it signs in as anyone. The server refuses to
    /// start with it unless it binds loopback and no identity provider
    /// (`jwks_file`, `jwks_url`) is configured, and it answers only
    /// requests addressed to loopback from loopback pages.
    pub dev_tokens: bool,
    /// The roles a development token may carry over HTTP
    /// (`PIKA_DEV_TOKEN_ROLES`, comma-separated; default none). `pika-local
    /// token`, run by whoever can read the data directory, is not bound by it.
    pub dev_token_roles: Vec<String>,
}

impl Default for AuthSection {
    fn default() -> Self {
        Self {
            hs256_secret: None,
            jwks_file: None,
            jwks_url: None,
            issuer: "pika-local".to_string(),
            audience: "pika".to_string(),
            dev_tokens: false,
            dev_token_roles: Vec::new(),
        }
    }
}

/// Which model answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// `base_url` when set, else the embedded model when a GGUF is found
    /// (`path`, or `{data_dir}/models/*.gguf`), else none.
    #[default]
    Auto,
    /// The embedded model (`path` or the one found under the data directory).
    Embedded,
    /// The OpenAI-compatible server at `base_url`.
    Openai,
    /// No model: turns are refused with a message saying what to configure.
    None,
}

/// `[model]`: the embedded model or an OpenAI-compatible chat-completions server.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    /// Which model answers (`PIKA_MODEL_PROVIDER`); `auto` by default.
    pub provider: Provider,
    /// The GGUF file of the embedded model (`PIKA_MODEL_PATH`); found under
    /// `{data_dir}/models/` when unset.
    pub path: Option<PathBuf>,
    /// Context tokens per embedded call.
    pub context_tokens: u32,
    /// Embedded calls decoding at once (each holds its own context).
    pub max_concurrent: usize,
    /// Most tokens one answer may have (small models can ramble).
    pub max_output_tokens: u32,
    /// Threads per embedded call. 1 by default: llama.cpp's threads spin, so
    /// more threads than free cores slow decoding down sharply.
    pub threads: usize,
    /// Base URL including `/v1` (`PIKA_MODEL_BASE_URL`), e.g.
    /// `http://127.0.0.1:11434/v1` for Ollama. Unset: turns are refused
    /// with a message naming this setting.
    pub base_url: Option<String>,
    /// API key, if the server wants one (`PIKA_MODEL_API_KEY`).
    pub api_key: Option<String>,
    /// The model name (`PIKA_MODEL`).
    pub model: String,
    /// The model that grades answers and writes titles; `model` when unset.
    pub verification_model: Option<String>,
    /// Parse `<tool_call>` blocks from the text for models without native tool calling.
    pub text_tool_calls: bool,
    /// Seconds one model request may take.
    pub timeout_seconds: u64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            api_key: None,
            provider: Provider::Auto,
            path: None,
            context_tokens: 4096,
            max_concurrent: 1,
            max_output_tokens: 1024,
            threads: 1,
            model: "llama3.2".to_string(),
            verification_model: None,
            text_tool_calls: false,
            timeout_seconds: 300,
        }
    }
}

/// `[demo]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoConfig {
    /// Seed the demo chat app, agent and tools when missing (default true).
    pub seed: bool,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self { seed: true }
    }
}

/// Why the configuration cannot be used.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl LocalConfig {
    /// Reads `path` (absent file: defaults), then applies `PIKA_*` overrides.
    ///
    /// # Errors
    /// An unreadable or invalid file, naming the problem.
    pub fn load(
        path: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut config = match path {
            Some(p) if p.exists() => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ConfigError(format!("cannot read {}: {e}", p.display())))?;
                toml::from_str(&text)
                    .map_err(|e| ConfigError(format!("invalid {}: {e}", p.display())))?
            }
            Some(p) => {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    p.display()
                )))
            }
            None => LocalConfig::default(),
        };
        config.apply_env(env);
        Ok(config)
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) {
        if let Some(v) = env("PIKA_DATA_DIR") {
            self.data_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = env("PIKA_BIND") {
            self.server.bind = v;
        }
        if let Some(v) = env("PIKA_PUBLIC_URL") {
            self.server.public_url = Some(v);
        }
        if let Some(v) = env("PIKA_JWT_SECRET") {
            self.auth.hs256_secret = Some(v);
        }
        if let Some(v) = env("PIKA_DEV_TOKENS") {
            self.auth.dev_tokens = matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "on");
        }
        if let Some(v) = env("PIKA_DEV_TOKEN_ROLES") {
            self.auth.dev_token_roles = v
                .split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect();
        }
        if let Some(v) = env("PIKA_MODEL_BASE_URL") {
            self.model.base_url = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = env("PIKA_MODEL_API_KEY") {
            self.model.api_key = Some(v);
        }
        if let Some(v) = env("PIKA_MODEL") {
            self.model.model = v;
        }
        if let Some(v) = env("PIKA_MODEL_PATH").filter(|v| !v.is_empty()) {
            self.model.path = Some(PathBuf::from(v));
        }
        if let Some(v) = env("PIKA_POSTGRES_URL") {
            self.store.postgres_url = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = env("PIKA_POSTGRES_SCHEMA") {
            self.store.postgres_schema = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = env("PIKA_JOBS") {
            self.jobs.enabled = !matches!(v.to_ascii_lowercase().as_str(), "false" | "0" | "off");
        }
        if let Some(v) = env("PIKA_MODEL_PROVIDER") {
            self.model.provider = match v.to_ascii_lowercase().as_str() {
                "embedded" => Provider::Embedded,
                "openai" => Provider::Openai,
                "none" => Provider::None,
                _ => Provider::Auto,
            };
        }
    }

    /// Whether an identity provider is configured (a JWKS file or URL).
    pub fn has_identity_provider(&self) -> bool {
        let file = self
            .auth
            .jwks_file
            .as_ref()
            .is_some_and(|f| !f.as_os_str().is_empty());
        let url = self.auth.jwks_url.as_ref().is_some_and(|u| !u.is_empty());
        file || url
    }

    /// The data directory (default `./pika-data`).
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("pika-data"))
    }

    /// The GGUF the embedded model should load: `model.path`, else the
    /// first `*.gguf` (by name) under `{data_dir}/models/`.
    pub fn gguf(&self) -> Option<PathBuf> {
        if let Some(p) = &self.model.path {
            return Some(p.clone());
        }
        let dir = self.data_dir().join("models");
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "gguf"))
            .collect();
        found.sort();
        found.into_iter().next()
    }

    /// The public URL of the server.
    pub fn public_url(&self) -> String {
        self.server
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.server.bind))
            .trim_end_matches('/')
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_the_file() {
        let env = |k: &str| match k {
            "PIKA_BIND" => Some("0.0.0.0:9000".to_string()),
            "PIKA_MODEL_BASE_URL" => Some("http://127.0.0.1:11434/v1".to_string()),
            _ => None,
        };
        let config = LocalConfig::load(None, env).unwrap_or_default();
        assert_eq!(config.server.bind, "0.0.0.0:9000");
        assert_eq!(
            config.model.base_url.as_deref(),
            Some("http://127.0.0.1:11434/v1")
        );
        assert_eq!(config.public_url(), "http://0.0.0.0:9000");
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn the_documented_example_file_is_a_valid_configuration() {
        let doc = include_str!("../../docs/local.md");
        let example = doc
            .split("```toml")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap();
        let config: LocalConfig = toml::from_str(example).unwrap();
        let site = config.site.unwrap();
        assert_eq!(site.entity_attribute_path(), Some("accountId"));
        assert_eq!(site.quotas.entity_tokens_per_window, Some(1_000_000));
        assert_eq!(site.validate(), Ok(()));
        assert!(config.jobs.enabled);
        assert_eq!(config.jobs.insights_every_seconds, 900);
    }

    #[test]
    fn jobs_are_switched_off_by_the_environment() {
        let env = |k: &str| (k == "PIKA_JOBS").then(|| "false".to_string());
        let config = LocalConfig::load(None, env).unwrap_or_default();
        assert!(!config.jobs.enabled);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let parsed: Result<LocalConfig, _> = toml::from_str("[server]\nbnd = \"x\"");
        assert!(parsed.is_err());
    }
}

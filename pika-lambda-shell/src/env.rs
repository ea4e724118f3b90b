//! The environment of the Lambda functions (docs/lambda-env.md), read and
//! checked once at cold start: a missing or malformed variable stops the
//! cold start with an error that names it.

use std::fmt;
use std::time::Duration;

/// Which function a binary serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionKind {
    /// `pika-api`: the REST API behind API Gateway.
    Api,
    /// `pika-stream`: streamed turns behind a Function URL.
    Stream,
    /// `pika-jobs`: the scheduled jobs.
    Jobs,
}

impl FunctionKind {
    /// The value of `PIKA_FUNCTION` for this function.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Stream => "stream",
            Self::Jobs => "jobs",
        }
    }

    /// Every variable this function's binary reads (the CDK stack may set
    /// no other `PIKA_*` variable on it).
    pub fn variables(self) -> Vec<&'static str> {
        let own: &[&str] = match self {
            Self::Api => &[
                STREAM_URL,
                SITE_CONFIG,
                INSIGHTS_MODEL_ID,
                CORS_ORIGINS,
                ASSETS_BUCKET,
                HTTP_TOOLS_ALLOWED_HOSTS,
                HTTP_TOOLS_ALLOW_PRIVATE,
                TOOL_SECRETS_ARN,
            ],
            Self::Stream => &[
                GUARDRAIL_ID,
                GUARDRAIL_VERSION,
                TOOL_TAG_CHECK,
                DEADLINE_MARGIN_MS,
                HTTP_TOOLS_ALLOWED_HOSTS,
                HTTP_TOOLS_ALLOW_PRIVATE,
                TOOL_SECRETS_ARN,
            ],
            Self::Jobs => &[],
        };
        let http: &[&str] = match self {
            Self::Api | Self::Stream => HTTP_VARIABLES,
            Self::Jobs => &[],
        };
        [COMMON_VARIABLES, http, own].concat()
    }

    /// The variables this function cannot start without.
    pub fn required(self) -> Vec<&'static str> {
        let required = [
            FUNCTION,
            TABLE_PREFIX,
            FILES_BUCKET,
            INSIGHTS_BUCKET,
            AGENT_RUNTIME,
        ];
        match self {
            Self::Api | Self::Stream => [&required[..], &[AUTH_MODE]].concat(),
            Self::Jobs => required.to_vec(),
        }
    }
}

/// What every function reads: where the data is and which runtime runs.
const COMMON_VARIABLES: &[&str] = &[
    FUNCTION,
    TABLE_PREFIX,
    FILES_BUCKET,
    INSIGHTS_BUCKET,
    S3_FORCE_PATH_STYLE,
    SEARCH_ENDPOINT,
    SEARCH_DOMAIN,
    AGENT_RUNTIME,
];

/// What the two HTTP functions read besides: memory, authentication, CORS.
const HTTP_VARIABLES: &[&str] = &[
    MEMORY_ID,
    MEMORY_PREFERENCES_NAMESPACE,
    MEMORY_FACTS_NAMESPACE,
    AUTH_MODE,
    JWT_SECRET_ARN,
    JWKS_URL,
    JWT_ISSUER,
    JWT_AUDIENCE,
    JWT_TOKEN_USE,
    CLAIM_USER_TYPE,
    CLAIM_ROLES,
    CLAIM_CUSTOM_DATA,
];

/// `api`, `stream` or `jobs`.
pub const FUNCTION: &str = "PIKA_FUNCTION";
/// The DynamoDB tables are `{prefix}-sessions`, ….
pub const TABLE_PREFIX: &str = "PIKA_TABLE_PREFIX";
/// The uploads bucket.
pub const FILES_BUCKET: &str = "PIKA_FILES_BUCKET";
/// The insight documents bucket.
pub const INSIGHTS_BUCKET: &str = "PIKA_INSIGHTS_BUCKET";
/// The assets bucket (tags' component modules); the uploads bucket when unset.
pub const ASSETS_BUCKET: &str = "PIKA_ASSETS_BUCKET";
/// An OpenSearch endpoint URL.
pub const SEARCH_ENDPOINT: &str = "PIKA_SEARCH_ENDPOINT";
/// An OpenSearch domain name (resolved with `DescribeDomain`).
pub const SEARCH_DOMAIN: &str = "PIKA_SEARCH_DOMAIN";
/// `converse` or `inline-agent`.
pub const AGENT_RUNTIME: &str = "PIKA_AGENT_RUNTIME";
/// A Bedrock guardrail id.
pub const GUARDRAIL_ID: &str = "PIKA_GUARDRAIL_ID";
/// The guardrail's version.
pub const GUARDRAIL_VERSION: &str = "PIKA_GUARDRAIL_VERSION";
/// An AgentCore Memory id.
pub const MEMORY_ID: &str = "PIKA_MEMORY_ID";
/// The namespace template of the memory's user-preference strategy (must
/// hold `{actorId}`), when it is not `/users/{actorId}/preferences`.
pub const MEMORY_PREFERENCES_NAMESPACE: &str = "PIKA_MEMORY_PREFERENCES_NAMESPACE";
/// The namespace template of its semantic (facts) strategy, when it is not
/// `/users/{actorId}/facts`.
pub const MEMORY_FACTS_NAMESPACE: &str = "PIKA_MEMORY_FACTS_NAMESPACE";
/// Whether tool functions must be tagged `agent-tool=true`.
pub const TOOL_TAG_CHECK: &str = "PIKA_TOOL_TAG_CHECK";
/// `true`: address buckets as `{endpoint}/{bucket}` (S3-compatible stores
/// and emulators behind `AWS_ENDPOINT_URL`); default `false`.
pub const S3_FORCE_PATH_STYLE: &str = "PIKA_S3_FORCE_PATH_STYLE";
/// `jwt` or `authorizer`.
pub const AUTH_MODE: &str = "PIKA_AUTH_MODE";
/// A Secrets Manager secret holding the HS256 key.
pub const JWT_SECRET_ARN: &str = "PIKA_JWT_SECRET_ARN";
/// The identity provider's JWKS URL.
pub const JWKS_URL: &str = "PIKA_JWKS_URL";
/// The `token_use` a token must carry (Cognito ID tokens: `id`).
pub const JWT_TOKEN_USE: &str = "PIKA_JWT_TOKEN_USE";
/// The `iss` tokens must carry.
pub const JWT_ISSUER: &str = "PIKA_JWT_ISSUER";
/// The `aud` tokens must carry.
pub const JWT_AUDIENCE: &str = "PIKA_JWT_AUDIENCE";
/// Allowed origins of the web page, comma-separated (the api function's
/// router answers CORS; the stream function's URL does it itself).
pub const CORS_ORIGINS: &str = "PIKA_CORS_ORIGINS";
/// Hosts `http` and `mcp` tools may call, comma-separated (`*.example.com`);
/// unset: any public host.
pub const HTTP_TOOLS_ALLOWED_HOSTS: &str = "PIKA_HTTP_TOOLS_ALLOWED_HOSTS";
/// Address ranges opened despite the SSRF guard, comma-separated CIDRs.
pub const HTTP_TOOLS_ALLOW_PRIVATE: &str = "PIKA_HTTP_TOOLS_ALLOW_PRIVATE";
/// A Secrets Manager secret holding `{"NAME": "value"}`: the values tools'
/// `secret:NAME` headers name.
pub const TOOL_SECRETS_ARN: &str = "PIKA_TOOL_SECRETS_ARN";
/// The stream function's URL, named in the API's answer to a turn.
pub const STREAM_URL: &str = "PIKA_STREAM_URL";
/// The claim holding the user type (default `userType`; Cognito: `custom:userType`).
pub const CLAIM_USER_TYPE: &str = "PIKA_CLAIM_USER_TYPE";
/// The claim holding the roles (default `roles`; Cognito: `cognito:groups`).
pub const CLAIM_ROLES: &str = "PIKA_CLAIM_ROLES";
/// The claim holding the custom data (default `customData`; Cognito: `custom:customData`).
pub const CLAIM_CUSTOM_DATA: &str = "PIKA_CLAIM_CUSTOM_DATA";
/// How long before the deadline a turn ends, in milliseconds.
pub const DEADLINE_MARGIN_MS: &str = "PIKA_TURN_DEADLINE_MARGIN_MS";
/// The model of session insights, set in the site configuration's seed.
pub const INSIGHTS_MODEL_ID: &str = "PIKA_INSIGHTS_MODEL_ID";
/// The site configuration (JSON, as `PUT /admin/site` takes it) that the
/// api function stores at its cold start when none is stored yet.
pub const SITE_CONFIG: &str = "PIKA_SITE_CONFIG";

/// A variable that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError {
    /// The variable.
    pub variable: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "environment variable {}: {}",
            self.variable, self.problem
        )
    }
}

impl std::error::Error for EnvError {}

/// Which agent runtime runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeKind {
    /// Bedrock ConverseStream; Pika runs the tool loop.
    Converse,
    /// Bedrock InvokeInlineAgent.
    InlineAgent,
}

/// Where search documents live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchTarget {
    /// No search: the search routes answer 503.
    Off,
    /// An endpoint URL.
    Endpoint(String),
    /// A domain name, resolved at cold start.
    Domain(String),
}

/// How callers are authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthEnv {
    /// API Gateway's authorizer verified the token; trust its claims.
    Authorizer,
    /// Verify the JWT here.
    Jwt {
        /// The HS256 key's secret, when tokens are HS256.
        secret_arn: Option<String>,
        /// The JWKS URL, when tokens are RS256/ES256.
        jwks_url: Option<String>,
        /// The required issuer.
        issuer: String,
        /// The required audience.
        audience: String,
        /// The required `token_use`, when set.
        token_use: Option<String>,
    },
}

/// Everything a Lambda binary reads from its environment.
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaEnv {
    /// Which function.
    pub function: FunctionKind,
    /// The tables' prefix.
    pub table_prefix: String,
    /// The uploads bucket.
    pub files_bucket: String,
    /// The insights bucket.
    pub insights_bucket: String,
    /// The assets bucket (component modules; only the api reads it): the
    /// uploads bucket when unset.
    pub assets_bucket: Option<String>,
    /// Search.
    pub search: SearchTarget,
    /// The agent runtime.
    pub runtime: RuntimeKind,
    /// A guardrail id and version.
    pub guardrail: Option<(String, String)>,
    /// AgentCore Memory, when on.
    pub memory_id: Option<String>,
    /// The memory's namespace templates (preferences, facts), when not the defaults.
    pub memory_namespaces: (Option<String>, Option<String>),
    /// Refuse untagged tool functions.
    pub tool_tag_check: bool,
    /// Path-style bucket addressing ([`S3_FORCE_PATH_STYLE`]).
    pub s3_force_path_style: bool,
    /// The SSRF guard of `http` and `mcp` tools (the stream function's).
    pub http_tools: HttpToolsEnv,
    /// Authentication (not read by the jobs function).
    pub auth: Option<AuthEnv>,
    /// Allowed origins.
    pub cors_origins: Vec<String>,
    /// The stream function's URL, for the API's answer to a turn.
    pub stream_url: Option<String>,
    /// How long before the deadline a turn ends.
    pub deadline_margin: Duration,
    /// The insights model (the api function's, put into the site seed).
    pub insights_model_id: Option<String>,
    /// The site configuration to seed, checked (the api function's).
    pub site_seed: Option<pika_domain::site::SiteConfig>,
    /// Claim names that differ from the defaults: user type, roles, custom data.
    pub claim_names: ClaimOverrides,
}

/// The settings of `http` and `mcp` tools.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpToolsEnv {
    /// Hosts tools may call; empty: any public host.
    pub allowed_hosts: Vec<String>,
    /// Ranges opened despite the guard.
    pub allow_private: Vec<pika_tool_adapters::http::IpNet>,
    /// The secret holding the tools' header secrets.
    pub secrets_arn: Option<String>,
}

/// A `true`/`false` variable, `default` when unset.
fn flag(
    get: &impl Fn(&'static str) -> Option<String>,
    variable: &'static str,
    default: bool,
) -> Result<bool, EnvError> {
    match get(variable).as_deref() {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(EnvError {
            variable,
            problem: format!("{other:?} is neither \"true\" nor \"false\""),
        }),
    }
}

fn comma_list(value: Option<String>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn read_http_tools(
    get: &impl Fn(&'static str) -> Option<String>,
) -> Result<HttpToolsEnv, EnvError> {
    let allow_private = comma_list(get(HTTP_TOOLS_ALLOW_PRIVATE))
        .iter()
        .map(|raw| {
            raw.parse().map_err(|e| EnvError {
                variable: HTTP_TOOLS_ALLOW_PRIVATE,
                problem: format!("{raw:?} is no address range: {e}"),
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(HttpToolsEnv {
        allowed_hosts: comma_list(get(HTTP_TOOLS_ALLOWED_HOSTS)),
        allow_private,
        secrets_arn: get(TOOL_SECRETS_ARN),
    })
}

/// Claim names an identity provider uses instead of Pika's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClaimOverrides {
    /// Instead of `userType`.
    pub user_type: Option<String>,
    /// Instead of `roles`.
    pub roles: Option<String>,
    /// Instead of `customData`.
    pub custom_data: Option<String>,
}

impl LambdaEnv {
    /// Reads the process environment for `function`.
    ///
    /// # Errors
    /// The first missing or malformed variable.
    pub fn from_process(function: FunctionKind) -> Result<Self, EnvError> {
        Self::read(function, |name| std::env::var(name).ok())
    }

    /// Reads the variables `get` returns for `function` (tests pass a map).
    ///
    /// # Errors
    /// The first missing or malformed variable.
    pub fn read(
        function: FunctionKind,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, EnvError> {
        let get = |name: &'static str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let need = |name: &'static str| {
            get(name).ok_or(EnvError {
                variable: name,
                problem: "missing".to_string(),
            })
        };
        let named = need(FUNCTION)?;
        if named != function.as_str() {
            return Err(EnvError {
                variable: FUNCTION,
                problem: format!(
                    "is {named:?} but this binary serves {:?}: the binary was deployed to the wrong function",
                    function.as_str()
                ),
            });
        }
        let runtime = match need(AGENT_RUNTIME)?.as_str() {
            "converse" => RuntimeKind::Converse,
            "inline-agent" => RuntimeKind::InlineAgent,
            other => {
                return Err(EnvError {
                    variable: AGENT_RUNTIME,
                    problem: format!("{other:?} is neither \"converse\" nor \"inline-agent\""),
                })
            }
        };
        let search = match (get(SEARCH_ENDPOINT), get(SEARCH_DOMAIN)) {
            (Some(url), _) if !url.starts_with("https://") && !url.starts_with("http://") => {
                return Err(EnvError {
                    variable: SEARCH_ENDPOINT,
                    problem: format!("{url:?} is not an http(s) URL"),
                })
            }
            (Some(url), _) => SearchTarget::Endpoint(url),
            (None, Some(domain)) => SearchTarget::Domain(domain),
            (None, None) => SearchTarget::Off,
        };
        let guardrail = match (get(GUARDRAIL_ID), get(GUARDRAIL_VERSION)) {
            (Some(id), Some(version)) => Some((id, version)),
            (Some(_), None) => {
                return Err(EnvError {
                    variable: GUARDRAIL_VERSION,
                    problem: "missing (required with PIKA_GUARDRAIL_ID)".to_string(),
                })
            }
            (None, _) => None,
        };
        let tool_tag_check = flag(&get, TOOL_TAG_CHECK, true)?;
        let s3_force_path_style = flag(&get, S3_FORCE_PATH_STYLE, false)?;
        let deadline_margin = match get(DEADLINE_MARGIN_MS) {
            None => Duration::from_secs(10),
            Some(ms) => ms
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| EnvError {
                    variable: DEADLINE_MARGIN_MS,
                    problem: format!("{ms:?} is not a number of milliseconds"),
                })?,
        };
        let site_seed = get(SITE_CONFIG)
            .map(|json| {
                serde_json::from_str::<pika_domain::site::SiteConfig>(&json)
                    .map_err(|e| e.to_string())
                    .and_then(|site| site.validate().map(|()| site).map_err(|e| e.to_string()))
                    .map_err(|problem| EnvError {
                        variable: SITE_CONFIG,
                        problem,
                    })
            })
            .transpose()?;
        let auth = match function {
            FunctionKind::Jobs => None,
            FunctionKind::Api | FunctionKind::Stream => Some(read_auth(function, &get)?),
        };
        Ok(Self {
            function,
            table_prefix: need(TABLE_PREFIX)?,
            files_bucket: need(FILES_BUCKET)?,
            insights_bucket: need(INSIGHTS_BUCKET)?,
            assets_bucket: get(ASSETS_BUCKET).filter(|_| function == FunctionKind::Api),
            search,
            runtime,
            guardrail,
            memory_id: get(MEMORY_ID),
            memory_namespaces: (
                get(MEMORY_PREFERENCES_NAMESPACE),
                get(MEMORY_FACTS_NAMESPACE),
            ),
            tool_tag_check,
            s3_force_path_style,
            // The stream runs http/mcp tools; the api lists an mcp
            // server's tools when an admin saves one, through the same guard.
            http_tools: match function {
                FunctionKind::Stream | FunctionKind::Api => read_http_tools(&get)?,
                FunctionKind::Jobs => HttpToolsEnv::default(),
            },
            auth,
            // One CORS authority per endpoint: the stream function's URL
            // answers CORS itself, so its router adds no headers (browsers
            // refuse a response with the header twice).
            cors_origins: get(CORS_ORIGINS)
                .filter(|_| function == FunctionKind::Api)
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|o| !o.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
            stream_url: get(STREAM_URL),
            deadline_margin,
            insights_model_id: get(INSIGHTS_MODEL_ID),
            site_seed,
            claim_names: ClaimOverrides {
                user_type: get(CLAIM_USER_TYPE),
                roles: get(CLAIM_ROLES),
                custom_data: get(CLAIM_CUSTOM_DATA),
            },
        })
    }
}

fn read_auth(
    function: FunctionKind,
    get: &impl Fn(&'static str) -> Option<String>,
) -> Result<AuthEnv, EnvError> {
    let need = |name: &'static str| {
        get(name).ok_or(EnvError {
            variable: name,
            problem: "missing (required with PIKA_AUTH_MODE=jwt)".to_string(),
        })
    };
    match get(AUTH_MODE).as_deref() {
        Some("authorizer") if function == FunctionKind::Api => Ok(AuthEnv::Authorizer),
        Some("authorizer") => Err(EnvError {
            variable: AUTH_MODE,
            problem: "\"authorizer\" is only for the api function; the stream function verifies tokens itself (\"jwt\")".to_string(),
        }),
        Some("jwt") => {
            let secret_arn = get(JWT_SECRET_ARN);
            let jwks_url = get(JWKS_URL);
            if secret_arn.is_none() && jwks_url.is_none() {
                return Err(EnvError {
                    variable: JWKS_URL,
                    problem: "missing: PIKA_AUTH_MODE=jwt needs PIKA_JWKS_URL or PIKA_JWT_SECRET_ARN".to_string(),
                });
            }
            Ok(AuthEnv::Jwt {
                secret_arn,
                jwks_url,
                issuer: need(JWT_ISSUER)?,
                audience: need(JWT_AUDIENCE)?,
                token_use: get(JWT_TOKEN_USE),
            })
        }
        Some(other) => Err(EnvError {
            variable: AUTH_MODE,
            problem: format!("{other:?} is neither \"jwt\" nor \"authorizer\""),
        }),
        None => Err(EnvError {
            variable: AUTH_MODE,
            problem: "missing".to_string(),
        }),
    }
}

//! What the authenticator is configured with, and the claims it reads from
//! a request extension or writes into development tokens.

use serde_json::{Map, Value};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Where the caller's identity comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Verify a bearer JWT ourselves.
    #[default]
    Jwt,
    /// Trust the claims API Gateway's authorizer put in the request context
    /// ([`AuthorizerClaims`]).
    AuthorizerContext,
}

/// Where the RS256/ES256 public keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    /// A JWKS file, read once at start-up.
    File(PathBuf),
    /// A JWKS URL (e.g. `https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json`),
    /// fetched at start-up with a 5 s timeout and kept fresh ([`JwksRefresh`]).
    Url(String),
    /// The JWKS document itself.
    Inline(String),
}

/// How a JWKS URL is kept fresh (see the `remote_keys` rules in
/// [`Authenticator`](super::Authenticator)'s documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwksRefresh {
    /// The least time between two fetches after a success (default 60 s):
    /// unknown `kid`s fetch the set again at most this often.
    pub min_interval: Duration,
    /// The least time between two fetches after a failure (default 5 s).
    pub after_error: Duration,
    /// A set older than this is fetched again (default 1 hour).
    pub max_age: Duration,
}

impl Default for JwksRefresh {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(60),
            after_error: Duration::from_secs(5),
            max_age: Duration::from_secs(3600),
        }
    }
}

/// The claim names the user's fields are read from (and, for development
/// tokens, written to). Each is a literal top-level key of the claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimNames {
    /// The user id; default `sub`.
    pub user_id: String,
    /// `internal-user` / `external-user`; default `userType`.
    pub user_type: String,
    /// The roles; default `roles`.
    pub roles: String,
    /// The custom data object; default `customData`.
    pub custom_data: String,
    /// The given name; default `firstName`.
    pub first_name: String,
    /// The family name; default `lastName`.
    pub last_name: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            user_id: "sub".to_string(),
            user_type: "userType".to_string(),
            roles: "roles".to_string(),
            custom_data: "customData".to_string(),
            first_name: "firstName".to_string(),
            last_name: "lastName".to_string(),
        }
    }
}

/// How requests are authenticated.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// Jwt or AuthorizerContext.
    pub mode: AuthMode,
    /// The HS256 shared secret (at least 32 bytes). Also signs development
    /// tokens ([`Authenticator::issue_dev_token`](super::Authenticator::issue_dev_token)).
    pub hs256_secret: Option<Vec<u8>>,
    /// The RS256/ES256 public keys.
    pub jwks: Option<JwksSource>,
    /// When set, a token's `iss` must equal it.
    pub issuer: Option<String>,
    /// When set, a token's `aud` must contain it.
    pub audience: Option<String>,
    /// Clock skew allowed for `exp` and `nbf`, in seconds (default 30, at
    /// most 3600).
    pub leeway_seconds: u64,
    /// Where the user's fields are read from.
    pub claims: ClaimNames,
    /// Whether a token must carry `exp` (default true).
    pub require_exp: bool,
    /// When set, a token's `token_use` must equal it (Cognito ID tokens:
    /// `id`; an access token is refused).
    pub token_use: Option<String>,
    /// How a JWKS URL is kept fresh.
    pub jwks_refresh: JwksRefresh,
}

impl AuthConfig {
    /// A configuration for `mode` with no keys and the defaults: leeway 30 s,
    /// default claim names, `exp` required.
    pub fn new(mode: AuthMode) -> Self {
        Self {
            mode,
            hs256_secret: None,
            jwks: None,
            issuer: None,
            audience: None,
            leeway_seconds: 30,
            claims: ClaimNames::default(),
            require_exp: true,
            token_use: None,
            jwks_refresh: JwksRefresh::default(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self::new(AuthMode::Jwt)
    }
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("mode", &self.mode)
            .field(
                "hs256_secret",
                &self.hs256_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("jwks", &self.jwks)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway_seconds", &self.leeway_seconds)
            .field("claims", &self.claims)
            .field("require_exp", &self.require_exp)
            .field("token_use", &self.token_use)
            .field("jwks_refresh", &self.jwks_refresh)
            .finish()
    }
}

/// The claims API Gateway's authorizer verified, as a request extension.
///
/// The Lambda entry point inserts it from the event's request context (the
/// JWT authorizer's `claims`, or a Lambda authorizer's context); in
/// [`AuthMode::AuthorizerContext`] it is the only source of identity. Values
/// may be strings where the token had arrays or objects (API Gateway flattens
/// them); the mapping accepts both.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthorizerClaims(pub Map<String, Value>);

/// What a development token says about its user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DevClaims {
    /// The user id (must be a valid [`UserId`](pika_domain::ids::UserId)).
    pub user_id: String,
    /// `internal-user` / `external-user`; absent means external.
    pub user_type: Option<String>,
    /// Role names.
    pub roles: Vec<String>,
    /// Custom data, e.g. `{"accountId": "a-17"}`.
    pub custom_data: Map<String, Value>,
    /// The given name.
    pub first_name: Option<String>,
    /// The family name.
    pub last_name: Option<String>,
}

impl DevClaims {
    /// Claims for `user_id` with no type, roles, data or names.
    pub fn new(user_id: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            ..Self::default()
        }
    }
}

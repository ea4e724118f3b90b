//! Authentication: who is calling (PIKA.md §2, §11).
//!
//! An [`Authenticator`] turns a request into a [`User`] in one of two modes:
//!
//! - [`AuthMode::Jwt`]: the request carries `Authorization: Bearer <jwt>`
//!   (or `x-chat-auth: Bearer <jwt>`, which wins when both are present: the
//!   streaming Function URL's `Authorization` header may hold an AWS
//!   signature). The token is verified here — algorithm chosen by the
//!   configuration, signature, `exp`, `nbf`, `iss`, `aud` — see
//!   [the token rules](self#token-rules).
//! - [`AuthMode::AuthorizerContext`]: API Gateway already verified the token;
//!   the Lambda entry point copies the authorizer's claims into the request's
//!   [`AuthorizerClaims`] extension and only that extension is read. Headers
//!   are never looked at, so a forged `Authorization` header cannot change
//!   who the caller is.
//!
//! Either way the claims are mapped to a [`User`] under configurable names
//! ([`ClaimNames`]); each name is a literal top-level claim key (so
//! `https://example.com/roles` or `custom:userType` work as they are).
//!
//! # Token rules
//!
//! - `alg: none` and every algorithm other than HS256, RS256 and ES256 are
//!   refused before anything else is looked at.
//! - HS256 is accepted only when [`AuthConfig::hs256_secret`] is set (at
//!   least 32 bytes); it is verified with that secret and nothing else.
//! - RS256 and ES256 are accepted only with a JWKS key whose `kid` equals
//!   the token's `kid` and whose type matches (RSA ≥ 2048 bits for RS256, EC
//!   P-256 for ES256). A token without `kid` may use the JWKS's key only when
//!   the set holds exactly one usable key. Keys named inside the token
//!   (`jku`, `jwk`, `x5u`) are never used; a `crit` header is refused.
//! - `exp` is required unless [`AuthConfig::require_exp`] is off; `exp` and
//!   `nbf` are checked against the system clock with
//!   [`AuthConfig::leeway_seconds`] of skew; `iss` must equal
//!   [`AuthConfig::issuer`] and `aud` must contain [`AuthConfig::audience`]
//!   when those are set (when no audience is set, `aud` is not checked).
//!
//! # JWKS
//!
//! A JWKS file or inline set ([`JwksSource`]) is loaded once, by
//! [`Authenticator::new`]. A URL is fetched then (5 s timeout) and kept
//! fresh ([`JwksRefresh`]): fetched again on an unknown `kid` (at most once
//! a minute) and when older than an hour; a failed fetch keeps the keys
//! held so far, and a failure at start-up starts with none rather than
//! stopping the process.
//!
//! # Token use
//!
//! With [`AuthConfig::token_use`] set (Cognito: `id`), a token's
//! `token_use` claim must equal it: a Cognito access token is refused where
//! ID tokens are expected.

mod caller;
mod claims;
mod config;
mod error;
mod jwks;
mod remote_keys;
mod token;

pub use caller::{CallerAuth, CallerRefused};
pub use config::{
    AuthConfig, AuthMode, AuthorizerClaims, ClaimNames, DevClaims, JwksRefresh, JwksSource,
};
pub use error::{AuthError, AuthSetupError};
pub use token::CHAT_AUTH_HEADER;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use pika_domain::ids::UserId;
use pika_domain::user::User;
use serde_json::{Map, Value};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The shortest HS256 secret we accept, in bytes.
const MIN_SECRET_BYTES: usize = 32;
/// The largest clock skew we accept, in seconds.
const MAX_LEEWAY_SECONDS: u64 = 3600;

/// Authenticates requests; built once per process from an [`AuthConfig`].
#[derive(Clone)]
pub struct Authenticator {
    mode: AuthMode,
    names: ClaimNames,
    verifier: token::Verifier,
    dev_key: Option<EncodingKey>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("mode", &self.mode)
            .field("names", &self.names)
            .field("verifier", &self.verifier)
            .field("dev_key", &self.dev_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Authenticator {
    /// Builds the authenticator, loading the JWKS (file, URL or inline) once.
    ///
    /// In [`AuthMode::AuthorizerContext`] no key is needed and the JWKS is
    /// not loaded; a configured secret is kept for development tokens only.
    ///
    /// # Errors
    /// - [`AuthSetupError::NoKeys`] in Jwt mode without a secret or a JWKS.
    /// - [`AuthSetupError::WeakSecret`] for a secret under 32 bytes.
    /// - [`AuthSetupError::JwksRead`], [`AuthSetupError::JwksFetch`],
    ///   [`AuthSetupError::JwksInvalid`] when the JWKS cannot be loaded or
    ///   holds no usable key.
    /// - [`AuthSetupError::Config`] for a leeway over 3600 s or an empty
    ///   claim name.
    pub async fn new(config: AuthConfig) -> Result<Self, AuthSetupError> {
        if config.leeway_seconds > MAX_LEEWAY_SECONDS {
            return Err(AuthSetupError::Config(format!(
                "leeway_seconds is {}; at most {MAX_LEEWAY_SECONDS} is allowed",
                config.leeway_seconds
            )));
        }
        let names = &config.claims;
        for (field, name) in [
            ("user_id", &names.user_id),
            ("user_type", &names.user_type),
            ("roles", &names.roles),
            ("custom_data", &names.custom_data),
            ("first_name", &names.first_name),
            ("last_name", &names.last_name),
        ] {
            if name.trim().is_empty() {
                return Err(AuthSetupError::Config(format!(
                    "the claim name for {field} is empty"
                )));
            }
        }
        if let Some(secret) = &config.hs256_secret {
            if secret.len() < MIN_SECRET_BYTES {
                return Err(AuthSetupError::WeakSecret { len: secret.len() });
            }
        }
        let keys = match (config.mode, &config.jwks) {
            (AuthMode::Jwt, Some(JwksSource::Url(url))) => {
                Some(remote_keys::Keys::Remote(std::sync::Arc::new(
                    remote_keys::RemoteKeys::start(url.clone(), config.jwks_refresh).await,
                )))
            }
            (AuthMode::Jwt, Some(source)) => Some(remote_keys::Keys::Fixed(std::sync::Arc::new(
                jwks::KeySet::load(source).await?,
            ))),
            _ => None,
        };
        if config.mode == AuthMode::Jwt && config.hs256_secret.is_none() && keys.is_none() {
            return Err(AuthSetupError::NoKeys);
        }
        let verifier = token::Verifier {
            hs256: match config.mode {
                AuthMode::Jwt => config.hs256_secret.as_deref().map(DecodingKey::from_secret),
                AuthMode::AuthorizerContext => None,
            },
            keys,
            issuer: config.issuer,
            audience: config.audience,
            leeway_seconds: config.leeway_seconds,
            require_exp: config.require_exp,
            token_use: config.token_use,
        };
        Ok(Self {
            mode: config.mode,
            names: config.claims,
            verifier,
            dev_key: config.hs256_secret.as_deref().map(EncodingKey::from_secret),
        })
    }

    /// The mode this authenticator runs in.
    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    /// The user a request comes from.
    ///
    /// # Errors
    /// - [`AuthError::Missing`]: no bearer token (Jwt mode), no
    ///   [`AuthorizerClaims`] extension (authorizer-context mode).
    /// - [`AuthError::Malformed`]: not a bearer JWT.
    /// - [`AuthError::Expired`], [`AuthError::NotYetValid`]: `exp` / `nbf`.
    /// - [`AuthError::Invalid`]: anything else — algorithm, key, signature,
    ///   issuer, audience, a missing or invalid user id, an unreadable claim.
    pub async fn authenticate(&self, parts: &::http::request::Parts) -> Result<User, AuthError> {
        match self.mode {
            AuthMode::AuthorizerContext => {
                let claims = parts
                    .extensions
                    .get::<AuthorizerClaims>()
                    .ok_or(AuthError::Missing)?;
                claims::to_user(&claims.0, &self.names)
            }
            AuthMode::Jwt => {
                let token = token::bearer_token(&parts.headers)?;
                let claims = self.verifier.verify(token).await?;
                claims::to_user(&claims, &self.names)
            }
        }
    }

    /// Signs an HS256 development token for `claims`, valid from `now` for
    /// `ttl` (whole seconds), written under the configured claim names and
    /// carrying the configured issuer and audience, so that
    /// [`Authenticator::authenticate`] accepts it in Jwt mode.
    ///
    /// For the local server's `POST /dev/token` and `pika-local token`;
    /// never expose it from a Lambda.
    ///
    /// # Errors
    /// - [`AuthError::NotConfigured`] when no HS256 secret is configured.
    /// - [`AuthError::Invalid`] for an invalid user id, a zero `ttl`, or a
    ///   `now` before 1970.
    /// - [`AuthError::Internal`] if signing fails.
    pub fn issue_dev_token(
        &self,
        claims: DevClaims,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<String, AuthError> {
        let key = self.dev_key.as_ref().ok_or_else(|| {
            AuthError::NotConfigured("development tokens need an HS256 secret".to_string())
        })?;
        let user_id = UserId::parse(claims.user_id)
            .map_err(|e| AuthError::Invalid(format!("development token: {e}")))?;
        if ttl.as_secs() == 0 {
            return Err(AuthError::Invalid(
                "development token: the ttl must be at least one second".to_string(),
            ));
        }
        let iat = now
            .duration_since(UNIX_EPOCH)
            .map_err(|_| AuthError::Invalid("development token: `now` is before 1970".to_string()))?
            .as_secs();
        let exp = iat.saturating_add(ttl.as_secs());

        let names = &self.names;
        let mut payload = Map::new();
        payload.insert(names.user_id.clone(), Value::String(user_id.to_string()));
        if let Some(user_type) = claims.user_type {
            payload.insert(names.user_type.clone(), Value::String(user_type));
        }
        payload.insert(
            names.roles.clone(),
            Value::Array(claims.roles.into_iter().map(Value::String).collect()),
        );
        payload.insert(names.custom_data.clone(), Value::Object(claims.custom_data));
        if let Some(first) = claims.first_name {
            payload.insert(names.first_name.clone(), Value::String(first));
        }
        if let Some(last) = claims.last_name {
            payload.insert(names.last_name.clone(), Value::String(last));
        }
        if let Some(issuer) = &self.verifier.issuer {
            payload.insert("iss".to_string(), Value::String(issuer.clone()));
        }
        if let Some(audience) = &self.verifier.audience {
            payload.insert("aud".to_string(), Value::String(audience.clone()));
        }
        payload.insert("iat".to_string(), Value::from(iat));
        payload.insert("exp".to_string(), Value::from(exp));

        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &payload, key)
            .map_err(|e| AuthError::Internal(format!("signing the development token: {e}")))
    }
}

//! Bearer JWTs: finding them in the request, choosing the key, verifying.
//!
//! The configuration, never the token, decides which algorithms are
//! accepted. The token's header is read first: `alg: none` and every
//! algorithm other than HS256, RS256 and ES256 are refused; HS256 is accepted
//! only when a shared secret is configured, RS256 and ES256 only with a JWKS
//! key whose `kid` and key type match. An HS256 token "signed" with an RSA
//! public key therefore fails: HS256 is verified with the configured secret
//! or not at all.

use super::error::AuthError;
use super::remote_keys::Keys;
use ::http::header::{HeaderMap, HeaderName, AUTHORIZATION};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

/// The header the streaming Function URL carries the bearer token in (its
/// `Authorization` header may hold an AWS signature instead).
pub const CHAT_AUTH_HEADER: &str = "x-chat-auth";
/// The longest token we look at.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The bearer token of a request: `x-chat-auth` when present, otherwise
/// `Authorization`. Each must read `Bearer <token>` (scheme case-insensitive).
///
/// # Errors
/// [`AuthError::Missing`] when neither header is there;
/// [`AuthError::Malformed`] when the chosen header is repeated, is not a
/// bearer credential, or the token is empty or too long.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    let chat_auth = HeaderName::from_static(CHAT_AUTH_HEADER);
    let (name, value) = match single(headers, &chat_auth)? {
        Some(value) => (CHAT_AUTH_HEADER, value),
        None => match single(headers, &AUTHORIZATION)? {
            Some(value) => ("authorization", value),
            None => return Err(AuthError::Missing),
        },
    };
    let text = value
        .to_str()
        .map_err(|_| malformed(format!("the {name} header is not visible ASCII")))?
        .trim();
    let (scheme, token) = text
        .split_once(' ')
        .ok_or_else(|| malformed(format!("the {name} header is not a bearer credential")))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(malformed(format!(
            "the {name} header is not a bearer credential"
        )));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(malformed(format!("the {name} header holds an empty token")));
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(malformed(format!(
            "the token is longer than {MAX_TOKEN_BYTES} bytes"
        )));
    }
    Ok(token)
}

fn single<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> Result<Option<&'a ::http::HeaderValue>, AuthError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(malformed(format!("more than one {name} header")));
    }
    Ok(first)
}

fn malformed(reason: impl Into<String>) -> AuthError {
    AuthError::Malformed(reason.into())
}

fn invalid(reason: impl Into<String>) -> AuthError {
    AuthError::Invalid(reason.into())
}

/// What we read from a token's header before trusting anything else in it.
#[derive(Debug)]
struct TokenHeader {
    alg: Algorithm,
    kid: Option<String>,
}

/// Checks the token's shape — three base64url parts, a header and a payload
/// that are JSON objects — then reads and checks the JOSE header.
fn read_header(token: &str) -> Result<TokenHeader, AuthError> {
    let segments: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = segments.as_slice() else {
        return Err(malformed("a JWT has three dot-separated parts"));
    };
    let header = json_object(header)
        .ok_or_else(|| malformed("the header is not a base64url JSON object"))?;
    if json_object(payload).is_none() {
        return Err(malformed("the payload is not a base64url JSON object"));
    }
    if URL_SAFE_NO_PAD.decode(signature).is_err() {
        return Err(malformed("the signature is not base64url"));
    }
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg.as_str(),
        _ => return Err(malformed("the header has no `alg`")),
    };
    let alg = match alg {
        "HS256" => Algorithm::HS256,
        "RS256" => Algorithm::RS256,
        "ES256" => Algorithm::ES256,
        none if none.eq_ignore_ascii_case("none") => {
            return Err(invalid("unsigned tokens (alg none) are not accepted"))
        }
        _ => {
            return Err(invalid(
                "the token's algorithm is not accepted (only HS256, RS256, ES256)",
            ))
        }
    };
    let kid = match header.get("kid") {
        None | Some(Value::Null) => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(malformed("the header's `kid` is not a string")),
    };
    if header.contains_key("crit") {
        return Err(invalid(
            "critical header extensions (`crit`) are not supported",
        ));
    }
    Ok(TokenHeader { alg, kid })
}

/// A base64url segment holding a JSON object.
fn json_object(segment: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Verifies tokens against the configured keys and rules.
#[derive(Clone)]
pub(crate) struct Verifier {
    /// The HS256 secret, when configured.
    pub(crate) hs256: Option<DecodingKey>,
    /// The RS256/ES256 keys, when configured.
    pub(crate) keys: Option<Keys>,
    /// Required `iss`, when configured.
    pub(crate) issuer: Option<String>,
    /// Required member of `aud`, when configured.
    pub(crate) audience: Option<String>,
    /// Clock skew allowed for `exp` and `nbf`.
    pub(crate) leeway_seconds: u64,
    /// Whether `exp` must be present.
    pub(crate) require_exp: bool,
    /// Required `token_use` (Cognito: `id`), when configured.
    pub(crate) token_use: Option<String>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("hs256", &self.hs256.as_ref().map(|_| "<redacted>"))
            .field("keys", &self.keys)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway_seconds", &self.leeway_seconds)
            .field("require_exp", &self.require_exp)
            .field("token_use", &self.token_use)
            .finish()
    }
}

impl Verifier {
    /// Verifies `token` and returns its claims.
    ///
    /// # Errors
    /// [`AuthError::Malformed`] for a token that is not a JWT;
    /// [`AuthError::Expired`] / [`AuthError::NotYetValid`] for `exp` / `nbf`
    /// outside the leeway; [`AuthError::Invalid`] for everything else.
    pub(crate) async fn verify(&self, token: &str) -> Result<Map<String, Value>, AuthError> {
        let header = read_header(token)?;
        let set;
        let key = match header.alg {
            Algorithm::HS256 => self.hs256.as_ref().ok_or_else(|| {
                invalid("HS256 tokens are not accepted: no shared secret is configured")
            })?,
            alg => {
                let keys = self.keys.as_ref().ok_or_else(|| {
                    invalid(format!(
                        "{alg:?} tokens are not accepted: no JWKS is configured"
                    ))
                })?;
                set = keys.for_kid(header.kid.as_deref()).await?;
                set.select(alg, header.kid.as_deref())?
            }
        };
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, key, &self.validation(header.alg))
                .map_err(|e| from_jwt_error(e.kind()))?;
        if let Some(expected) = &self.token_use {
            // A Cognito access token is not an ID token: it carries no
            // user attributes, and is meant for resource servers.
            if data.claims.get("token_use").and_then(Value::as_str) != Some(expected.as_str()) {
                return Err(invalid(format!(
                    "the token is not an `{expected}` token (`token_use`)"
                )));
            }
        }
        for claim in ["exp", "nbf", "iat"] {
            if let Some(value) = data.claims.get(claim) {
                if !value.is_number() {
                    return Err(invalid(format!("claim `{claim}` is not a number")));
                }
            }
        }
        Ok(data.claims)
    }

    /// The rules for a token signed with `alg`: that algorithm only.
    fn validation(&self, alg: Algorithm) -> Validation {
        let mut validation = Validation::new(alg);
        validation.leeway = self.leeway_seconds;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let mut required: Vec<&str> = Vec::new();
        if self.require_exp {
            required.push("exp");
        }
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        match &self.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            // No audience configured: `aud` is not checked at all.
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        validation
    }
}

/// Maps a verification failure to our error, with a reason for the logs.
fn from_jwt_error(kind: &ErrorKind) -> AuthError {
    match kind {
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        // The shape was checked before: what remains is a header field or a
        // registered claim (`sub`, `iss`, `aud`…) of the wrong type.
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => invalid("a header field or registered claim has the wrong type"),
        ErrorKind::InvalidSignature => invalid("the signature does not match"),
        ErrorKind::InvalidIssuer => invalid("the issuer (`iss`) is not the configured one"),
        ErrorKind::InvalidAudience => {
            invalid("the audience (`aud`) does not contain the configured one")
        }
        ErrorKind::MissingRequiredClaim(claim) => {
            invalid(format!("required claim `{claim}` is missing or not valid"))
        }
        ErrorKind::InvalidAlgorithm => invalid("the algorithm does not match the key"),
        ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidKeyFormat => {
            invalid("the key cannot verify this token")
        }
        other => invalid(format!("verification failed ({other:?})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::http::HeaderValue;

    #[test]
    fn x_chat_auth_wins_over_authorization() {
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_static("AWS4-HMAC-SHA256 x"),
        );
        headers.insert(CHAT_AUTH_HEADER, HeaderValue::from_static("Bearer a.b.c"));
        assert_eq!(bearer_token(&headers).unwrap(), "a.b.c");
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_required() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer  a.b.c "));
        assert_eq!(bearer_token(&headers).unwrap(), "a.b.c");
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic dXNlcg=="));
        assert!(matches!(
            bearer_token(&headers),
            Err(AuthError::Malformed(_))
        ));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert!(matches!(
            bearer_token(&headers),
            Err(AuthError::Malformed(_))
        ));
    }

    #[test]
    fn repeated_headers_are_refused() {
        let mut headers = HeaderMap::new();
        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer a.b.c"));
        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer d.e.f"));
        assert!(matches!(
            bearer_token(&headers),
            Err(AuthError::Malformed(_))
        ));
    }

    #[test]
    fn other_algorithms_are_refused_from_the_header() {
        for alg in ["none", "NONE", "HS512", "RS384", "PS256", "EdDSA"] {
            let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}"}}"#));
            let token = format!("{header}.e30.sig");
            assert!(
                matches!(read_header(&token), Err(AuthError::Invalid(_))),
                "{alg}"
            );
        }
    }

    #[test]
    fn crit_headers_are_refused() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","crit":["b64"],"b64":false}"#);
        let token = format!("{header}.e30.sig");
        assert!(matches!(read_header(&token), Err(AuthError::Invalid(_))));
    }
}

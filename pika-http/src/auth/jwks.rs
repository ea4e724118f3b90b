//! The public keys a token may be signed with (RS256 and ES256), loaded once
//! from a JSON Web Key Set.
//!
//! Only the keys the configuration names are trusted: a token's own `jku`,
//! `jwk` or `x5u` headers are never followed. A key is kept when it is an RSA
//! key of at least 2048 bits or an EC key on P-256, is meant for signatures
//! (`use` absent or `sig`) and does not name another algorithm (`alg` absent,
//! `RS256` for RSA, `ES256` for EC). Other keys (symmetric `oct` keys, other
//! curves, encryption keys) are skipped with a warning, so a provider's set
//! that also lists keys we do not use still loads.

use super::error::{AuthError, AuthSetupError};
use super::JwksSource;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;
use std::time::Duration;

/// How long fetching a JWKS by URL may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest JWKS we accept (1 MiB).
const MAX_JWKS_BYTES: usize = 1024 * 1024;
/// The smallest RSA modulus we accept, in bytes (2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;

/// Which algorithm a key verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    /// An RSA key, for RS256.
    Rsa,
    /// An EC key on P-256, for ES256.
    EcP256,
}

impl KeyKind {
    fn algorithm(self) -> Algorithm {
        match self {
            Self::Rsa => Algorithm::RS256,
            Self::EcP256 => Algorithm::ES256,
        }
    }
}

/// One usable key of the set.
#[derive(Clone)]
struct JwkKey {
    kid: Option<String>,
    kind: KeyKind,
    key: DecodingKey,
}

/// The usable keys of a JWKS.
#[derive(Clone)]
pub(crate) struct KeySet {
    keys: Vec<JwkKey>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| (k.kid.as_deref(), k.kind)))
            .finish()
    }
}

impl KeySet {
    /// Loads the set from its source: reads the file, fetches the URL (once,
    /// with a 5 s timeout) or parses the inline text.
    pub(crate) async fn load(source: &JwksSource) -> Result<Self, AuthSetupError> {
        match source {
            JwksSource::Inline(text) => Self::parse(text),
            JwksSource::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| AuthSetupError::JwksRead {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                Self::parse(&text)
            }
            JwksSource::Url(url) => {
                let text = fetch(url)
                    .await
                    .map_err(|reason| AuthSetupError::JwksFetch {
                        url: url.clone(),
                        reason,
                    })?;
                Self::parse(&text)
            }
        }
    }

    /// Parses a JWKS document (`{"keys": [...]}`), keeping the usable keys.
    pub(crate) fn parse(text: &str) -> Result<Self, AuthSetupError> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| AuthSetupError::JwksInvalid(format!("not JSON: {e}")))?;
        let raw_keys = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| AuthSetupError::JwksInvalid("no `keys` array".to_string()))?;
        let mut keys: Vec<JwkKey> = Vec::new();
        for (index, raw) in raw_keys.iter().enumerate() {
            match parse_key(raw) {
                Ok(key) => {
                    if keys.iter().any(|k| k.kid == key.kid && k.kind == key.kind) {
                        return Err(AuthSetupError::JwksInvalid(format!(
                            "two {:?} keys share the kid {:?}",
                            key.kind, key.kid
                        )));
                    }
                    keys.push(key);
                }
                Err(reason) => {
                    tracing::warn!(key = index, %reason, "JWKS key skipped");
                }
            }
        }
        if keys.is_empty() {
            return Err(AuthSetupError::JwksInvalid(
                "no usable RS256 (RSA) or ES256 (EC P-256) signing key".to_string(),
            ));
        }
        Ok(Self { keys })
    }

    /// A set with no key: what a process holds before its first fetch of a
    /// JWKS URL succeeded (every RS256/ES256 token is refused).
    pub(crate) fn empty() -> Self {
        Self { keys: Vec::new() }
    }

    /// Whether a key of the set has `kid`.
    pub(crate) fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }

    /// The key that verifies a token signed with `alg` (RS256 or ES256) and
    /// naming `kid`.
    ///
    /// A token with a `kid` needs a key with that `kid`; a token without one
    /// may only use the set's key when the set holds exactly one. Either way
    /// the key's type must match `alg`.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for an unknown `kid`, a missing `kid` with
    /// several keys, or a key of the wrong type.
    pub(crate) fn select(
        &self,
        alg: Algorithm,
        kid: Option<&str>,
    ) -> Result<&DecodingKey, AuthError> {
        let candidates: Vec<&JwkKey> = match kid {
            Some(kid) => self
                .keys
                .iter()
                .filter(|k| k.kid.as_deref() == Some(kid))
                .collect(),
            None if self.keys.len() == 1 => self.keys.iter().collect(),
            None => {
                return Err(AuthError::Invalid(format!(
                    "the token has no kid and the JWKS holds {} keys",
                    self.keys.len()
                )))
            }
        };
        if candidates.is_empty() {
            return Err(AuthError::Invalid(
                "the token's kid names no key of the JWKS".to_string(),
            ));
        }
        candidates
            .into_iter()
            .find(|k| k.kind.algorithm() == alg)
            .map(|k| &k.key)
            .ok_or_else(|| {
                AuthError::Invalid(format!(
                    "the key the token names cannot verify {alg:?} (wrong key type)"
                ))
            })
    }
}

/// Fetches the JWKS text at `url`.
pub(crate) async fn fetch(url: &str) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let response = client
        .get(url)
        .header(::http::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| e.to_string())?
        .error_for_status()
        .map_err(|e| e.to_string())?;
    if response
        .content_length()
        .is_some_and(|len| len > MAX_JWKS_BYTES as u64)
    {
        return Err(format!("larger than {MAX_JWKS_BYTES} bytes"));
    }
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if body.len() > MAX_JWKS_BYTES {
        return Err(format!("larger than {MAX_JWKS_BYTES} bytes"));
    }
    String::from_utf8(body.to_vec()).map_err(|_| "the body is not UTF-8".to_string())
}

/// One JWK, or why it is skipped.
fn parse_key(raw: &Value) -> Result<JwkKey, String> {
    let field = |name: &str| raw.get(name).and_then(Value::as_str);
    let kid = match raw.get("kid") {
        None | Some(Value::Null) => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err("`kid` is not a string".to_string()),
    };
    if let Some(usage) = field("use") {
        if usage != "sig" {
            return Err(format!("`use` is {usage:?}, not \"sig\""));
        }
    }
    let kty = field("kty").ok_or("no `kty`")?;
    let (kind, key) = match kty {
        "RSA" => {
            let n = field("n").ok_or("RSA key without `n`")?;
            let e = field("e").ok_or("RSA key without `e`")?;
            let modulus = URL_SAFE_NO_PAD
                .decode(n)
                .map_err(|_| "RSA `n` is not base64url")?;
            let significant = modulus.iter().skip_while(|b| **b == 0).count();
            if significant < MIN_RSA_MODULUS_BYTES {
                return Err(format!(
                    "RSA key of {} bits; at least 2048 are required",
                    significant * 8
                ));
            }
            let key = DecodingKey::from_rsa_components(n, e).map_err(|e| e.to_string())?;
            (KeyKind::Rsa, key)
        }
        "EC" => {
            let crv = field("crv").ok_or("EC key without `crv`")?;
            if crv != "P-256" {
                return Err(format!("EC curve {crv:?} is not supported (only P-256)"));
            }
            let x = field("x").ok_or("EC key without `x`")?;
            let y = field("y").ok_or("EC key without `y`")?;
            for (name, coordinate) in [("x", x), ("y", y)] {
                let bytes = URL_SAFE_NO_PAD
                    .decode(coordinate)
                    .map_err(|_| format!("EC `{name}` is not base64url"))?;
                if bytes.len() != 32 {
                    return Err(format!("EC `{name}` is not 32 bytes"));
                }
            }
            let key = DecodingKey::from_ec_components(x, y).map_err(|e| e.to_string())?;
            (KeyKind::EcP256, key)
        }
        other => return Err(format!("key type {other:?} is not used for RS256/ES256")),
    };
    if let Some(alg) = field("alg") {
        let expected = match kind {
            KeyKind::Rsa => "RS256",
            KeyKind::EcP256 => "ES256",
        };
        if alg != expected {
            return Err(format!("key is for {alg:?}, not {expected}"));
        }
    }
    Ok(JwkKey { kid, kind, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_without_usable_keys_is_refused() {
        let oct = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#;
        assert!(matches!(
            KeySet::parse(oct),
            Err(AuthSetupError::JwksInvalid(_))
        ));
        assert!(matches!(
            KeySet::parse("{}"),
            Err(AuthSetupError::JwksInvalid(_))
        ));
        assert!(matches!(
            KeySet::parse("not json"),
            Err(AuthSetupError::JwksInvalid(_))
        ));
    }

    #[test]
    fn short_rsa_keys_and_other_curves_are_skipped() {
        let small_n = URL_SAFE_NO_PAD.encode([0xC5u8; 128]);
        let set = format!(
            r#"{{"keys":[{{"kty":"RSA","n":"{small_n}","e":"AQAB"}},
               {{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}}]}}"#
        );
        assert!(matches!(
            KeySet::parse(&set),
            Err(AuthSetupError::JwksInvalid(_))
        ));
    }
}

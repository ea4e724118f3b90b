//! Signed, expiring file URLs: what they carry, how they are signed, and how
//! the local server's file routes check them.

use super::keys::decode_component;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use pika_domain::chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::Sha256;
use std::fmt;

/// Domain separation: a signature of this scheme, version 1.
const SCHEME: &[u8] = b"pika-local-files-v1";

/// What a signed URL lets its bearer do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedMethod {
    /// Write the key once, with the signed content type and length.
    Put,
    /// Read the key.
    Get,
}

impl SignedMethod {
    /// `PUT` or `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Put => "PUT",
            Self::Get => "GET",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "PUT" => Some(Self::Put),
            "GET" => Some(Self::Get),
            _ => None,
        }
    }
}

/// The query of a signed URL: `method`, `expires` (Unix seconds), `ct` and
/// `len` (uploads only) and `sig`. Deserializes from the query string, so a
/// route can take it with axum's `Query` extractor.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SignedQuery {
    /// `PUT` or `GET`.
    pub method: String,
    /// When the URL stops working, in seconds since the Unix epoch.
    pub expires: i64,
    /// The content type an upload must send.
    #[serde(default)]
    pub ct: Option<String>,
    /// The exact length an upload must send.
    #[serde(default)]
    pub len: Option<u64>,
    /// The signature, unpadded base64url of an HMAC-SHA256.
    pub sig: String,
}

impl SignedQuery {
    /// Parses a raw query string (without the `?`).
    ///
    /// # Errors
    /// [`UrlError::Malformed`] when a parameter is missing, repeated, badly
    /// escaped or not a number where one is needed.
    pub fn parse(raw: &str) -> Result<Self, UrlError> {
        let (mut method, mut expires, mut ct, mut len, mut sig) = (None, None, None, None, None);
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode_component(value).ok_or(UrlError::Malformed)?;
            let slot = match decode_component(name).as_deref() {
                Some("method") => &mut method,
                Some("expires") => &mut expires,
                Some("ct") => &mut ct,
                Some("len") => &mut len,
                Some("sig") => &mut sig,
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(UrlError::Malformed);
            }
        }
        let expires = expires.ok_or(UrlError::Malformed)?;
        let len = match len {
            Some(len) => Some(len.parse().map_err(|_| UrlError::Malformed)?),
            None => None,
        };
        Ok(Self {
            method: method.ok_or(UrlError::Malformed)?,
            expires: expires.parse().map_err(|_| UrlError::Malformed)?,
            ct,
            len,
            sig: sig.ok_or(UrlError::Malformed)?,
        })
    }
}

/// An incoming request on a signed file URL, as the route sees it.
#[derive(Debug, Clone, Copy)]
pub struct FileRequest<'a> {
    /// The key, percent-decoded from the path after `/files/`.
    pub key: &'a str,
    /// The HTTP method.
    pub method: &'a str,
    /// The URL's query.
    pub query: &'a SignedQuery,
    /// The request's `Content-Type` (uploads).
    pub content_type: Option<&'a str>,
    /// The request's `Content-Length` (uploads).
    pub content_length: Option<u64>,
}

/// A request whose URL checked out: only [`LocalFileStore::verify`] makes
/// one, and the store's route helpers take nothing else.
///
/// [`LocalFileStore::verify`]: super::LocalFileStore::verify
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRequest {
    pub(super) key: String,
    pub(super) method: SignedMethod,
    pub(super) content_type: Option<String>,
    pub(super) content_length: Option<u64>,
    pub(super) expires_at: DateTime<Utc>,
}

impl VerifiedRequest {
    /// The key it may read or write.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// What it may do.
    pub fn method(&self) -> SignedMethod {
        self.method
    }

    /// The content type an upload must store.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The exact length of an upload.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// When its URL stops working.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
}

/// Why a signed URL was refused. A server answers `400` for
/// [`UrlError::Malformed`] and `403` for the rest, as S3 does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlError {
    /// A parameter is missing or unreadable.
    Malformed,
    /// The key is one the store refuses.
    BadKey,
    /// The signature does not match the key and parameters.
    BadSignature,
    /// The URL has expired.
    Expired,
    /// The request's method is not the signed one.
    WrongMethod,
    /// The upload's content type is not the signed one.
    WrongContentType,
    /// The upload's length is not the signed one.
    WrongLength,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "malformed signed URL",
            Self::BadKey => "refused object key",
            Self::BadSignature => "signature does not match",
            Self::Expired => "signed URL has expired",
            Self::WrongMethod => "method differs from the signed one",
            Self::WrongContentType => "content type differs from the signed one",
            Self::WrongLength => "content length differs from the signed one",
        })
    }
}

impl std::error::Error for UrlError {}

/// The MAC over everything a URL binds, each part length-prefixed so no
/// two sets of parts share an input; `None` for an empty key.
fn mac(
    secret: &[u8],
    key: &str,
    method: &str,
    expires: i64,
    ct: Option<&str>,
    len: Option<u64>,
) -> Option<Hmac<Sha256>> {
    if secret.is_empty() {
        return None;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    let expires = expires.to_string();
    let len = len.map(|n| n.to_string()).unwrap_or_default();
    for part in [
        SCHEME,
        key.as_bytes(),
        method.as_bytes(),
        expires.as_bytes(),
        ct.unwrap_or_default().as_bytes(),
        len.as_bytes(),
    ] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    Some(mac)
}

/// The signature of a URL, or `None` when there is no signing key.
pub(super) fn sign(
    secret: &[u8],
    key: &str,
    method: SignedMethod,
    expires: i64,
    ct: Option<&str>,
    len: Option<u64>,
) -> Option<String> {
    let mac = mac(secret, key, method.as_str(), expires, ct, len)?;
    Some(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// Checks `req` against its signature (in constant time), then its expiry
/// at `now`, its method, and for uploads its content type and length.
pub(super) fn verify(
    secret: &[u8],
    req: &FileRequest<'_>,
    now: DateTime<Utc>,
) -> Result<VerifiedRequest, UrlError> {
    let q = req.query;
    let signed = SignedMethod::parse(&q.method).ok_or(UrlError::Malformed)?;
    let sig = URL_SAFE_NO_PAD
        .decode(&q.sig)
        .map_err(|_| UrlError::BadSignature)?;
    let mac = mac(
        secret,
        req.key,
        &q.method,
        q.expires,
        q.ct.as_deref(),
        q.len,
    )
    .ok_or(UrlError::BadSignature)?;
    mac.verify_slice(&sig).map_err(|_| UrlError::BadSignature)?;
    let expires_at = DateTime::from_timestamp(q.expires, 0).ok_or(UrlError::Malformed)?;
    if now.timestamp() > q.expires {
        return Err(UrlError::Expired);
    }
    if !req.method.eq_ignore_ascii_case(signed.as_str()) {
        return Err(UrlError::WrongMethod);
    }
    if signed == SignedMethod::Put {
        if q.ct.is_none() || req.content_type != q.ct.as_deref() {
            return Err(UrlError::WrongContentType);
        }
        if q.len.is_none() || req.content_length != q.len {
            return Err(UrlError::WrongLength);
        }
    }
    Ok(VerifiedRequest {
        key: req.key.to_string(),
        method: signed,
        content_type: q.ct.clone(),
        content_length: q.len,
        expires_at,
    })
}

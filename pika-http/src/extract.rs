//! Extractors whose rejections are problem documents: a body that is not
//! JSON, a path id that does not parse, a query of the wrong type — each is a
//! 4xx with a stable code, never axum's plain-text rejection.

use super::problem::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use pika_domain::user::User;
use serde::de::DeserializeOwned;

/// A JSON body.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::invalid(
                "send the body as JSON with 'Content-Type: application/json'",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::too_large("the request body is too large")
                } else {
                    ApiError::invalid(format!("the body could not be read: {}", e.body_text()))
                }
            })?;
        // Every body of this API is an object; serde would read a struct
        // from an array of its fields in order, which no schema allows.
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{')
            && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok()
        {
            return Err(ApiError::invalid("the body must be a JSON object"));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rejection) => {
                if matches!(rejection, JsonRejection::JsonDataError(_)) {
                    if let Some(v) = with_whole_numbers(&bytes) {
                        return Ok(Self(v));
                    }
                }
                Err(json_rejection(&rejection))
            }
        }
    }
}

/// `application/json` or `application/…+json`, as axum's `Json` takes.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// The body read again with numbers written `445.0` taken as the whole
/// numbers they name, when it holds any (else the first error stands).
fn with_whole_numbers<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if !whole_numbers(&mut value) {
        return None;
    }
    serde_json::from_value(value).ok()
}

/// A number written with a zero fraction (`445.0`) is the whole number it
/// names: JSON has one number type, JSON Schema's `integer` accepts it, and
/// clients whose language has one number type send it so. Whether any was
/// rewritten.
fn whole_numbers(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            // Past 2^53 a float no longer names one whole number.
            const EXACT: f64 = 9_007_199_254_740_992.0;
            match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() <= EXACT => {
                    // In range: the cast is exact.
                    *n = serde_json::Number::from(f as i64);
                    true
                }
                _ => false,
            }
        }
        serde_json::Value::Array(items) => {
            let mut any = false;
            for v in items.iter_mut() {
                any |= whole_numbers(v);
            }
            any
        }
        serde_json::Value::Object(map) => {
            let mut any = false;
            for v in map.values_mut() {
                any |= whole_numbers(v);
            }
            any
        }
        _ => false,
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::too_large("the request body is too large");
    }
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::invalid("send the body as JSON with 'Content-Type: application/json'")
        }
        JsonRejection::JsonSyntaxError(_) => ApiError::invalid("the body is not valid JSON"),
        JsonRejection::JsonDataError(e) => ApiError::invalid(format!(
            "the body does not have the expected shape: {}",
            e.body_text()
        )),
        other => ApiError::invalid(format!("the body could not be read: {}", other.body_text())),
    }
}

/// Path parameters.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Self(v)),
            Err(rejection) => Err(path_rejection(&rejection)),
        }
    }
}

fn path_rejection(rejection: &PathRejection) -> ApiError {
    ApiError::invalid(format!("invalid path parameter: {}", rejection.body_text()))
}

/// Query parameters.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Self(v)),
            Err(rejection) => Err(query_rejection(&rejection)),
        }
    }
}

fn query_rejection(rejection: &QueryRejection) -> ApiError {
    ApiError::invalid(format!("invalid query: {}", rejection.body_text()))
}

/// The authenticated caller, put in the request's extensions by the
/// authentication middleware.
#[derive(Debug, Clone)]
pub struct Caller(pub User);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<User>()
            .cloned()
            .map(Self)
            .ok_or_else(|| ApiError::unauthenticated("sign in first"))
    }
}

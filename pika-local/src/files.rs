//! The local server's file routes: the targets of the presigned URLs the
//! file store hands out (`PUT`/`GET /files/{key}?…&sig=…`). Each request is
//! checked against its HMAC signature, expiry, method, content type and
//! length; nothing else can reach the files. An upload is checked on its
//! headers (the announced `Content-Length` is part of what is signed)
//! before a byte of its body is read, and the body may not be longer.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use pika_http::extract::ApiPath;
use pika_http::problem::ApiError;
use pika_local_adapters::files::{FileRequest, LocalFileStore, SignedQuery};
use std::sync::Arc;

/// Largest upload the route reads.
const MAX_UPLOAD: usize = 64 * 1024 * 1024;

/// `GET` and `PUT /files/{*key}`.
pub fn routes(store: Arc<LocalFileStore>) -> Router {
    Router::new()
        .route("/files/{*key}", get(serve).put(serve))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD))
        .with_state(store)
}

async fn serve(
    State(store): State<Arc<LocalFileStore>>,
    method: Method,
    ApiPath(key): ApiPath<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match handle(
        &store,
        &method,
        &key,
        query.as_deref().unwrap_or(""),
        &headers,
        body,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(
    store: &LocalFileStore,
    method: &Method,
    key: &str,
    query: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let denied = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this file URL is not valid (expired, altered or for another request)",
        )
    };
    let signed = SignedQuery::parse(query).map_err(|_| denied())?;
    let request = FileRequest {
        key,
        method: method.as_str(),
        query: &signed,
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        content_length: announced_length(headers).filter(|_| *method == Method::PUT),
    };
    let verified = store
        .verify(&request, pika_domain::chrono::Utc::now())
        .map_err(|e| {
            tracing::info!(reason = ?e, "file URL refused");
            denied()
        })?;
    if *method == Method::PUT {
        // Verified on its headers: now read at most what was announced.
        let announced = announced_length(headers).unwrap_or(0);
        let limit = usize::try_from(announced)
            .unwrap_or(MAX_UPLOAD)
            .min(MAX_UPLOAD);
        let body = axum::body::to_bytes(body, limit)
            .await
            .map_err(|_| ApiError::invalid("the body is longer than announced, or broke off"))?;
        if body.len() as u64 != announced {
            return Err(ApiError::invalid("the body is shorter than announced"));
        }
        store
            .write_uploaded(&verified, &body)
            .await
            .map_err(|e| ApiError::invalid(e.message))?;
        return Ok(StatusCode::OK.into_response());
    }
    let object = store
        .read(&verified)
        .await
        .map_err(|e| ApiError::invalid(e.message))?
        .ok_or_else(|| ApiError::not_found("no such file"))?;
    let mut response = object.body.into_response();
    let content_type = object
        .content_type
        .and_then(|ct| header::HeaderValue::from_str(&ct).ok())
        .unwrap_or(header::HeaderValue::from_static("application/octet-stream"));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        header::HeaderValue::from_static("attachment"),
    );
    Ok(response)
}

/// The request's `Content-Length`, when it has a valid one.
fn announced_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

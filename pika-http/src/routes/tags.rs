//! Tag definitions (site admins) and the component modules that render
//! tags on the page (PIKA.md §4 `tags`).

use crate::extract::{ApiJson, ApiPath, Caller};
use crate::problem::ApiError;
use crate::wire::admin::{TagDef, TagList};
use crate::wire::convert;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use pika_domain::tag::{TagDefinition, TagName};

/// The site's tag definitions.
#[utoipa::path(get, path = "/admin/tags", operation_id = "listTags", tag = "admin",
    responses((status = 200, description = "The tag definitions", body = TagList), (status = 403, body = crate::problem::Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(user): Caller,
) -> Result<impl IntoResponse, ApiError> {
    let items = s.admin.list_tags(&user).await?;
    Ok(Json(TagList {
        items: items
            .iter()
            .map(|t| convert(t, false))
            .collect::<Result<_, _>>()?,
    }))
}

/// Adds or replaces the definition of a tag: `{tag, description,
/// instructions?, canBeGeneratedByLlm?, usage?: global|chatApp, disabled?,
/// component?: {element, module}}`.
#[utoipa::path(put, path = "/admin/tags/{tag}", operation_id = "putTag", tag = "admin", params(("tag" = String, Path)),
    request_body = TagDef,
    responses((status = 200, body = TagDef), (status = 400, body = crate::problem::Problem), (status = 403, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
pub async fn put(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(tag): ApiPath<String>,
    ApiJson(definition): ApiJson<TagDef>,
) -> Result<impl IntoResponse, ApiError> {
    let definition: TagDefinition = convert(&definition, true)?;
    if definition.tag.as_str() != tag {
        return Err(ApiError::invalid(
            "the tag in the body differs from the tag in the path",
        ));
    }
    let stored = s.admin.put_tag(&user, definition).await?;
    Ok(Json(convert::<_, TagDef>(&stored, false)?))
}

/// Removes a tag definition.
#[utoipa::path(delete, path = "/admin/tags/{tag}", operation_id = "deleteTag", tag = "admin", params(("tag" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(tag): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let name = TagName::parse(&tag).map_err(|e| ApiError::invalid(e.to_string()))?;
    s.admin.delete_tag(&user, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stores a component module (`.js`, `.mjs` or `.css`; the body as it is).
#[utoipa::path(put, path = "/admin/components/{name}", operation_id = "putComponent", tag = "admin", params(("name" = String, Path)),
    request_body(content((crate::wire::ComponentSource = "text/javascript"), (crate::wire::ComponentSource = "text/css"))),
    responses((status = 204, description = "Stored"), (status = 400, body = crate::problem::Problem), (status = 403, body = crate::problem::Problem), (status = 413, body = crate::problem::Problem)))]
pub async fn put_component(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(name): ApiPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large(e.body_text()),
        _ => ApiError::invalid(e.body_text()),
    })?;
    s.admin.put_component(&user, &name, body.to_vec()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A component module, for the page to load (no token: a browser loads
/// modules without one). Served so that it can only ever run as a module
/// of a page that allows it: opened on its own, its policy forbids everything.
#[utoipa::path(get, path = "/components/{name}", operation_id = "getComponent", tag = "chat apps", params(("name" = String, Path)),
    security(()),
    responses((status = 200, description = "The module (`.js`, `.mjs`) or style sheet (`.css`)", content((String = "text/javascript"), (String = "text/css"))), (status = 404, body = crate::problem::Problem)))]
pub async fn get_component(
    State(s): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (body, content_type) = pika_service::admin::tags::component(s.ports.files.as_ref(), &name)
        .await
        .map_err(pika_service::ServiceError::from)?
        .ok_or_else(|| ApiError::not_found("component not found"))?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}

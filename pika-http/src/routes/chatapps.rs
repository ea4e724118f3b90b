//! What chat apps the caller may use, with features resolved for them.

use super::parse_id;
use crate::extract::{ApiPath, Caller};
use crate::problem::ApiError;
use crate::wire::{convert, ChatAppList, ChatAppView, TagComponentView, TagView};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use pika_domain::access::decide_access;
use pika_domain::chat_app::{ChatApp, ChatAppOverride};
use pika_domain::features::resolve_features;
use pika_domain::ids::ChatAppId;
use pika_domain::site::SiteConfig;
use pika_domain::tag::applying;
use pika_domain::user::User;
use pika_ports::PageRequest;

/// At most this many chat apps are considered for the list.
const MAX_APPS: usize = 1_000;

fn view(
    user: &User,
    app: &ChatApp,
    ovr: Option<&ChatAppOverride>,
    site: &SiteConfig,
) -> Result<Option<ChatAppView>, ApiError> {
    if !decide_access(user, app, ovr, site).is_allowed() {
        return Ok(None);
    }
    let features = resolve_features(user, app, ovr, site);
    Ok(Some(ChatAppView {
        chat_app_id: app.chat_app_id.to_string(),
        title: ChatAppOverride::title_for(ovr, app).to_string(),
        description: ChatAppOverride::description_for(ovr, app).to_string(),
        modes_supported: app.modes_supported.iter().map(|m| (*m).into()).collect(),
        tags: features
            .tags
            .as_ref()
            .map(|f| {
                applying(&site.tags, &f.settings)
                    .into_iter()
                    .map(|t| TagView {
                        tag: t.tag.to_string(),
                        description: t.description.clone(),
                        component: t.component.as_ref().map(|c| TagComponentView {
                            element: c.element.clone(),
                            module: c.module.clone(),
                        }),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        features: convert(&features, false)?,
    }))
}

/// The chat apps the caller may use.
#[utoipa::path(get, path = "/chatapps", operation_id = "listChatApps", tag = "chat apps",
    responses((status = 200, description = "The chat apps the caller may use", body = ChatAppList)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(user): Caller,
) -> Result<Json<ChatAppList>, ApiError> {
    let site = s.config.site().await?;
    let mut items = Vec::new();
    let mut page = PageRequest::first(100);
    let mut seen = 0;
    loop {
        let batch = s
            .ports
            .chat_apps
            .list(page)
            .await
            .map_err(pika_service::ServiceError::from)?;
        for app in &batch.items {
            seen += 1;
            let config = s.config.chat_app(&app.chat_app_id).await?;
            if let Some(c) = config {
                items.extend(view(&user, &c.app, c.ovr.as_ref(), &site)?);
            }
        }
        match batch.next_cursor {
            Some(cursor) if seen < MAX_APPS => page = PageRequest::after(100, Some(cursor)),
            _ => break,
        }
    }
    Ok(Json(ChatAppList { items }))
}

/// One chat app, if the caller may use it (otherwise 404).
#[utoipa::path(get, path = "/chatapps/{id}", operation_id = "getChatApp", tag = "chat apps", params(("id" = String, Path)),
    responses((status = 200, body = ChatAppView), (status = 404, body = crate::problem::Problem)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ChatAppView>, ApiError> {
    let id = parse_id(&id, ChatAppId::parse, "chat app id")?;
    let config = s
        .config
        .chat_app(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("chat app not found"))?;
    let site = s.config.site().await?;
    view(&user, &config.app, config.ovr.as_ref(), &site)?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("chat app not found"))
}

/// The caller's override of their custom data in a chat app (PIKA.md §4
/// `userDataOverrides`).
#[utoipa::path(get, path = "/chatapps/{id}/user-data", operation_id = "getUserData", tag = "chat apps", params(("id" = String, Path)),
    responses((status = 200, description = "The override", body = crate::wire::reports::UserDataView),
        (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
pub async fn get_user_data(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<crate::wire::reports::UserDataView>, ApiError> {
    let id = parse_id(&id, ChatAppId::parse, "chat app id")?;
    let custom_data = s.user_data.get(&user, &id).await?;
    Ok(Json(crate::wire::reports::UserDataView { custom_data }))
}

/// Replaces the caller's override of their custom data in a chat app.
#[utoipa::path(put, path = "/chatapps/{id}/user-data", operation_id = "putUserData", tag = "chat apps", params(("id" = String, Path)),
    request_body = crate::wire::UserDataBody,
    responses((status = 200, description = "The override", body = crate::wire::reports::UserDataView),
        (status = 400, body = crate::problem::Problem), (status = 403, body = crate::problem::Problem),
        (status = 404, body = crate::problem::Problem)))]
pub async fn put_user_data(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
    crate::extract::ApiJson(body): crate::extract::ApiJson<crate::wire::UserDataBody>,
) -> Result<Json<crate::wire::reports::UserDataView>, ApiError> {
    let id = parse_id(&id, ChatAppId::parse, "chat app id")?;
    let custom_data = s.user_data.set(&user, &id, body.custom_data).await?;
    Ok(Json(crate::wire::reports::UserDataView { custom_data }))
}

/// Clears the caller's override of their custom data in a chat app.
#[utoipa::path(delete, path = "/chatapps/{id}/user-data", operation_id = "deleteUserData", tag = "chat apps", params(("id" = String, Path)),
    responses((status = 200, description = "The override, now empty", body = crate::wire::reports::UserDataView),
        (status = 403, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
pub async fn delete_user_data(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<crate::wire::reports::UserDataView>, ApiError> {
    let id = parse_id(&id, ChatAppId::parse, "chat app id")?;
    let custom_data = s.user_data.set(&user, &id, serde_json::Map::new()).await?;
    Ok(Json(crate::wire::reports::UserDataView { custom_data }))
}

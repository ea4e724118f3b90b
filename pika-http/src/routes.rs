//! The routes of PIKA.md §11, one module per area.

pub mod admin;
pub mod chatapps;
#[cfg(feature = "dev-tokens")]
pub mod dev;
pub mod misc;
pub mod sessions;
pub mod tags;
pub mod turns;

use super::problem::ApiError;
use super::AppState;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use axum::Router;
use pika_domain::user::User;
use pika_ports::{Cursor, PageRequest};
use serde::Deserialize;

/// Routes that need no caller: health, the OpenAPI document, and (on the
/// local server) development tokens.
pub fn public_routes(dev_tokens: bool) -> Router<AppState> {
    let router = Router::new()
        .route("/health", get(misc::health))
        .route("/openapi.json", get(misc::openapi))
        .route("/components/{name}", get(tags::get_component));
    #[cfg(feature = "dev-tokens")]
    if dev_tokens {
        return router.route("/dev/token", post(dev::dev_token));
    }
    #[cfg(not(feature = "dev-tokens"))]
    if dev_tokens {
        tracing::warn!("development tokens were asked for, but this build has no dev-tokens feature: POST /dev/token does not exist");
    }
    router
}

/// Routes that need an authenticated caller.
pub fn protected_routes() -> Router<AppState> {
    Router::new()
        .route("/sessions", get(sessions::list).post(sessions::create))
        .route(
            "/sessions/{id}",
            get(sessions::get).delete(sessions::delete),
        )
        .route(
            "/sessions/{id}/messages",
            get(sessions::messages).post(turns::send_in_session),
        )
        .route(
            "/sessions/{id}/messages/{message_id}/events",
            get(turns::resume),
        )
        .route("/sessions/{id}/stop", post(turns::stop))
        .route("/sessions/{id}/confirm", post(turns::confirm))
        .route("/sessions/{id}/title", post(sessions::title))
        .route(
            "/sessions/{id}/pin",
            put(sessions::pin).delete(sessions::unpin),
        )
        .route(
            "/sessions/{id}/share",
            post(sessions::share).delete(sessions::unshare),
        )
        .route("/sessions/{id}/feedback", post(sessions::feedback))
        .route("/sessions/{id}/files", post(sessions::upload))
        .route("/sessions/{id}/files/{file_id}", get(sessions::download))
        .route("/chat/{chat_app_id}/messages", post(turns::send_new))
        .route("/chatapps", get(chatapps::list))
        .route("/chatapps/{id}", get(chatapps::get))
        .route(
            "/chatapps/{id}/user-data",
            get(chatapps::get_user_data)
                .put(chatapps::put_user_data)
                .delete(chatapps::delete_user_data),
        )
        .route("/shared/{share_id}", get(misc::shared))
        .route("/search", get(misc::search))
        .route("/memory", get(misc::memory))
        .route("/insights", get(misc::insights))
        .route("/insights/{session_id}", get(misc::insight))
        .merge(admin_routes())
}

/// The site admins' routes. The caller's role is checked before anything
/// else (a body is not even read for anyone else: they get 403, never a
/// 400 that would describe the admin API); the services check it again.
fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/site", get(admin::get_site).put(admin::put_site))
        .route(
            "/admin/chatapps",
            get(admin::list_chat_apps).post(admin::create_chat_app),
        )
        .route(
            "/admin/chatapps/{id}",
            get(admin::get_chat_app)
                .put(admin::update_chat_app)
                .delete(admin::delete_chat_app),
        )
        .route(
            "/admin/chatapps/{id}/override",
            post(admin::put_override).delete(admin::delete_override),
        )
        .route(
            "/admin/agents",
            get(admin::list_agents).post(admin::create_agent),
        )
        .route(
            "/admin/agents/{id}",
            get(admin::get_agent)
                .put(admin::update_agent)
                .delete(admin::delete_agent),
        )
        .route(
            "/admin/tools",
            get(admin::list_tools).post(admin::create_tool),
        )
        .route(
            "/admin/tools/{id}",
            get(admin::get_tool)
                .put(admin::update_tool)
                .delete(admin::delete_tool),
        )
        .route("/admin/tags", get(tags::list))
        .route("/admin/tags/{tag}", put(tags::put).delete(tags::delete))
        .route("/admin/components/{name}", put(tags::put_component))
        .route("/admin/feedback/{id}", patch(admin::triage))
        .route("/admin/analytics", get(admin::analytics))
        .route("/admin/users/{id}/data", delete(admin::erase_user))
        .route_layer(middleware::from_fn(site_admins_only))
}

async fn site_admins_only(req: Request, next: Next) -> Response {
    match req.extensions().get::<User>() {
        Some(user) if user.is_site_admin() => next.run(req).await,
        _ => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "site admins only").into_response(),
    }
}

/// `?cursor=&limit=` of listings.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Where to continue (from a previous `nextCursor`).
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<u32>,
}

impl PageQuery {
    /// The page request, refusing nonsense sizes.
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        let limit = self.limit.unwrap_or(pika_ports::page::DEFAULT_PAGE_SIZE);
        if limit == 0 || limit > pika_ports::page::MAX_PAGE_SIZE {
            return Err(ApiError::invalid("limit must be between 1 and 100"));
        }
        let cursor = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(c) if c.len() > 2048 => return Err(ApiError::invalid("the cursor is not valid")),
            Some(c) => Some(Cursor::new(c)),
        };
        Ok(PageRequest::after(limit, cursor))
    }
}

/// Parses an id from a path or body, as a 400 naming the field.
pub fn parse_id<'a, T, E: std::fmt::Display>(
    raw: &'a str,
    parse: impl FnOnce(&'a str) -> Result<T, E>,
    what: &str,
) -> Result<T, ApiError> {
    parse(raw).map_err(|e| ApiError::invalid(format!("invalid {what}: {e}")))
}

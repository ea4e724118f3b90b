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
use pika_domain::user::User;
use pika_ports::{Cursor, PageRequest};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes that need no caller: health, the OpenAPI document, component
/// modules, and (on the local server) development tokens. Each route is
/// registered with its documentation: one cannot exist without the other.
pub fn public_routes(dev_tokens: bool) -> OpenApiRouter<AppState> {
    let router = OpenApiRouter::new()
        .routes(routes!(misc::health))
        .routes(routes!(misc::openapi))
        .routes(routes!(tags::get_component));
    #[cfg(feature = "dev-tokens")]
    if dev_tokens {
        return router.routes(routes!(dev::dev_token));
    }
    #[cfg(not(feature = "dev-tokens"))]
    if dev_tokens {
        tracing::warn!("development tokens were asked for, but this build has no dev-tokens feature: POST /dev/token does not exist");
    }
    router
}

/// Routes that need an authenticated caller.
pub fn protected_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sessions::list, sessions::create))
        .routes(routes!(sessions::get, sessions::delete))
        .routes(routes!(sessions::messages, turns::send_in_session))
        .routes(routes!(turns::resume))
        .routes(routes!(turns::stop))
        .routes(routes!(turns::confirm))
        .routes(routes!(sessions::title))
        .routes(routes!(sessions::pin, sessions::unpin))
        .routes(routes!(sessions::share, sessions::unshare))
        .routes(routes!(sessions::feedback))
        .routes(routes!(sessions::upload))
        .routes(routes!(sessions::download))
        .routes(routes!(turns::send_new))
        .routes(routes!(chatapps::list))
        .routes(routes!(chatapps::get))
        .routes(routes!(
            chatapps::get_user_data,
            chatapps::put_user_data,
            chatapps::delete_user_data
        ))
        .routes(routes!(misc::shared))
        .routes(routes!(misc::search))
        .routes(routes!(misc::memory))
        .routes(routes!(misc::insights))
        .routes(routes!(misc::insight))
        .merge(admin_routes())
}

/// The site admins' routes. The caller's role is checked before anything
/// else (a body is not even read for anyone else: they get 403, never a
/// 400 that would describe the admin API); the services check it again.
fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(admin::get_site, admin::put_site))
        .routes(routes!(admin::list_chat_apps, admin::create_chat_app))
        .routes(routes!(
            admin::get_chat_app,
            admin::update_chat_app,
            admin::delete_chat_app
        ))
        .routes(routes!(admin::put_override, admin::delete_override))
        .routes(routes!(admin::list_agents, admin::create_agent))
        .routes(routes!(
            admin::get_agent,
            admin::update_agent,
            admin::delete_agent
        ))
        .routes(routes!(admin::list_tools, admin::create_tool))
        .routes(routes!(
            admin::get_tool,
            admin::update_tool,
            admin::delete_tool
        ))
        .routes(routes!(tags::list))
        .routes(routes!(tags::put, tags::delete))
        .routes(routes!(tags::put_component))
        .routes(routes!(admin::triage))
        .routes(routes!(admin::analytics))
        .routes(routes!(admin::erase_user))
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

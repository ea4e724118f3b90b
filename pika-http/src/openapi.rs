//! The OpenAPI 3 document, generated from the handlers' annotations
//! (utoipa) and served at `/openapi.json`.

mod refine;

use super::routes::{admin, chatapps, misc, sessions, tags, turns};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Bearer JWT on every route but the public ones.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Pika", description = "Chat apps for AI agents: sessions, streamed turns, admin, insights, search (PIKA.md §11)."),
    security(("bearer" = [])),
    modifiers(&BearerAuth),
    paths(
        misc::health, misc::openapi, misc::shared, misc::search, misc::memory, misc::insights, misc::insight,
        sessions::list, sessions::create, sessions::get, sessions::delete, sessions::messages, sessions::title,
        sessions::pin, sessions::unpin, sessions::share, sessions::unshare, sessions::feedback, sessions::upload,
        sessions::download,
        turns::send_new, turns::send_in_session, turns::resume, turns::stop, turns::confirm,
        chatapps::list, chatapps::get, chatapps::get_user_data, chatapps::put_user_data, chatapps::delete_user_data,
        admin::get_site, admin::put_site, admin::list_chat_apps, admin::create_chat_app, admin::get_chat_app, admin::update_chat_app,
        admin::put_override, admin::delete_override, admin::list_agents, admin::create_agent, admin::get_agent,
        admin::update_agent, admin::list_tools, admin::create_tool, admin::get_tool, admin::update_tool,
        admin::triage, admin::analytics, admin::erase_user, admin::delete_chat_app, admin::delete_agent,
        admin::delete_tool, tags::list, tags::put, tags::delete, tags::put_component, tags::get_component,
    ),
    components(schemas(
        super::problem::Problem,
        super::wire::CreateSession, super::wire::SendBody, super::wire::TitleBody, super::wire::FeedbackBody,
        super::wire::UploadBody, super::wire::SiteBody, super::wire::TriageBody,
        super::wire::ConfirmBody, super::wire::UserDataBody,
    ))
)]
struct ApiDoc;

/// `POST /dev/token`, in builds that have it.
#[cfg(feature = "dev-tokens")]
#[derive(OpenApi)]
#[openapi(
    paths(super::routes::dev::dev_token),
    components(schemas(super::wire::DevTokenBody))
)]
struct DevTokenDoc;

/// The document as JSON, naming `POST /dev/token` only where the server
/// serves it.
pub fn document(dev_tokens: bool) -> serde_json::Value {
    #[allow(unused_mut)]
    let mut doc = ApiDoc::openapi();
    #[cfg(feature = "dev-tokens")]
    if dev_tokens {
        doc.merge(DevTokenDoc::openapi());
    }
    let _ = dev_tokens;
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    refine::refine(&mut doc);
    doc
}

#[cfg(all(test, feature = "dev-tokens"))]
mod tests {
    #[test]
    fn the_dev_token_route_is_documented_only_where_served() {
        let with = super::document(true);
        let without = super::document(false);
        assert!(with["paths"]["/dev/token"]["post"].is_object());
        assert!(without["paths"].get("/dev/token").is_none());
    }
}

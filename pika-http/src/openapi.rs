//! The OpenAPI 3 document, generated from the handlers' annotations
//! (utoipa) and served at `/openapi.json`.

mod constraints;
mod refine;
mod v30;

use std::sync::OnceLock;
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
    components(schemas(
        super::problem::Problem,
        super::wire::CreateSession, super::wire::SendBody, super::wire::TitleBody, super::wire::FeedbackBody,
        super::wire::UploadBody, super::wire::SiteBody, super::wire::TriageBody,
        super::wire::ConfirmBody, super::wire::UserDataBody,
    ))
)]
struct ApiDoc;

/// The document as JSON: the routes' own documentation (each registered
/// with its handler, so neither exists without the other), naming
/// `POST /dev/token` only where the server serves it. Built once per kind.
pub fn document(dev_tokens: bool) -> serde_json::Value {
    static DOCS: [OnceLock<serde_json::Value>; 2] = [OnceLock::new(), OnceLock::new()];
    DOCS[usize::from(dev_tokens)]
        .get_or_init(|| build(dev_tokens))
        .clone()
}

/// The document of the API mounted under `prefix` (`/pika`) in a host's
/// app ([`crate::AppState::hosted`]): every path starts with it, so the host
/// can merge the paths and components into its own document.
pub fn document_under(prefix: &str) -> serde_json::Value {
    let mut doc = document(false);
    let prefix = prefix.trim_end_matches('/');
    if let Some(paths) = doc
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    {
        let moved = std::mem::take(paths);
        for (path, item) in moved {
            paths.insert(format!("{prefix}{path}"), item);
        }
    }
    doc
}

/// The document in OpenAPI 3.0 (`openapi/v30.rs`), for client generators that
/// read no 3.1: `docs/openapi-3.0.json` is this, with `POST /dev/token`.
pub fn document_v3_0(dev_tokens: bool) -> serde_json::Value {
    v30::downgrade(document(dev_tokens))
}

/// Narrows `doc` to the tool kinds a deployment runs (`kinds`): the admin
/// API refuses a tool of any other kind, so the served document does not
/// offer it. The committed `docs/openapi.json` lists every kind.
pub fn only_kinds(doc: &mut serde_json::Value, kinds: &[pika_domain::tool::ExecutionType]) {
    let names: Vec<serde_json::Value> = kinds
        .iter()
        .filter_map(|k| serde_json::to_value(k).ok())
        .collect();
    if let Some(kind) = doc.pointer_mut("/components/schemas/ExecutionTypeBody") {
        kind["enum"] = serde_json::Value::Array(names);
    }
}

fn build(dev_tokens: bool) -> serde_json::Value {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::routes::public_routes(dev_tokens).into_openapi());
    doc.merge(super::routes::protected_routes().into_openapi());
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    refine::refine(&mut doc);
    constraints::constrain(&mut doc);
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

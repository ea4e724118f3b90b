//! Tag definitions and the web components that render them (PIKA.md §4
//! `tags`). Definitions live in the site record, so each change here is a
//! versioned update of it (retried when another admin changed the site
//! meanwhile); component modules live in the file store under
//! `components/` (the assets bucket on AWS).

use super::{audit, require_site_admin, AdminService};
use crate::error::ServiceError;
use pika_domain::site::SiteRecord;
use pika_domain::tag::{ComponentAsset, TagDefinition, TagName};
use pika_domain::user::User;
use pika_ports::PortError;

/// The largest component module accepted: a web component, not an app.
pub const MAX_COMPONENT_BYTES: usize = 256 * 1024;

/// How often a tag change is retried against concurrent site changes.
const ATTEMPTS: usize = 3;

impl AdminService {
    /// The site's tag definitions.
    ///
    /// # Errors
    /// `Forbidden` for non-admins; `NotFound` while no site is stored; store failures.
    pub async fn list_tags(&self, caller: &User) -> Result<Vec<TagDefinition>, ServiceError> {
        Ok(self.get_site(caller).await?.config.tags)
    }

    /// Adds `tag`, or replaces the definition of the same name.
    ///
    /// # Errors
    /// `Forbidden`; `Invalid` for a definition the page could not use;
    /// `Conflict` when the site kept changing; store failures.
    pub async fn put_tag(
        &self,
        caller: &User,
        tag: TagDefinition,
    ) -> Result<TagDefinition, ServiceError> {
        require_site_admin(caller)?;
        tag.validate()
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        self.change_tags(caller, "put_tag", tag.tag.as_str(), |tags| {
            match tags.iter_mut().find(|t| t.tag == tag.tag) {
                Some(existing) => *existing = tag.clone(),
                None => tags.push(tag.clone()),
            }
            Ok(())
        })
        .await?;
        Ok(tag)
    }

    /// Removes the definition of `name`. Answers already stored keep the
    /// tag as text; the page shows it as such.
    ///
    /// # Errors
    /// `Forbidden`; `NotFound` for an unknown tag; `Conflict`; store failures.
    pub async fn delete_tag(&self, caller: &User, name: &TagName) -> Result<(), ServiceError> {
        require_site_admin(caller)?;
        self.change_tags(caller, "delete_tag", name.as_str(), |tags| {
            let before = tags.len();
            tags.retain(|t| &t.tag != name);
            if tags.len() == before {
                return Err(ServiceError::not_found(format!("tag {name}")));
            }
            Ok(())
        })
        .await
    }

    /// Reads the site, applies `change` to its tags and stores it at the
    /// next version; on a version conflict, reads again and retries.
    async fn change_tags(
        &self,
        caller: &User,
        action: &str,
        resource: &str,
        change: impl Fn(&mut Vec<TagDefinition>) -> Result<(), ServiceError>,
    ) -> Result<(), ServiceError> {
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let current: SiteRecord = self
                .ports
                .site
                .get()
                .await?
                .ok_or_else(|| ServiceError::not_found("site configuration"))?;
            let mut config = current.config.clone();
            change(&mut config.tags)?;
            match self.put_site(caller, config, current.version).await {
                Ok(_) => {
                    audit(caller, action, resource);
                    return Ok(());
                }
                Err(e @ ServiceError::Conflict(_)) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| ServiceError::Conflict("the site kept changing".to_string())))
    }

    /// Stores a component module (`chart.js`) that tag definitions name.
    ///
    /// # Errors
    /// `Forbidden`; `Invalid` for a name that is not a script or style
    /// sheet, a body over [`MAX_COMPONENT_BYTES`] or not UTF-8 text; store failures.
    pub async fn put_component(
        &self,
        caller: &User,
        name: &str,
        body: Vec<u8>,
    ) -> Result<(), ServiceError> {
        require_site_admin(caller)?;
        let asset =
            ComponentAsset::parse(name).map_err(|e| ServiceError::Invalid(e.to_string()))?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ServiceError::Invalid(
                "a component needs a body: the module's source".to_string(),
            ));
        }
        if body.len() > MAX_COMPONENT_BYTES {
            return Err(ServiceError::Invalid(format!(
                "a component is at most {MAX_COMPONENT_BYTES} bytes"
            )));
        }
        if std::str::from_utf8(&body).is_err() {
            return Err(ServiceError::Invalid(
                "a component is UTF-8 text".to_string(),
            ));
        }
        let key = asset.key();
        crate::retry::retry_transient(|| {
            self.ports
                .files
                .put(&key, body.clone(), asset.content_type())
        })
        .await?;
        audit(caller, "put_component", asset.name());
        Ok(())
    }
}

/// A stored component module and its content type; `Ok(None)` for an
/// unknown or malformed name. Public: the page loads it without a token.
///
/// # Errors
/// Store failures.
pub async fn component(
    files: &dyn pika_ports::FileStore,
    name: &str,
) -> Result<Option<(Vec<u8>, &'static str)>, PortError> {
    let Ok(asset) = ComponentAsset::parse(name) else {
        return Ok(None);
    };
    Ok(files
        .get(&asset.key())
        .await?
        .map(|body| (body, asset.content_type())))
}

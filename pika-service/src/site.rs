//! The site configuration's first start: every binary stores its seed (from
//! `pika.toml [site]` locally, `PIKA_SITE_CONFIG` on Lambda) when the store
//! holds none, and from then on reads what is stored, which site admins
//! change through `PUT /admin/site`.

use crate::error::ServiceError;
use crate::ports::Ports;
use crate::retry::retry_transient;
use pika_domain::site::{SiteConfig, SiteRecord};
use pika_ports::ErrorKind;

/// Stores `seed` as the site configuration unless one is stored, and
/// returns what is stored. Several processes starting at once is fine: one
/// create wins, the others read its record.
///
/// # Errors
/// Store failures.
pub async fn seed_site(ports: &Ports, seed: SiteConfig) -> Result<SiteRecord, ServiceError> {
    if let Some(stored) = retry_transient(|| ports.site.get()).await? {
        return Ok(stored);
    }
    let record = SiteRecord::seed(seed, ports.clock.now());
    match retry_transient(|| ports.site.create(&record)).await {
        Ok(()) => {
            tracing::info!("site configuration seeded");
            Ok(record)
        }
        Err(e) if e.kind == ErrorKind::Conflict => {
            ports
                .site
                .get()
                .await?
                .ok_or_else(|| ServiceError::Internal {
                    message: "the site configuration vanished while being seeded".to_string(),
                    retryable: true,
                })
        }
        Err(e) => Err(e.into()),
    }
}

//! Finding a managed domain's endpoint from its name, so operators may
//! configure the domain by name (the endpoint changes when a domain is
//! re-created; the name does not).

use crate::aws::{classify, SdkConfig};
use pika_ports::{PortError, PortResult};
use url::Url;

/// The HTTPS endpoint of the OpenSearch Service domain `name`, from the
/// control plane's `DescribeDomain`: the public endpoint, else the VPC one
/// (`endpoints["vpc"]`), else a dual-stack one.
///
/// # Errors
/// - `NotFound` when there is no such domain, or it is being deleted.
/// - `Transient` when the domain has no endpoint yet (still being created),
///   or the control plane throttles.
/// - `Invalid` for a name the API refuses; `Permanent` otherwise (access
///   denied).
pub async fn resolve_domain_endpoint(sdk: &SdkConfig, name: &str) -> PortResult<Url> {
    let client = aws_sdk_opensearch::Client::new(sdk);
    let out = client
        .describe_domain()
        .domain_name(name)
        .send()
        .await
        .map_err(|e| classify("opensearch DescribeDomain", e))?;
    let status = out.domain_status().ok_or_else(|| {
        PortError::permanent(format!(
            "opensearch DescribeDomain {name}: no domain status"
        ))
    })?;
    if status.deleted() == Some(true) {
        return Err(PortError::not_found(format!(
            "opensearch domain {name} is being deleted"
        )));
    }
    let endpoints = status.endpoints();
    let named = |key: &str| endpoints.and_then(|e| e.get(key)).map(String::as_str);
    let host = status
        .endpoint()
        .or_else(|| named("vpc"))
        .or_else(|| status.endpoint_v2())
        .or_else(|| named("vpcv2"))
        .ok_or_else(|| {
            PortError::transient(format!(
                "opensearch domain {name} has no endpoint yet (still being created?)"
            ))
        })?;
    Url::parse(&format!("https://{host}")).map_err(|e| {
        PortError::permanent(format!("opensearch domain {name}: endpoint {host:?}: {e}"))
            .with_source(e)
    })
}

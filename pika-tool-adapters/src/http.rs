//! `http` tools ([`pika_domain::tool::http`]): the model's input sent as
//! JSON to the tool's declared endpoint, the JSON answer returned — behind
//! an SSRF guard. Every address a host resolves to is checked against the
//! forbidden ranges (loopback, private, link-local and metadata, …; an
//! operator may open named ranges, e.g. their own VPC) and the connection
//! goes to the address checked, so a DNS answer that changes between the
//! check and the connection (rebinding) cannot move it; redirects are
//! followed by hand and checked the same way; hosts may be limited to an
//! allow-list; answers are capped in size and calls in time; header values
//! `secret:NAME` come from the deployment's secrets.

use async_trait::async_trait;
use futures::future::BoxFuture;
use futures::StreamExt;
use pika_domain::tool::http::{
    forbidden_address, host_allowed, HttpEndpoint, HttpMethod, SECRET_PREFIX,
};
use pika_domain::tool::ExecutionType;
use pika_ports::{PortError, PortResult, ToolInvocation, ToolInvoker};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use url::{Host, Url};

pub use ipnet::IpNet;

/// Resolves a host name to addresses (the system's DNS by default).
pub trait Resolve: Send + Sync {
    /// The addresses of `host` on `port`.
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<SocketAddr>>>;
}

/// The system's resolver.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<SocketAddr>>> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host, port)).await?.collect()) })
    }
}

/// Settings of the `http` tool executor.
#[derive(Clone)]
pub struct HttpToolsConfig {
    /// Hosts tools may call (`api.example.com`, `*.example.com`); empty:
    /// any public host.
    pub allowed_hosts: Vec<String>,
    /// Ranges opened despite the guard (e.g. `10.1.0.0/16` for a service in
    /// the operator's own network). Empty by default.
    pub allow_private: Vec<IpNet>,
    /// Secrets named by `secret:NAME` header values.
    pub secrets: BTreeMap<String, String>,
    /// The largest answer read, in bytes.
    pub max_response_bytes: usize,
    /// The most redirects followed.
    pub max_redirects: u8,
    /// A call's time limit when the tool sets none.
    pub default_timeout: Duration,
    /// How host names are resolved.
    pub resolver: Arc<dyn Resolve>,
}

impl Default for HttpToolsConfig {
    fn default() -> Self {
        Self {
            allowed_hosts: Vec::new(),
            allow_private: Vec::new(),
            secrets: BTreeMap::new(),
            max_response_bytes: 1024 * 1024,
            max_redirects: 3,
            default_timeout: Duration::from_secs(10),
            resolver: Arc::new(SystemResolver),
        }
    }
}

/// Runs `http` tools (see the module documentation).
#[derive(Clone)]
pub struct HttpToolInvoker {
    config: Arc<HttpToolsConfig>,
}

impl HttpToolInvoker {
    /// An executor with `config`.
    pub fn new(config: HttpToolsConfig) -> Self {
        Self {
            config: Arc::new(config),
        }
    }

    /// The address to connect to for `url`, checked.
    pub(crate) async fn checked_address(&self, url: &Url) -> PortResult<SocketAddr> {
        let refuse =
            |why: String| PortError::permanent(format!("the tool's endpoint is refused: {why}"));
        let port = url
            .port_or_known_default()
            .ok_or_else(|| refuse("no port".to_string()))?;
        let (name, addresses) = match url.host() {
            Some(Host::Domain(domain)) => {
                let name = domain.to_ascii_lowercase();
                // A host off the allow-list is refused before it is looked
                // up: no lookup leaks where an admin pointed a tool.
                if !host_allowed(&name, &self.config.allowed_hosts) {
                    return Err(refuse(format!("{name} is not on the site's allow-list")));
                }
                let found = self
                    .config
                    .resolver
                    .resolve(&name, port)
                    .await
                    .map_err(|e| PortError::transient(format!("cannot resolve {name}: {e}")))?;
                (name, found)
            }
            Some(Host::Ipv4(ip)) => (ip.to_string(), vec![SocketAddr::new(IpAddr::V4(ip), port)]),
            Some(Host::Ipv6(ip)) => (ip.to_string(), vec![SocketAddr::new(IpAddr::V6(ip), port)]),
            None => return Err(refuse("no host".to_string())),
        };
        if !host_allowed(&name, &self.config.allowed_hosts) {
            return Err(refuse(format!("{name} is not on the site's allow-list")));
        }
        if addresses.is_empty() {
            return Err(PortError::transient(format!("{name} has no address")));
        }
        // Every address must pass: a name with one bad address is refused.
        for address in &addresses {
            let ip = address.ip();
            let opened = self
                .config
                .allow_private
                .iter()
                .any(|net| net.contains(&ip));
            if let (Some(why), false) = (forbidden_address(ip), opened) {
                return Err(refuse(format!("{name} resolves to {ip} ({why})")));
            }
        }
        Ok(addresses[0])
    }

    /// `endpoint`'s headers, secrets filled in.
    pub(crate) fn headers(&self, endpoint: &HttpEndpoint) -> PortResult<Vec<(String, String)>> {
        endpoint
            .headers
            .iter()
            .map(|(name, value)| {
                let value = match value.strip_prefix(SECRET_PREFIX) {
                    Some(secret) => self.config.secrets.get(secret).cloned().ok_or_else(|| {
                        PortError::permanent(format!(
                            "the tool's secret {secret} is not configured"
                        ))
                    })?,
                    None => value.clone(),
                };
                Ok((name.clone(), value))
            })
            .collect()
    }
}

#[async_trait]
impl ToolInvoker for HttpToolInvoker {
    async fn invoke(&self, call: ToolInvocation) -> PortResult<Value> {
        let endpoint = call
            .tool
            .http
            .clone()
            .ok_or_else(|| PortError::invalid("the tool declares no http endpoint"))?;
        let mut url = Url::parse(&endpoint.url)
            .map_err(|e| PortError::invalid(format!("the tool's URL does not parse: {e}")))?;
        let body = json!({
            "function": call.function.as_str(),
            "input": call.input,
            "sessionAttributes": call.session_attributes,
        });
        let mut method = endpoint.method;
        if method == HttpMethod::Get {
            url.query_pairs_mut()
                .append_pair("input", &call.input.to_string());
        }
        let headers = self.headers(&endpoint)?;
        let timeout = call
            .tool
            .execution_timeout_ms
            .map_or(self.config.default_timeout, Duration::from_millis);
        let mut redirects = 0;
        let response = loop {
            let address = self.checked_address(&url).await?;
            let mut client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .timeout(timeout);
            if let Some(Host::Domain(domain)) = url.host() {
                // Connect to the address checked, whatever DNS says now.
                client = client.resolve(domain, address);
            }
            let client = client
                .build()
                .map_err(|e| PortError::permanent(format!("http client: {e}")))?;
            let mut request = match method {
                HttpMethod::Post => client.post(url.clone()).json(&body),
                HttpMethod::Get => client.get(url.clone()),
            };
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            let response = request.send().await.map_err(|e| {
                let what = if e.is_timeout() {
                    "timed out"
                } else {
                    "failed"
                };
                PortError::transient(format!("the tool's endpoint {what}: {e}"))
            })?;
            let status = response.status();
            if !status.is_redirection() {
                break response;
            }
            redirects += 1;
            if redirects > self.config.max_redirects {
                return Err(PortError::permanent(
                    "the tool's endpoint redirected too often",
                ));
            }
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| PortError::permanent("a redirect without a location"))?;
            url = url
                .join(location)
                .map_err(|e| PortError::permanent(format!("a redirect to a bad URL: {e}")))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(PortError::permanent("a redirect away from http(s)"));
            }
            // 307 and 308 repeat the request; the others continue with GET.
            if !matches!(status.as_u16(), 307 | 308) {
                method = HttpMethod::Get;
            }
        };
        let status = response.status();
        let mut bytes = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk
                .map_err(|e| PortError::transient(format!("reading the tool's answer: {e}")))?;
            if bytes.len() + chunk.len() > self.config.max_response_bytes {
                return Err(PortError::permanent(format!(
                    "the tool's answer is larger than {} bytes",
                    self.config.max_response_bytes
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        let output = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| json!({ "text": String::from_utf8_lossy(&bytes) }));
        match status.as_u16() {
            200..=299 => Ok(output),
            429 | 500..=599 => Err(PortError::transient(format!("the tool answered {status}"))),
            _ => Err(PortError::invalid(format!(
                "the tool refused the call ({status}): {output}"
            ))),
        }
    }

    fn kinds(&self) -> Vec<ExecutionType> {
        vec![ExecutionType::Http]
    }
}

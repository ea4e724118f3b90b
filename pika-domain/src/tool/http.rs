//! `http` tools: a declared endpoint called with the model's input as JSON,
//! and the rules that keep such calls off the platform's own network
//! (SSRF): which addresses a tool may never reach, whatever its URL says.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Where and how an `http` tool is called.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpEndpoint {
    /// The URL (`https://…`, or `http://…`).
    pub url: String,
    /// `POST` (the input as the JSON body; the default) or `GET` (the
    /// input as the `input` query parameter).
    #[serde(default)]
    pub method: HttpMethod,
    /// Headers sent with every call. A value `secret:NAME` is replaced by
    /// the deployment's secret `NAME`, so keys never sit in the tool
    /// definition (nor reach the model).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// The HTTP method of an `http` tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// The input as the JSON body.
    #[default]
    Post,
    /// The input as the `input` query parameter.
    Get,
}

/// The prefix of a header value naming a secret.
pub const SECRET_PREFIX: &str = "secret:";

impl HttpEndpoint {
    /// Checks the URL's scheme and host and the headers' names.
    ///
    /// # Errors
    /// A sentence naming what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let rest = self
            .url
            .strip_prefix("https://")
            .or_else(|| self.url.strip_prefix("http://"))
            .ok_or("the URL must start with https:// or http://")?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.is_empty() || authority.contains('@') {
            return Err("the URL must name a host, without user or password".to_string());
        }
        for name in self.headers.keys() {
            let ok = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return Err(format!("header name {name:?} is not a token"));
            }
        }
        Ok(())
    }
}

/// Why a tool may not reach `ip`, or `None` when it may: loopback,
/// private, shared (CGNAT), link-local (the cloud metadata services live
/// there), unspecified, multicast, broadcast and documentation ranges, and
/// IPv6 addresses that carry one of those IPv4 addresses (mapped,
/// compatible, NAT64, 6to4).
pub fn forbidden_address(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private network")
    } else if ip.is_link_local() {
        Some("link-local (cloud metadata)")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("broadcast, multicast or reserved")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared address space (CGNAT)")
    } else if ip.is_documentation() || (a == 198 && (b == 18 || b == 19)) {
        Some("documentation or benchmarking")
    } else if a == 192 && b == 0 && c == 0 {
        Some("IETF protocol assignments")
    } else {
        None
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    if ip.is_loopback() {
        return Some("loopback");
    }
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_multicast() {
        return Some("multicast");
    }
    if segments[0] & 0xffc0 == 0xfe80 {
        return Some("link-local");
    }
    if segments[0] & 0xfe00 == 0xfc00 {
        return Some("unique local (private network)");
    }
    if segments[0] == 0x2001 && segments[1] == 0x0db8 {
        return Some("documentation");
    }
    // IPv4 carried inside IPv6: a mapped address always (no public host
    // needs one), the others judged as the IPv4 address they carry.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4).or(Some("IPv4-mapped"));
    }
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if segments[..6] == [0, 0, 0, 0, 0, 0] {
        return Some("IPv4-compatible (deprecated)");
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return forbidden_v4(embedded(segments[6], segments[7]));
    }
    if segments[0] == 0x2002 {
        return forbidden_v4(embedded(segments[1], segments[2]));
    }
    None
}

/// Whether `host` (a name, lower case) matches one of `allowed`: an exact
/// name, or `*.example.com` for its subdomains. An empty list allows any.
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    allowed.is_empty()
        || allowed.iter().any(|pattern| {
            let pattern = pattern.to_ascii_lowercase();
            match pattern.strip_prefix("*.") {
                Some(domain) => host.ends_with(&format!(".{domain}")),
                None => host == pattern,
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_a_tool_may_never_reach() {
        let refused = [
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.170.2",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "192.0.0.170",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "fc00::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::",
            // A mapped address is no way to name a public host: refused.
            "::ffff:8.8.8.8",
        ];
        for raw in refused {
            let ip: IpAddr = raw.parse().unwrap();
            assert!(forbidden_address(ip).is_some(), "{raw} must be refused");
        }
        let allowed = [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "64:ff9b::808:808",
            "2002:808:808::",
        ];
        for raw in allowed {
            let ip: IpAddr = raw.parse().unwrap();
            assert_eq!(forbidden_address(ip), None, "{raw} is public");
        }
    }

    #[test]
    fn hosts_match_exactly_or_as_subdomains() {
        let allowed = vec![
            "api.example.com".to_string(),
            "*.tools.example.org".to_string(),
        ];
        assert!(host_allowed("api.example.com", &allowed));
        assert!(host_allowed("a.tools.example.org", &allowed));
        assert!(!host_allowed("tools.example.org", &allowed));
        assert!(!host_allowed("evilapi.example.com", &allowed));
        assert!(!host_allowed("api.example.com.evil.net", &allowed));
        assert!(host_allowed("anything.net", &[]));
    }

    #[test]
    fn endpoints_name_a_host_over_http() {
        let endpoint = |url: &str| HttpEndpoint {
            url: url.to_string(),
            method: HttpMethod::Post,
            headers: BTreeMap::new(),
        };
        assert!(endpoint("https://api.example.com/v1/orders")
            .validate()
            .is_ok());
        assert!(endpoint("ftp://api.example.com").validate().is_err());
        assert!(endpoint("https://user:pw@api.example.com")
            .validate()
            .is_err());
        assert!(endpoint("https:///path").validate().is_err());
        let mut headers = BTreeMap::new();
        headers.insert("X Bad".to_string(), "v".to_string());
        let bad = HttpEndpoint {
            headers,
            ..endpoint("https://api.example.com")
        };
        assert!(bad.validate().is_err());
    }
}

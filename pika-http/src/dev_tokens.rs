//! Development tokens over HTTP (`POST /dev/token`): the local server's
//! sign-in for trying Pika without an identity provider. Whoever reaches it
//! can mint a token, so it is fenced on every side:
//!
//! - compiled only with the `dev-tokens` feature (the Lambda binaries never
//!   have it; the crate-graph test pins that);
//! - mounted only when the embedding server asks for it ([`DevTokens`] in
//!   the API configuration; `pika-local` refuses to start with it unless it
//!   binds loopback and no identity provider is configured);
//! - each request must be addressed to loopback (`Host`) and come from a
//!   loopback page or from no page at all (`Origin`): a page on another
//!   site that rebinds its DNS name to 127.0.0.1 still sends its own name;
//! - a token carries only roles the configuration allows.

use crate::problem::ApiError;
use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, StatusCode, Uri};
use std::net::IpAddr;

/// The policy of `POST /dev/token`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevTokens {
    /// Roles a development token may carry; asking for any other is refused.
    pub allowed_roles: Vec<String>,
}

impl DevTokens {
    /// Checks that the request is addressed to loopback, from a loopback
    /// page or none (before its body is read).
    ///
    /// # Errors
    /// 403 `forbidden`, naming what was refused.
    pub fn check_request(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let host = headers.get(HOST).and_then(|h| h.to_str().ok());
        if !host.is_some_and(is_loopback_authority) {
            return Err(forbidden(
                "development tokens are given only to requests addressed to this machine (Host: localhost, 127.0.0.1 or [::1])",
            ));
        }
        if let Some(origin) = headers.get(ORIGIN) {
            let local = origin
                .to_str()
                .ok()
                .and_then(|o| o.parse::<Uri>().ok())
                .filter(|u| matches!(u.scheme_str(), Some("http" | "https")))
                .and_then(|u| u.authority().map(|a| is_loopback_authority(a.as_str())))
                .unwrap_or(false);
            if !local {
                return Err(forbidden(
                    "development tokens are given only to pages served from this machine",
                ));
            }
        }
        Ok(())
    }

    /// Checks that every role asked for is allowed.
    ///
    /// # Errors
    /// 403 `forbidden`, naming the first role refused.
    pub fn check_roles(&self, roles: &[String]) -> Result<(), ApiError> {
        match roles.iter().find(|r| !self.allowed_roles.contains(r)) {
            Some(role) => Err(forbidden(&format!(
                "role '{role}' is not allowed in development tokens ([auth] dev_token_roles)"
            ))),
            None => Ok(()),
        }
    }
}

fn forbidden(why: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", why)
}

/// Whether `authority` (`host[:port]`, as in a `Host` header or an origin)
/// names this machine: `localhost`, a 127.0.0.0/8 address or `[::1]`.
pub fn is_loopback_authority(authority: &str) -> bool {
    let Ok(uri) = format!("http://{authority}/").parse::<Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn loopback_names_and_addresses_only() {
        for ok in [
            "localhost",
            "localhost:8080",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3:9",
            "[::1]",
            "[::1]:8080",
        ] {
            assert!(is_loopback_authority(ok), "{ok}");
        }
        for no in [
            "",
            "example.com",
            "localhost.example.com",
            "127.0.0.1.nip.io",
            "10.0.0.1:8080",
            "0.0.0.0",
            "[::]",
            "[::ffff:7f00:1]x",
            "user@evil.com",
            "evil.com#localhost",
        ] {
            assert!(!is_loopback_authority(no), "{no}");
        }
    }

    #[test]
    fn host_origin_and_roles_are_checked() {
        let policy = DevTokens {
            allowed_roles: vec!["pika:site-admin".to_string()],
        };
        let local = headers(&[("host", "127.0.0.1:8080")]);
        assert!(policy.check_request(&local).is_ok());
        assert!(policy.check_roles(&["pika:site-admin".to_string()]).is_ok());
        assert!(policy
            .check_roles(&["pika:content-admin".to_string()])
            .is_err());
        assert!(policy.check_request(&HeaderMap::new()).is_err(), "no Host");
        assert!(policy
            .check_request(&headers(&[("host", "pika.example.com")]))
            .is_err());
        let page = headers(&[
            ("host", "localhost:8080"),
            ("origin", "http://localhost:8080"),
        ]);
        assert!(policy.check_request(&page).is_ok());
        // DNS rebinding: the browser sends the attacker's origin.
        let rebound = headers(&[
            ("host", "localhost:8080"),
            ("origin", "http://evil.example"),
        ]);
        assert!(policy.check_request(&rebound).is_err());
        let opaque = headers(&[("host", "localhost:8080"), ("origin", "null")]);
        assert!(policy.check_request(&opaque).is_err());
        assert!(DevTokens::default()
            .check_roles(&["pika:site-admin".to_string()])
            .is_err());
    }
}

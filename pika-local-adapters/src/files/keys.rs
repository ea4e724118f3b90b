//! Which keys the store accepts, where they live on disk, and how they are
//! written into URLs.

use pika_ports::{PortError, PortResult};
use std::path::{Path, PathBuf};

/// The longest segment a key may have (most filesystems' name limit).
const MAX_SEGMENT_BYTES: usize = 255;

/// Why `path` (a key, or a prefix when `partial_last`) is refused, if it is.
fn refusal(path: &str, partial_last: bool) -> Option<&'static str> {
    if path.is_empty() {
        return Some("is empty");
    }
    if path.starts_with('/') {
        return Some("is absolute");
    }
    if path.contains('\\') {
        return Some("holds a backslash");
    }
    if path.chars().any(char::is_control) {
        return Some("holds a control character");
    }
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." | ".." => return Some("holds a '.' or '..' segment"),
            "" if !(partial_last && i == last) => return Some("holds an empty segment"),
            s if s.len() > MAX_SEGMENT_BYTES => return Some("holds a segment over 255 bytes"),
            _ => {}
        }
    }
    None
}

/// Refuses keys that could leave the store's root or that no file can hold:
/// empty, absolute, with a backslash, a control character (NUL included), a
/// `.`, `..` or empty segment, or a segment over 255 bytes.
///
/// # Errors
/// `Invalid`, naming the rule.
pub(super) fn check_key(key: &str) -> PortResult<()> {
    match refusal(key, false) {
        Some(why) => Err(PortError::invalid(format!("object key {key:?} {why}"))),
        None => Ok(()),
    }
}

/// Like [`check_key`], but a prefix may end in `/` or in part of a segment.
///
/// # Errors
/// `Invalid`, naming the rule; an empty prefix would delete everything.
pub(super) fn check_prefix(prefix: &str) -> PortResult<()> {
    if prefix.is_empty() {
        return Err(PortError::invalid(
            "an empty prefix would delete every object",
        ));
    }
    match refusal(prefix, true) {
        Some(why) => Err(PortError::invalid(format!("prefix {prefix:?} {why}"))),
        None => Ok(()),
    }
}

/// The path of a checked key under `base`.
pub(super) fn path_under(base: &Path, key: &str) -> PathBuf {
    let mut path = base.to_path_buf();
    path.extend(key.split('/'));
    path
}

/// `s` with every byte outside RFC 3986's unreserved set percent-encoded.
pub(super) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A key as a URL path: each segment encoded, the slashes kept.
pub(super) fn encode_key(key: &str) -> String {
    key.split('/')
        .map(encode_component)
        .collect::<Vec<_>>()
        .join("/")
}

fn hex(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Decodes a form-encoded query component (`+` is a space); `None` when an
/// escape is broken or the bytes are not UTF-8.
pub(super) fn decode_component(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = hex(*bytes.get(i + 1)?)?;
                let lo = hex(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_could_escape_are_refused() {
        for key in [
            "",
            "/etc/passwd",
            "..",
            "a/../b",
            "a/./b",
            "./a",
            "a/..",
            "a\\b",
            "a\0b",
            "a//b",
            "a/",
            "a\nb",
        ] {
            assert!(check_key(key).is_err(), "{key:?} accepted");
        }
        let long = "x".repeat(256);
        assert!(check_key(&long).is_err());
        for key in [
            "a",
            "a/b.txt",
            "uploads/u1/s 1/é ☃.pdf",
            "a/..b/c..",
            "x".repeat(255).as_str(),
        ] {
            assert!(check_key(key).is_ok(), "{key:?} refused");
        }
    }

    #[test]
    fn prefixes_may_end_anywhere_but_not_escape() {
        for prefix in ["uploads/", "uploads/u1", "a/b/", "a/.b"] {
            assert!(check_prefix(prefix).is_ok(), "{prefix:?} refused");
        }
        for prefix in ["", "/", "../", "a/../", "a//", "a\\"] {
            assert!(check_prefix(prefix).is_err(), "{prefix:?} accepted");
        }
    }

    #[test]
    fn components_round_trip_through_encoding() {
        for s in ["plain", "a b+c", "é/☃?&=#%", "application/pdf; charset=x"] {
            assert_eq!(decode_component(&encode_component(s)).as_deref(), Some(s));
        }
        assert_eq!(encode_key("a b/c"), "a%20b/c");
        assert_eq!(decode_component("%zz"), None);
        assert_eq!(decode_component("%4"), None);
    }
}

//! Which object keys and prefixes the S3 store accepts.
//!
//! S3 itself takes almost any key, but a key with a `.` or `..` segment is
//! rewritten by HTTP clients before it reaches S3 (a presigned URL for
//! `uploads/../x` would write `x`), so such keys are refused everywhere.
//! Presigned URLs are handed to browsers, so they are further limited to
//! the two areas clients may touch: `uploads/` and `session-insights/`.

use pika_ports::{PortError, PortResult};

/// The longest key S3 accepts, in bytes.
const MAX_KEY_BYTES: usize = 1024;

/// The areas of the bucket a presigned URL may point into.
pub(super) const PRESIGNABLE_AREAS: [&str; 2] = ["uploads/", "session-insights/"];

/// Why `path` (a key, or a prefix when `partial_last`) is refused, if it is.
fn refusal(path: &str, partial_last: bool) -> Option<&'static str> {
    if path.is_empty() {
        return Some("is empty");
    }
    if path.len() > MAX_KEY_BYTES {
        return Some("is longer than 1024 bytes");
    }
    if path.chars().any(char::is_control) {
        return Some("holds a control character");
    }
    if path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Some("holds a '.' or '..' segment");
    }
    if !partial_last && path.ends_with('/') {
        return Some("ends with '/' (a folder, not an object)");
    }
    None
}

/// Refuses keys no caller should use: empty, over 1024 bytes, with a
/// control character, a `.` or `..` segment, or a trailing `/`.
///
/// # Errors
/// `Invalid`, naming the rule.
pub(super) fn check_key(key: &str) -> PortResult<()> {
    match refusal(key, false) {
        Some(why) => Err(PortError::invalid(format!("object key {key:?} {why}"))),
        None => Ok(()),
    }
}

/// [`check_key`], and the key must lie in one of [`PRESIGNABLE_AREAS`]
/// (with something after the area's slash).
///
/// # Errors
/// `Invalid`, naming the rule.
pub(super) fn check_presignable(key: &str) -> PortResult<()> {
    check_key(key)?;
    let inside = PRESIGNABLE_AREAS
        .iter()
        .any(|area| key.len() > area.len() && key.starts_with(area));
    if inside {
        Ok(())
    } else {
        Err(PortError::invalid(format!(
            "object key {key:?} is outside the areas presigned URLs may reach ({})",
            PRESIGNABLE_AREAS.join(", ")
        )))
    }
}

/// Like [`check_key`], but a prefix may end in `/` or inside a segment.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_clients_would_rewrite_are_refused() {
        let long = "x".repeat(MAX_KEY_BYTES + 1);
        for key in [
            "", "..", "a/../b", "a/./b", "./a", "a/..", "a\nb", "a/", &long,
        ] {
            assert!(check_key(key).is_err(), "{key:?} accepted");
        }
        for key in ["a", "other/u1/x.txt", "uploads/u1/s 1/é ☃.pdf", "a/..b/c.."] {
            assert!(check_key(key).is_ok(), "{key:?} refused");
        }
    }

    #[test]
    fn presigned_urls_reach_only_uploads_and_insights() {
        for key in [
            "uploads/u1/s1/f1-a.pdf",
            "session-insights/app/user/s1.json",
        ] {
            assert!(check_presignable(key).is_ok(), "{key:?} refused");
        }
        for key in [
            "",
            "uploads/",
            "uploads/../secrets.txt",
            "other/u1/x.txt",
            "uploadsx/a",
            "session-insights",
            "/uploads/a",
        ] {
            assert!(check_presignable(key).is_err(), "{key:?} accepted");
        }
    }

    #[test]
    fn prefixes_may_end_anywhere_but_not_escape() {
        for prefix in ["uploads/", "uploads/u1", "a/b/", "a/.b"] {
            assert!(check_prefix(prefix).is_ok(), "{prefix:?} refused");
        }
        for prefix in ["", "../", "a/../", "a/..", "a/."] {
            assert!(check_prefix(prefix).is_err(), "{prefix:?} accepted");
        }
    }
}

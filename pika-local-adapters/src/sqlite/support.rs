//! What every store module shares: the error type of the blocking closures
//! and its mapping to [`PortError`], JSON bodies, sortable time keys and
//! keyset cursors.

use pika_domain::chrono::{DateTime, SecondsFormat, Utc};
use pika_ports::{Cursor, ErrorKind, Page, PortError};
use rusqlite::ErrorCode;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Write as _;

/// A failure inside a blocking closure: SQLite's own error, or a port error
/// decided by the store (not found, conflict, bad data). `?` converts both.
#[derive(Debug)]
pub(crate) enum Fail {
    /// SQLite refused or failed.
    Sql(rusqlite::Error),
    /// The store's own verdict.
    Port(PortError),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sql(e)
    }
}

impl From<PortError> for Fail {
    fn from(e: PortError) -> Self {
        Self::Port(e)
    }
}

impl From<serde_json::Error> for Fail {
    fn from(e: serde_json::Error) -> Self {
        Self::Port(PortError::permanent("a stored record does not (de)serialize").with_source(e))
    }
}

impl Fail {
    /// The port error this failure is.
    pub(crate) fn into_port(self) -> PortError {
        match self {
            Self::Port(e) => e,
            Self::Sql(e) => sql_error(e),
        }
    }
}

/// The result type of the blocking closures.
pub(crate) type Res<T> = Result<T, Fail>;

/// Maps a SQLite error: constraint violations are `Conflict`, a busy or
/// locked database is `Transient`, anything else is `Permanent`.
pub(crate) fn sql_error(e: rusqlite::Error) -> PortError {
    let kind = match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => ErrorKind::Conflict,
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => ErrorKind::Transient,
        _ => ErrorKind::Permanent,
    };
    PortError::new(kind, format!("sqlite: {e}")).with_source(e)
}

/// A stored value that cannot be read back (a corrupt row).
pub(crate) fn bad_data(what: impl std::fmt::Display) -> Fail {
    Fail::Port(PortError::permanent(format!("bad stored data: {what}")))
}

/// `value` as JSON text.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Res<String> {
    Ok(serde_json::to_string(value)?)
}

/// A body read back from JSON text.
pub(crate) fn from_json<T: DeserializeOwned>(body: &str) -> Res<T> {
    Ok(serde_json::from_str(body)?)
}

/// The JSON text of a unit enum variant without its quotes (`"in_review"`
/// becomes `in_review`): how enum columns are stored.
pub(crate) fn enum_text<T: Serialize>(value: &T) -> Res<String> {
    match serde_json::to_value(value)? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(bad_data(format!("{other} is not a unit variant"))),
    }
}

/// A time as fixed-width RFC 3339 text with nanoseconds, so that text order
/// is time order (for years 0 to 9999): the key of time-ordered indexes.
pub(crate) fn time_key(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// A time read back from [`time_key`] text.
pub(crate) fn parse_time(raw: &str) -> Res<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| bad_data(format!("{raw:?} is not a time")))
}

/// A count as SQLite stores it (saturating at `i64::MAX`).
pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A stored count back as `u64` (a negative value reads as zero).
pub(crate) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// What every cursor of these stores starts with.
const CURSOR_PREFIX: &str = "sq1.";

/// Encodes `key`, the key of the last item of a page, as a cursor of the
/// listing `tag`.
pub(crate) fn encode_cursor(tag: &str, key: &str) -> Cursor {
    let raw = format!("{tag}\n{key}");
    let mut out = String::with_capacity(CURSOR_PREFIX.len() + raw.len() * 2);
    out.push_str(CURSOR_PREFIX);
    for byte in raw.bytes() {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    Cursor::new(out)
}

/// The key inside `cursor`, decoded by `parse`.
///
/// # Errors
/// `Invalid` when `cursor` is not a cursor of the listing `tag`, or its key
/// does not parse.
pub(crate) fn decode_cursor<K>(
    tag: &str,
    cursor: &Cursor,
    parse: impl FnOnce(&str) -> Option<K>,
) -> Result<K, PortError> {
    let refused = || PortError::invalid(format!("not a cursor of the {tag} listing"));
    let hex = cursor
        .as_str()
        .strip_prefix(CURSOR_PREFIX)
        .ok_or_else(refused)?;
    if hex.len() % 2 != 0 {
        return Err(refused());
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(refused)?;
    let raw = String::from_utf8(bytes).map_err(|_| refused())?;
    let (found, key) = raw.split_once('\n').ok_or_else(refused)?;
    if found != tag {
        return Err(refused());
    }
    parse(key).ok_or_else(refused)
}

/// One page from `rows` read with `LIMIT size + 1`, each with its cursor
/// key: a cursor is set only when a row beyond the page was read, so the
/// last page never carries one.
pub(crate) fn into_page<T>(mut rows: Vec<(String, T)>, size: usize, tag: &str) -> Page<T> {
    let more = rows.len() > size;
    rows.truncate(size);
    let next_cursor = if more {
        rows.last().map(|(key, _)| encode_cursor(tag, key))
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(|(_, item)| item).collect(),
        next_cursor,
    }
}

/// `LIMIT` for a page of `size` items plus one to learn whether more follow.
pub(crate) fn page_limit(size: usize) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX).saturating_add(1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn cursors_round_trip_and_name_their_listing() {
        let c = encode_cursor("apps", "weather-bot");
        let parse = |k: &str| Some(k.to_string());
        assert_eq!(decode_cursor("apps", &c, parse).unwrap(), "weather-bot");
        for (tag, cursor) in [
            ("tools", c.clone()),
            ("apps", Cursor::new("sq1.zz")),
            ("apps", Cursor::new("")),
            ("apps", Cursor::new("eyJwayI6IngifQ==")),
        ] {
            let err = decode_cursor(tag, &cursor, parse).unwrap_err();
            assert_eq!(err.kind, ErrorKind::Invalid);
        }
        let refused = decode_cursor("apps", &c, |_| None::<String>).unwrap_err();
        assert_eq!(
            refused.kind,
            ErrorKind::Invalid,
            "a key that does not parse"
        );
    }

    #[test]
    fn time_keys_sort_as_times() {
        let a = DateTime::from_timestamp(1_700_000_000, 5).unwrap();
        let b = DateTime::from_timestamp(1_700_000_000, 40_000_000).unwrap();
        let c = DateTime::from_timestamp(1_700_000_001, 0).unwrap();
        let keys = [time_key(&a), time_key(&b), time_key(&c)];
        assert!(keys[0] < keys[1] && keys[1] < keys[2], "{keys:?}");
        assert_eq!(keys[0].len(), keys[2].len(), "fixed width");
        assert_eq!(parse_time(&keys[1]).unwrap(), b, "round trip");
    }
}

//! What every store module shares: running a statement (prepared once per
//! connection) with its error mapped to a [`PortError`], JSON bodies,
//! sortable time keys and keyset cursors.

use deadpool_postgres::GenericClient;
use pika_domain::chrono::{DateTime, SecondsFormat, Utc};
use pika_ports::{Cursor, ErrorKind, Page, PortError, PortResult};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Write as _;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

/// The parameters of one statement.
pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Maps a PostgreSQL error: a violated constraint is `Conflict`; a lost
/// connection, a serialization failure, a deadlock, a lock or statement
/// timeout, a server starting or shutting down or out of connections is
/// `Transient`; anything else is `Permanent`.
pub(crate) fn sql_error(e: tokio_postgres::Error) -> PortError {
    let kind = match e.code() {
        Some(code) if code.code().starts_with("23") => ErrorKind::Conflict,
        Some(code)
            if [
                SqlState::T_R_SERIALIZATION_FAILURE,
                SqlState::T_R_DEADLOCK_DETECTED,
                SqlState::LOCK_NOT_AVAILABLE,
                SqlState::QUERY_CANCELED,
                SqlState::TOO_MANY_CONNECTIONS,
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
            ]
            .contains(code)
                || code.code().starts_with("08") =>
        {
            ErrorKind::Transient
        }
        Some(_) => ErrorKind::Permanent,
        // No SQLSTATE: the connection broke or could not be made.
        None if e.is_closed() || std::error::Error::source(&e).is_some() => ErrorKind::Transient,
        None => ErrorKind::Permanent,
    };
    PortError::new(kind, format!("postgres: {e}")).with_source(e)
}

/// The rows of `sql` run with `params` on `client` (a pooled connection or
/// a transaction); the statement is prepared once per connection.
pub(crate) async fn query<C: GenericClient + Sync>(
    client: &C,
    sql: &str,
    params: Params<'_>,
) -> PortResult<Vec<Row>> {
    let stmt = client.prepare_cached(sql).await.map_err(sql_error)?;
    client.query(&stmt, params).await.map_err(sql_error)
}

/// The one row of `sql`, or `None`.
///
/// # Errors
/// `Permanent` when it returns more than one row.
pub(crate) async fn query_opt<C: GenericClient + Sync>(
    client: &C,
    sql: &str,
    params: Params<'_>,
) -> PortResult<Option<Row>> {
    let stmt = client.prepare_cached(sql).await.map_err(sql_error)?;
    client.query_opt(&stmt, params).await.map_err(sql_error)
}

/// How many rows `sql` changed.
pub(crate) async fn execute<C: GenericClient + Sync>(
    client: &C,
    sql: &str,
    params: Params<'_>,
) -> PortResult<u64> {
    let stmt = client.prepare_cached(sql).await.map_err(sql_error)?;
    client.execute(&stmt, params).await.map_err(sql_error)
}

/// Column `idx` of `row`, typed.
pub(crate) fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    idx: usize,
) -> PortResult<T> {
    row.try_get(idx).map_err(sql_error)
}

/// A stored value that cannot be read back (a corrupt row).
pub(crate) fn bad_data(what: impl std::fmt::Display) -> PortError {
    PortError::permanent(format!("bad stored data: {what}"))
}

fn json_error(e: serde_json::Error) -> PortError {
    PortError::permanent("a stored record does not (de)serialize").with_source(e)
}

/// `value` as JSON text. Bodies are `text`, not `jsonb`: `jsonb` refuses
/// the escaped NUL (`\u0000`) that a user's message may hold.
pub(crate) fn to_json<T: Serialize>(value: &T) -> PortResult<String> {
    serde_json::to_string(value).map_err(json_error)
}

/// A body read back from JSON text.
pub(crate) fn from_json<T: DeserializeOwned>(body: &str) -> PortResult<T> {
    serde_json::from_str(body).map_err(json_error)
}

/// The body in column `idx` of `row`, parsed.
pub(crate) fn body_at<T: DeserializeOwned>(row: &Row, idx: usize) -> PortResult<T> {
    from_json(get::<&str>(row, idx)?)
}

/// The JSON text of a unit enum variant without its quotes (`"in_review"`
/// becomes `in_review`): how enum columns are stored.
pub(crate) fn enum_text<T: Serialize>(value: &T) -> PortResult<String> {
    match serde_json::to_value(value).map_err(json_error)? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(bad_data(format!("{other} is not a unit variant"))),
    }
}

/// A time as fixed-width RFC 3339 text with nanoseconds, so that text order
/// (in the `C` collation the schema gives key columns) is time order: the
/// key of time-ordered indexes. `timestamptz` would drop the nanoseconds
/// the domain's times carry.
pub(crate) fn time_key(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// A time read back from [`time_key`] text.
pub(crate) fn parse_time(raw: &str) -> PortResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| bad_data(format!("{raw:?} is not a time")))
}

/// A count as PostgreSQL's `bigint` holds it (saturating at `i64::MAX`).
pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A stored count back as `u64` (a negative value reads as zero).
pub(crate) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// What every cursor of these stores starts with.
const CURSOR_PREFIX: &str = "pg1.";

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
) -> PortResult<K> {
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
            ("apps", Cursor::new("pg1.zz")),
            ("apps", Cursor::new("")),
            ("apps", Cursor::new("sq1.61707073")),
        ] {
            let err = decode_cursor(tag, &cursor, parse).unwrap_err();
            assert_eq!(err.kind, ErrorKind::Invalid);
        }
    }

    #[test]
    fn time_keys_sort_as_times() {
        let a = DateTime::from_timestamp(1_700_000_000, 5).unwrap();
        let b = DateTime::from_timestamp(1_700_000_000, 40_000_000).unwrap();
        let c = DateTime::from_timestamp(1_700_000_001, 0).unwrap();
        let keys = [time_key(&a), time_key(&b), time_key(&c)];
        assert!(keys[0] < keys[1] && keys[1] < keys[2], "{keys:?}");
        assert_eq!(parse_time(&keys[1]).unwrap(), b, "round trip");
    }
}

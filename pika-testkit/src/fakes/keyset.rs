//! Keyset paging with opaque cursors, shared by the store fakes.
//!
//! A cursor names the listing it belongs to and the key of the last item
//! returned, hex-encoded so callers cannot read it. The next page continues
//! strictly after that key, like a DynamoDB `ExclusiveStartKey`: items added
//! or removed meanwhile never make a page repeat or skip what remains.

use pika_ports::{Cursor, Page, PageRequest, PortError, PortResult};
use std::fmt::Write as _;

/// Which way a listing runs over its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Smallest key first (oldest first for time-ordered keys).
    Ascending,
    /// Largest key first (newest first for time-ordered keys).
    Descending,
}

/// What every cursor of these fakes starts with.
const PREFIX: &str = "kc1.";

/// Encodes `key` as a cursor of the listing `tag`.
pub fn encode(tag: &str, key: &str) -> Cursor {
    let raw = format!("{tag}\n{key}");
    let mut out = String::with_capacity(PREFIX.len() + raw.len() * 2);
    out.push_str(PREFIX);
    for byte in raw.bytes() {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    Cursor::new(out)
}

/// The key inside `cursor`, if it is a cursor of the listing `tag`.
pub fn decode(tag: &str, cursor: &Cursor) -> Option<String> {
    let hex = cursor.as_str().strip_prefix(PREFIX)?;
    if hex.len() % 2 != 0 {
        return None;
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()?;
    let raw = String::from_utf8(bytes).ok()?;
    let (found_tag, key) = raw.split_once('\n')?;
    (found_tag == tag).then(|| key.to_string())
}

/// One page of `items`, each given with its key, ordered by key in
/// `direction`. `encode_key` / `decode_key` turn a key into cursor text and
/// back; a cursor that is not of the listing `tag`, or whose key does not
/// decode, is refused.
///
/// `next_cursor` is set only when items remain after the page, so the last
/// page never carries one.
///
/// # Errors
/// [`pika_ports::ErrorKind::Invalid`] for a cursor this listing did not issue.
pub fn paginate<K: Ord, T>(
    mut items: Vec<(K, T)>,
    direction: Direction,
    tag: &str,
    page: &PageRequest,
    encode_key: impl Fn(&K) -> String,
    decode_key: impl Fn(&str) -> Option<K>,
) -> PortResult<Page<T>> {
    items.sort_by(|a, b| match direction {
        Direction::Ascending => a.0.cmp(&b.0),
        Direction::Descending => b.0.cmp(&a.0),
    });
    if let Some(cursor) = &page.cursor {
        let after = decode(tag, cursor)
            .and_then(|raw| decode_key(&raw))
            .ok_or_else(|| PortError::invalid(format!("not a cursor of the {tag} listing")))?;
        items.retain(|(k, _)| match direction {
            Direction::Ascending => *k > after,
            Direction::Descending => *k < after,
        });
    }
    let size = page.size();
    let more = items.len() > size;
    items.truncate(size);
    let next_cursor = if more {
        items.last().map(|(k, _)| encode(tag, &encode_key(k)))
    } else {
        None
    };
    Ok(Page {
        items: items.into_iter().map(|(_, t)| t).collect(),
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_name_their_listing() {
        let c = encode("apps", "weather-bot");
        assert_eq!(decode("apps", &c).as_deref(), Some("weather-bot"));
        assert_eq!(decode("tools", &c), None);
        assert_eq!(decode("apps", &Cursor::new("kc1.zz")), None);
        assert_eq!(decode("apps", &Cursor::new("garbage")), None);
    }
}

//! `search_after` cursors: the sort values of a page's last hit, with a
//! fingerprint of the query they belong to, as URL-safe base64 of JSON.
//!
//! A cursor is only valid for the query that made it: another text, filter,
//! scope or order would continue a different listing, so it is refused
//! (`Invalid`) instead of silently skipping or repeating hits.

use super::query::{sort_len, timestamp};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use pika_ports::page::Cursor;
use pika_ports::{PortError, PortResult, SearchQuery, SearchSort};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The cursor format; a change of format changes it, so old cursors are
/// refused rather than misread.
const VERSION: u8 = 1;

/// What a cursor holds.
#[derive(Debug, Serialize, Deserialize)]
struct Position {
    /// [`VERSION`].
    v: u8,
    /// [`fingerprint`] of the query, in hex.
    q: String,
    /// The sort values of the last hit of the previous page.
    after: Vec<Value>,
}

/// FNV-1a over every part of the query that decides its results, each part
/// length-prefixed so no two queries share an encoding.
pub fn fingerprint(q: &SearchQuery) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |part: &str| {
        let len = (part.len() as u64).to_le_bytes();
        for byte in len.iter().chain(part.as_bytes()) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    let sort = match q.sort {
        SearchSort::Relevance => "relevance",
        SearchSort::Newest => "newest",
        SearchSort::Oldest => "oldest",
    };
    feed(sort);
    feed(&q.text);
    feed(q.user_id.as_ref().map_or("-", |u| u.as_str()));
    feed(q.chat_app_id.as_ref().map_or("-", |a| a.as_str()));
    feed(q.entity_id.as_ref().map_or("-", |e| e.as_str()));
    feed(&q.from.map(timestamp).unwrap_or_default());
    feed(&q.to.map(timestamp).unwrap_or_default());
    feed(&q.min_score.map(|m| m.to_string()).unwrap_or_default());
    format!("{hash:016x}")
}

/// The cursor continuing `q` after a hit whose sort values are `after`.
pub fn encode(q: &SearchQuery, after: &[Value]) -> Cursor {
    let position = Position {
        v: VERSION,
        q: fingerprint(q),
        after: after.to_vec(),
    };
    // Serializing plain JSON values cannot fail; an empty cursor would be
    // refused on the way back in, never misread.
    let json = serde_json::to_vec(&position).unwrap_or_default();
    Cursor::new(URL_SAFE_NO_PAD.encode(json))
}

/// The sort values `cursor` continues after.
///
/// # Errors
/// `Invalid` when the cursor is not one of this adapter's, belongs to
/// another query or order, or holds values of the wrong count or kind.
pub fn decode(cursor: &Cursor, q: &SearchQuery) -> PortResult<Vec<Value>> {
    let foreign = || PortError::invalid(format!("foreign search cursor {:?}", cursor.as_str()));
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.as_str())
        .map_err(|_| foreign())?;
    let position: Position = serde_json::from_slice(&bytes).map_err(|_| foreign())?;
    let scalar = |v: &Value| v.is_number() || v.is_string();
    if position.v != VERSION
        || position.q != fingerprint(q)
        || position.after.len() != sort_len(q.sort)
        || !position.after.iter().all(scalar)
    {
        return Err(foreign());
    }
    Ok(position.after)
}

//! Opaque cursors over DynamoDB keys: the base64 of the last key's string
//! attributes. A cursor is checked against the key attributes of the index
//! it is used on, so a cursor of another listing is refused as `Invalid`.

use super::codec::{s, Item};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use pika_ports::{Cursor, PortError, PortResult};
use std::collections::BTreeMap;

/// The cursor of a key (only its string attributes, which all Pika keys are).
pub fn encode(key: &Item) -> Cursor {
    let plain: BTreeMap<&str, &str> = key
        .iter()
        .filter_map(|(k, v)| v.as_s().ok().map(|s| (k.as_str(), s.as_str())))
        .collect();
    let json = serde_json::to_vec(&plain).unwrap_or_default();
    Cursor::new(URL_SAFE_NO_PAD.encode(json))
}

/// The key a cursor stands for, if it has exactly the attributes `key_attrs`.
///
/// # Errors
/// `Invalid` for anything this adapter did not issue for this listing.
pub fn decode(cursor: &Cursor, key_attrs: &[&str]) -> PortResult<Item> {
    let invalid = || PortError::invalid("cursor was not issued for this listing");
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.as_str())
        .map_err(|_| invalid())?;
    let plain: BTreeMap<String, String> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if plain.len() != key_attrs.len() || !key_attrs.iter().all(|k| plain.contains_key(*k)) {
        return Err(invalid());
    }
    Ok(plain.into_iter().map(|(k, v)| (k, s(v))).collect())
}

/// The key attributes `key_attrs` of `item`.
pub fn key_of(item: &Item, key_attrs: &[&str]) -> Item {
    key_attrs
        .iter()
        .filter_map(|k| item.get(*k).map(|v| ((*k).to_string(), v.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_cursor_decodes_to_its_key() {
        let key: Item = [("a".to_string(), s("1")), ("b".to_string(), s("2"))].into();
        assert_eq!(decode(&encode(&key), &["a", "b"]).unwrap(), key);
    }

    #[test]
    fn foreign_cursors_are_invalid() {
        let key: Item = [("a".to_string(), s("1"))].into();
        assert!(decode(&encode(&key), &["a", "b"]).is_err());
        assert!(decode(&Cursor::new("not base64!"), &["a"]).is_err());
        assert!(decode(&Cursor::new("bnVsbA"), &["a"]).is_err());
    }
}

//! Entities ↔ DynamoDB items. An entity's camelCase JSON (the same serde
//! shape the HTTP API uses) becomes the item's attributes, so the stored
//! item and the API never drift apart; key and index attributes are added
//! beside it and dropped again on reading.

use aws_sdk_dynamodb::types::AttributeValue;
use pika_domain::chrono::{DateTime, SecondsFormat, Utc};
use pika_ports::{PortError, PortResult};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// A JSON value as an attribute value. Numbers keep their text (DynamoDB
/// numbers are decimal text with 38 digits, wider than `f64` and `u64`).
pub fn to_attribute(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(positional(&n.to_string())),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(items) => AttributeValue::L(items.iter().map(to_attribute).collect()),
        Value::Object(fields) => AttributeValue::M(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_attribute(v)))
                .collect(),
        ),
    }
}

/// An attribute value as JSON. Sets (which Pika never writes) become arrays.
pub fn to_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => number(n),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::L(items) => Value::Array(items.iter().map(to_json).collect()),
        AttributeValue::M(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        AttributeValue::Ss(items) => {
            Value::Array(items.iter().cloned().map(Value::String).collect())
        }
        AttributeValue::Ns(items) => Value::Array(items.iter().map(|n| number(n)).collect()),
        _ => Value::Null,
    }
}

/// Number text in positional notation (`3e-6` → `0.000003`), exactly: JSON
/// writes small and large floats in exponent form, which DynamoDB's
/// emulators (and arithmetic in update expressions there) do not all accept.
fn positional(text: &str) -> String {
    let Some((mantissa, exponent)) = text.split_once(['e', 'E']) else {
        return text.to_string();
    };
    let Ok(exponent) = exponent.parse::<i64>() else {
        return text.to_string();
    };
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    // Where the decimal point falls within `digits`.
    let point = whole.len() as i64 + exponent;
    let (int_part, frac_part) = if point <= 0 {
        let zeros = "0".repeat(usize::try_from(-point).unwrap_or(0));
        ("0".to_string(), format!("{zeros}{digits}"))
    } else if point as usize >= digits.len() {
        let zeros = "0".repeat(point as usize - digits.len());
        (format!("{digits}{zeros}"), String::new())
    } else {
        let (i, f) = digits.split_at(point as usize);
        (i.to_string(), f.to_string())
    };
    let int_part = int_part.trim_start_matches('0');
    let int_part = if int_part.is_empty() { "0" } else { int_part };
    let frac_part = frac_part.trim_end_matches('0');
    if frac_part.is_empty() {
        format!("{sign}{int_part}")
    } else {
        format!("{sign}{int_part}.{frac_part}")
    }
}

/// DynamoDB number text as a JSON number: an integer when it is one, else a
/// float (costs).
fn number(text: &str) -> Value {
    if let Ok(u) = text.parse::<u64>() {
        return Value::Number(u.into());
    }
    if let Ok(i) = text.parse::<i64>() {
        return Value::Number(i.into());
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// An entity as an item (its attributes only; the caller adds keys).
///
/// # Errors
/// `Permanent` if the entity does not serialise to a JSON object (a bug).
pub fn to_item<T: Serialize>(entity: &T) -> PortResult<Item> {
    match serde_json::to_value(entity) {
        Ok(Value::Object(fields)) => Ok(fields
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), to_attribute(v)))
            .collect()),
        Ok(_) => Err(PortError::permanent("entity is not a JSON object")),
        Err(e) => Err(PortError::permanent(format!("serialising an entity: {e}")).with_source(e)),
    }
}

/// An item as an entity, ignoring the attributes named in `drop` (keys and
/// index attributes).
///
/// # Errors
/// `Permanent` if the item does not hold the entity (data written by
/// something else, or a schema change without migration).
pub fn from_item<T: DeserializeOwned>(item: &Item, drop: &[&str]) -> PortResult<T> {
    let fields: Map<String, Value> = item
        .iter()
        .filter(|(k, _)| !drop.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), to_json(v)))
        .collect();
    serde_json::from_value(Value::Object(fields))
        .map_err(|e| PortError::permanent(format!("reading a stored item: {e}")).with_source(e))
}

/// A time as fixed-width UTC text (microseconds), so text order is time
/// order: the form of every sort key that is a time.
pub fn time_key(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A string attribute.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute.
pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The string attribute `name` of `item`, if it is one.
pub fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// Epoch seconds for a TTL attribute.
pub fn ttl(at: DateTime<Utc>) -> AttributeValue {
    n(at.timestamp())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use pika_domain::chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn json_round_trips_through_attributes() {
        let v = json!({"a": 1, "b": -2, "c": 0.000123, "d": "x", "e": [true, null], "f": {"g": 18446744073709551615u64}});
        assert_eq!(to_json(&to_attribute(&v)), v);
    }

    #[test]
    fn exponent_forms_become_positional() {
        assert_eq!(positional("3e-6"), "0.000003");
        assert_eq!(positional("-1.5e-7"), "-0.00000015");
        assert_eq!(positional("1.25e2"), "125");
        assert_eq!(positional("1.5e1"), "15");
        assert_eq!(positional("2e21"), "2000000000000000000000");
        assert_eq!(positional("0.0003"), "0.0003");
        assert_eq!(positional("42"), "42");
        let tiny = json!({"c": 3.0e-6});
        assert_eq!(
            to_attribute(&tiny["c"]),
            AttributeValue::N("0.000003".into())
        );
        assert_eq!(to_json(&to_attribute(&tiny)), tiny);
    }

    #[test]
    fn whole_costs_read_back_as_numbers() {
        assert_eq!(number("0"), json!(0));
        assert_eq!(number("1.5"), json!(1.5));
    }

    #[test]
    fn time_keys_sort_as_times() {
        let a = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let b = a + pika_domain::chrono::Duration::microseconds(1);
        assert!(time_key(a) < time_key(b));
        assert_eq!(time_key(a), "2026-01-02T03:04:05.000000Z");
    }
}

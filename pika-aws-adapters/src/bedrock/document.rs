//! JSON values as the SDK's `Document` and back (tool inputs, schemas and
//! results travel as documents in the Converse API; knowledge-base
//! metadata comes back as documents), and tool outputs as text.

use aws_smithy_types::{Document, Number};
use serde_json::Value;

/// `value` as a document.
pub(super) fn to_document(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(if let Some(u) = n.as_u64() {
            Number::PosInt(u)
        } else if let Some(i) = n.as_i64() {
            Number::NegInt(i)
        } else {
            Number::Float(n.as_f64().unwrap_or_default())
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(to_document).collect()),
        Value::Object(fields) => Document::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_document(v)))
                .collect(),
        ),
    }
}

/// A document as JSON.
pub(super) fn to_value(doc: &Document) -> Value {
    match doc {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => Value::from(*f),
        Document::String(s) => Value::String(s.clone()),
        Document::Array(items) => Value::Array(items.iter().map(to_value).collect()),
        Document::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_value(v)))
                .collect(),
        ),
    }
}

/// A tool's output as text: strings as they are, anything else as JSON.
pub(super) fn output_text(output: &Value) -> String {
    match output {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_keep_their_kind() {
        let doc = to_document(&json!({ "n": 3, "neg": -2, "f": 0.5, "list": [null, true] }));
        let Document::Object(fields) = doc else {
            panic!("an object")
        };
        assert_eq!(fields["n"], Document::Number(Number::PosInt(3)));
        assert_eq!(fields["neg"], Document::Number(Number::NegInt(-2)));
        assert_eq!(fields["f"], Document::Number(Number::Float(0.5)));
        assert_eq!(
            fields["list"],
            Document::Array(vec![Document::Null, Document::Bool(true)])
        );
    }
}

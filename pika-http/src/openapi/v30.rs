//! The document in OpenAPI 3.0, for client generators that read no 3.1
//! yet (progenitor, among others): `type: [T, "null"]` becomes `nullable`,
//! a `oneOf` with a null branch becomes a nullable `allOf`, `const` an
//! `enum` of one. The rules 3.0 cannot state (`if`/`then`/`else` between
//! fields, `propertyNames`) are left out: the server checks them all the
//! same, and the 3.1 document states them. A body taken as several text
//! types (a component module or style sheet) is one `text/plain` body:
//! generators take one media type per body, and the server reads the text
//! whatever its type.

use serde_json::{json, Map, Value};

/// `doc` (3.1, as [`super::document`] gives it) rewritten in 3.0.
pub fn downgrade(mut doc: Value) -> Value {
    doc["openapi"] = json!("3.0.3");
    if let Some(license) = doc
        .pointer_mut("/info/license")
        .and_then(Value::as_object_mut)
    {
        license.remove("identifier");
    }
    walk(&mut doc);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for operation in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in operation.values_mut() {
                one_text_body(op);
            }
        }
    }
    doc
}

fn one_text_body(operation: &mut Value) {
    let Some(content) = operation
        .pointer_mut("/requestBody/content")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if content.len() > 1 && content.keys().all(|k| k.starts_with("text/")) {
        content.clear();
        content.insert(
            "text/plain".into(),
            json!({ "schema": { "type": "string", "description": "The source, not empty (UTF-8, at most 256 KiB)." } }),
        );
    }
}

fn walk(value: &mut Value) {
    match value {
        Value::Object(map) => {
            schema(map);
            for (key, v) in map.iter_mut() {
                if key == "properties" {
                    // A map of names to schemas: the names are not keywords.
                    if let Some(properties) = v.as_object_mut() {
                        properties.values_mut().for_each(walk);
                    }
                } else {
                    walk(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(walk),
        _ => {}
    }
}

/// Rewrites one object if it is a 3.1 schema.
fn schema(map: &mut Map<String, Value>) {
    if let Some(Value::Array(types)) = map.get("type") {
        let named: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        let nullable = named.len() < types.len();
        match named.as_slice() {
            [one] => {
                map.insert("type".into(), one.clone());
            }
            _ => {
                map.remove("type");
            }
        }
        if nullable {
            map.insert("nullable".into(), json!(true));
        }
    }
    if let Some(Value::Array(branches)) = map.get("oneOf") {
        let null = json!({ "type": "null" });
        if branches.contains(&null) {
            let rest: Vec<Value> = branches.iter().filter(|b| **b != null).cloned().collect();
            map.remove("oneOf");
            let key = if rest.len() == 1 { "allOf" } else { "oneOf" };
            map.insert(key.into(), Value::Array(rest));
            map.insert("nullable".into(), json!(true));
        }
    }
    if let Some(value) = map.remove("const") {
        map.insert("enum".into(), json!([value]));
    }
    for keyword in ["if", "then", "else", "propertyNames"] {
        map.remove(keyword);
    }
    // Parts added only to state rules between fields go with those rules.
    if let Some(Value::Array(parts)) = map.get_mut("allOf") {
        parts.retain(|p| !mentions_if(p));
        if parts.is_empty() {
            map.remove("allOf");
        }
    }
}

fn mentions_if(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.contains_key("if") || map.values().any(mentions_if),
        Value::Array(items) => items.iter().any(mentions_if),
        _ => false,
    }
}

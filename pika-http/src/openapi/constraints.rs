//! Rules of the wire types that utoipa's attributes cannot state, added
//! to the component schemas: unique lists, the keys of maps, the items of
//! id lists, and the real range of unsigned 32-bit numbers (utoipa writes
//! them as `int32`, whose range a tester then enforces).

use serde_json::{json, Map, Value};

/// A `fileRef`: `{fileId}/{name}`.
const FILE_REF: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}/.+$";

/// `(schema, property, rule merged into the property's schema)`.
fn rules() -> Vec<(&'static str, &'static str, Value)> {
    let opaque_items = json!({ "items": { "type": "string", "pattern": super::refine::OPAQUE } });
    vec![
        ("AgentDef", "toolIds", json!({ "uniqueItems": true })),
        (
            "SendBody",
            "fileIds",
            json!({ "items": { "type": "string", "pattern": FILE_REF } }),
        ),
        ("AgentDef", "collaborators", json!({ "uniqueItems": true })),
        (
            "FunctionBody",
            "parameters",
            json!({ "maxProperties": 5, "propertyNames": { "pattern": "^([0-9a-zA-Z][_-]?){1,100}$" } }),
        ),
        (
            "EndpointBody",
            "headers",
            json!({ "propertyNames": { "pattern": "^[A-Za-z0-9_-]+$" } }),
        ),
        (
            "OverrideDef",
            "exclusiveUserIdAccessControl",
            opaque_items.clone(),
        ),
        (
            "OverrideDef",
            "exclusiveInternalAccessControl",
            opaque_items.clone(),
        ),
        (
            "OverrideDef",
            "exclusiveExternalAccessControl",
            opaque_items,
        ),
        (
            "TagComponentView",
            "element",
            json!({ "pattern": "^[a-z][a-z0-9._]*-[a-z0-9._-]*$" }),
        ),
        (
            "TagComponentView",
            "module",
            json!({ "pattern": super::refine::COMPONENT }),
        ),
    ]
}

/// Adds the rules to `doc`'s component schemas.
pub(super) fn constrain(doc: &mut Value) {
    unsigned_range(doc);
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    // The site's entity feature, when on, needs the dotted path of the
    // entity id (a chat app's reads the site's): the trimmed path is not
    // empty and has no empty segment.
    if let Some(site) = schemas
        .get_mut("SiteConfigBody")
        .and_then(Value::as_object_mut)
    {
        site.insert(
            "allOf".into(),
            json!([{ "properties": { "features": { "properties": { "entity": {
                "if": { "type": "object", "properties": { "enabled": { "const": true } }, "required": ["enabled"] },
                "then": { "required": ["attributePath"], "properties": { "attributePath": {
                    "type": "string",
                    "pattern": "^\\s*[^.\\s](?![\\s\\S]*\\.\\.)(?![\\s\\S]*\\.\\s*$)[\\s\\S]*$"
                } } }
            } } } } }]),
        );
    }
    // A tool's endpoint follows its kind: `lambdaArn` for `lambda` only,
    // `http` for `http` only, `mcp` for `mcp` only.
    if let Some(parts) = schemas
        .get_mut("ToolDef")
        .and_then(|t| t.get_mut("allOf"))
        .and_then(Value::as_array_mut)
    {
        let lambda = json!({ "type": "string", "pattern": "^arn:aws:lambda:" });
        let endpoint = json!({ "$ref": "#/components/schemas/EndpointBody" });
        for (kind, field, present) in [
            ("lambda", "lambdaArn", lambda),
            ("http", "http", endpoint.clone()),
            ("mcp", "mcp", endpoint),
        ] {
            parts.push(json!({
                "if": { "properties": { "executionType": { "const": kind } }, "required": ["executionType"] },
                "then": { "required": [field], "properties": { field: present } },
                "else": { "properties": { field: { "type": "null" } } }
            }));
        }
        // Functions are declared, except an MCP server's, which it lists.
        parts.push(json!({
            "if": { "properties": { "executionType": { "const": "mcp" } }, "required": ["executionType"] },
            "else": { "required": ["functionSchema"], "properties": { "functionSchema": { "minItems": 1 } } }
        }));
    }
    for (schema, property, rule) in rules() {
        if let Some(target) = schemas
            .get_mut(schema)
            .and_then(|s| property_of(s, property))
        {
            if let (Some(target), Some(rule)) = (target.as_object_mut(), rule.as_object()) {
                for (k, v) in rule {
                    target.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

/// The schema of `name` in an object schema, or in one of its `allOf`
/// parts (a flattened struct).
fn property_of<'a>(schema: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    if schema.pointer(&format!("/properties/{name}")).is_some() {
        return schema.pointer_mut(&format!("/properties/{name}"));
    }
    schema
        .get_mut("allOf")?
        .as_array_mut()?
        .iter_mut()
        .find_map(|part| part.get_mut("properties")?.get_mut(name))
}

/// The real range of unsigned numbers: `u32` ends at 4294967295, `u64`
/// at 18446744073709551615.
fn unsigned_range(value: &mut Value) {
    match value {
        Value::Object(map) => {
            match unsigned(map) {
                Some(32) => {
                    map.insert("format".into(), json!("int64"));
                    map.entry("maximum").or_insert(json!(4_294_967_295_u64));
                }
                // `int64` would cap it at 2^63 - 1.
                Some(64) if !map.contains_key("maximum") => {
                    map.remove("format");
                    map.insert("maximum".into(), json!(u64::MAX));
                }
                _ => {}
            }
            for v in map.values_mut() {
                unsigned_range(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(unsigned_range),
        _ => {}
    }
}

/// 32 or 64 for an unsigned integer of that width (utoipa writes `u32` as
/// `int32` and `u64` as `int64`, each with a minimum of 0 or more).
fn unsigned(map: &Map<String, Value>) -> Option<u8> {
    let integer = match map.get("type") {
        Some(Value::String(t)) => t == "integer",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
        _ => false,
    };
    let non_negative = map
        .get("minimum")
        .and_then(Value::as_f64)
        .is_some_and(|m| m >= 0.0);
    if !integer || !non_negative {
        return None;
    }
    match map.get("format").and_then(Value::as_str) {
        Some("int32") => Some(32),
        Some("int64") => Some(64),
        _ => None,
    }
}

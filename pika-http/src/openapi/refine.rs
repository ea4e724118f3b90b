//! What the handlers' annotations leave out, added to the generated
//! document in one place so every route gets it alike:
//!
//! - the problem documents every route can answer (`401` on protected
//!   routes, `400` where it takes input, `413`/`415` where it takes a body,
//!   `404` where its path names something, `429` from the rate limit, `500`
//!   and `503`), served as `application/problem+json`;
//! - the shapes the server checks in path and query parameters (UUIDs, id
//!   patterns, page sizes, dates, enumerations), so a request the document
//!   calls valid is one the server accepts.

use serde_json::{json, Map, Value};

/// A UUIDv7 (session ids).
const UUID_V7: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$";
/// Any UUID but the nil one (message, file and feedback ids).
const UUID: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$";
/// Chat app, agent and tool ids.
const SLUG: &str = "^[A-Za-z0-9_-]{1,128}$";
/// User and entity ids: printable, no spaces, `/` or `#`.
pub(super) const OPAQUE: &str = "^[^\\s\\x00-\\x1f\\x7f-\\x9f/#]{1,256}$";
/// A share's secret.
const SHARE: &str = "^[0-9a-f]{64}$";
/// A tag name (the protocols' own names are reserved).
const TAG: &str = "^(?!(trace|heartbeat|pika-metadata|script|style)$)[a-z][a-z0-9._-]{0,63}$";
/// A component module or style sheet.
pub(super) const COMPONENT: &str = "^(?!.*\\.\\.)[a-z0-9][a-z0-9._-]{0,94}\\.(js|mjs|css)$";

/// Adds the shared responses and the parameters' shapes to `doc`.
pub(super) fn refine(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(operations) = item.as_object_mut() else {
            continue;
        };
        for (_method, operation) in operations.iter_mut() {
            if let Some(operation) = operation.as_object_mut() {
                refine_operation(path, operation);
            }
        }
    }
}

/// `list_chat_apps` → `listChatApps`; admin routes' ids start with `admin`
/// (`adminListChatApps`), so no two ids meet once a generator changes
/// their case.
fn operation_id(path: &str, id: &str) -> String {
    let mut out = String::with_capacity(id.len() + 5);
    let mut upper = false;
    for c in id.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    if path.starts_with("/admin/") && !out.starts_with("admin") {
        let mut chars = out.chars();
        let first: String = chars
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default();
        out = format!("admin{first}{}", chars.as_str());
    }
    out
}

fn refine_operation(path: &str, operation: &mut Map<String, Value>) {
    if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
        let id = operation_id(path, id);
        operation.insert("operationId".into(), Value::String(id));
    }
    let public = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(Map::is_empty)));
    let has_body = operation.contains_key("requestBody");
    let has_input = has_body
        || operation
            .get("parameters")
            .and_then(Value::as_array)
            .is_some_and(|p| !p.is_empty());
    if let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    {
        for parameter in parameters {
            shape_parameter(path, parameter);
        }
    }
    let responses = operation
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(responses) = responses else { return };
    for response in responses.values_mut() {
        as_problem_json(response);
    }
    let mut add = |status: &str, why: &str| {
        responses
            .entry(status.to_string())
            .or_insert_with(|| problem(why));
    };
    if has_input {
        add("400", "The request is malformed or a value is refused");
    }
    if !public {
        add("401", "No valid bearer token");
        add("403", "The caller may not do this");
    }
    if path.contains('{') {
        add("404", "Nothing of that id the caller may see");
    }
    if has_body {
        add("413", "The body is too large");
        add("415", "The body is not of the media type this route takes");
    }
    add("429", "Too many requests from this caller; retry later");
    add("500", "The server failed");
    add("503", "A store or model is unavailable; retry later");
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": {
            "schema": { "$ref": "#/components/schemas/Problem" }
        } }
    })
}

/// Problem documents are served as `application/problem+json`.
fn as_problem_json(response: &mut Value) {
    let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
        return;
    };
    let is_problem = content
        .get("application/json")
        .and_then(|c| c.pointer("/schema/$ref"))
        .and_then(Value::as_str)
        .is_some_and(|r| r.ends_with("/Problem"));
    if is_problem {
        if let Some(media) = content.remove("application/json") {
            content.insert("application/problem+json".to_string(), media);
        }
    }
}

fn pattern(p: &str) -> Value {
    json!({ "type": "string", "pattern": p })
}

/// The shape the server checks for `parameter` of `path`.
/// A parameter is absent or has a value: never `null` (utoipa writes an
/// optional one as `[T, "null"]`).
fn not_null(parameter: &mut Value) {
    if let Some(Value::Array(types)) = parameter.pointer_mut("/schema/type") {
        types.retain(|t| t != "null");
        if let [one] = types.as_slice() {
            let one = one.clone();
            if let Some(schema) = parameter.get_mut("schema") {
                schema["type"] = one;
            }
        }
    }
}

fn shape_parameter(path: &str, parameter: &mut Value) {
    not_null(parameter);
    let name = parameter
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let place = parameter
        .get("in")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let schema = match (place, name) {
        ("path", "sessionId") => pattern(UUID_V7),
        ("path", "id") if path.starts_with("/sessions/") => pattern(UUID_V7),
        ("path", "messageId" | "fileId") => pattern(UUID),
        ("path", "id") if path.starts_with("/admin/feedback/") => pattern(UUID),
        ("path", "shareId") => pattern(SHARE),
        ("path", "chatAppId") => pattern(SLUG),
        ("path", "id")
            if [
                "/admin/chatapps/",
                "/chatapps/",
                "/admin/agents/",
                "/admin/tools/",
            ]
            .iter()
            .any(|p| path.starts_with(p)) =>
        {
            pattern(SLUG)
        }
        ("path", "id") if path.starts_with("/admin/users/") => pattern(OPAQUE),
        ("path", "tag") => pattern(TAG),
        ("path", "name") => pattern(COMPONENT),
        ("query", "limit") => json!({ "type": "integer", "minimum": 1, "maximum": 100 }),
        ("query", "chatAppId") => pattern(SLUG),
        ("query", "entityId" | "userId") => pattern(OPAQUE),
        ("query", "from" | "to") if path == "/admin/analytics" => {
            json!({ "type": "string", "format": "date" })
        }
        ("query", "from" | "to") => json!({ "type": "string", "format": "date-time" }),
        ("query", "sort") => json!({ "type": "string", "enum": ["relevance", "newest", "oldest"] }),
        ("query", "status") => {
            json!({ "type": "string", "enum": ["open", "in_review", "resolved", "closed"] })
        }
        ("header", "Last-Event-ID") => json!({
            "type": "string",
            "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}:[0-9]{1,9}$"
        }),
        ("query", "minScore") => json!({ "type": "integer", "minimum": 0, "maximum": 100 }),
        _ => return,
    };
    parameter["schema"] = schema;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_documents_its_problems_as_problem_json() {
        let mut doc = json!({ "paths": {
            "/sessions/{id}": { "get": {
                "parameters": [{ "in": "path", "name": "id", "required": true, "schema": { "type": "string" } }],
                "responses": { "404": { "description": "gone", "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/Problem" } } } } }
            } },
            "/health": { "get": { "security": [{}], "responses": {} } }
        } });
        refine(&mut doc);
        let get = &doc["paths"]["/sessions/{id}"]["get"];
        for status in ["400", "401", "403", "404", "429", "500", "503"] {
            assert!(
                get["responses"][status]["content"]["application/problem+json"].is_object(),
                "{status}: {get}"
            );
        }
        assert_eq!(get["responses"]["404"]["description"], "gone", "kept");
        assert!(get["responses"]["404"]["content"]
            .get("application/json")
            .is_none());
        assert_eq!(get["parameters"][0]["schema"]["pattern"], UUID_V7);
        let health = &doc["paths"]["/health"]["get"]["responses"];
        assert!(health.get("401").is_none(), "public: no 401");
        assert!(health.get("400").is_none(), "no input: no 400");
    }
}

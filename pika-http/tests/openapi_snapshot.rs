//! `docs/openapi.json` is the document `pika-local` serves (with
//! `POST /dev/token`): client developers generate from it (the page's
//! TypeScript types come from it, `scripts/check-page-types.sh`), so it
//! must not drift from the routes; nor `docs/openapi-3.0.json`, the same in
//! OpenAPI 3.0 (the progenitor example is generated from it).
//! `PIKA_UPDATE_OPENAPI=1 cargo test -p pika-http --features dev-tokens
//! --test openapi_snapshot` rewrites both.
#![cfg(feature = "dev-tokens")]
#![allow(clippy::expect_used, missing_docs)]

use std::path::PathBuf;

#[test]
fn the_committed_document_is_the_served_one() {
    same_as_committed("openapi.json", pika_http::openapi::document(true));
}

/// `docs/openapi-3.0.json`: the same in OpenAPI 3.0, for generators that
/// read no 3.1 (examples/progenitor_client.rs is generated from it).
#[test]
fn the_committed_3_0_document_is_the_served_one_in_3_0() {
    let doc = pika_http::openapi::document_v3_0(true);
    assert_eq!(doc["openapi"], "3.0.3");
    let text = doc.to_string();
    for keyword in [
        "\"const\"",
        "\"if\"",
        "\"propertyNames\"",
        "\"type\":[",
        "\"type\":\"null\"",
    ] {
        assert!(!text.contains(keyword), "{keyword} is not OpenAPI 3.0");
    }
    same_as_committed("openapi-3.0.json", doc);
}

fn same_as_committed(name: &str, served: serde_json::Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../docs")
        .join(name);
    let text = format!(
        "{}\n",
        serde_json::to_string_pretty(&served).expect("a JSON value serializes")
    );
    if std::env::var_os("PIKA_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &text).expect("docs/openapi.json is writable");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let committed: serde_json::Value = serde_json::from_str(&committed).unwrap_or_default();
    assert!(
        committed == served,
        "docs/{name} differs from the document the routes give; \
         rewrite it with PIKA_UPDATE_OPENAPI=1 cargo test -p pika-http \
         --features dev-tokens --test openapi_snapshot, then regenerate the \
         page's types (scripts/check-page-types.sh --update)"
    );
}

//! `docs/openapi.json` is the document `pika-local` serves (with
//! `POST /dev/token`): client developers generate from it (the page's
//! TypeScript types come from it, `scripts/check-page-types.sh`), so it
//! must not drift from the routes. `PIKA_UPDATE_OPENAPI=1 cargo test -p
//! pika-http --features dev-tokens --test openapi_snapshot` rewrites it.
#![cfg(feature = "dev-tokens")]

use std::path::PathBuf;

#[test]
fn the_committed_document_is_the_served_one() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    let served = pika_http::openapi::document(true);
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
        "docs/openapi.json differs from the document the routes give; \
         rewrite it with PIKA_UPDATE_OPENAPI=1 cargo test -p pika-http \
         --features dev-tokens --test openapi_snapshot, then regenerate the \
         page's types (scripts/check-page-types.sh --update)"
    );
}

//! The [`FileStore`] contract: objects round-trip with their type, absent
//! objects read as `None`, `delete_prefix` removes exactly what lies under a
//! prefix, and presigned URLs carry their method, headers and expiry.
// Contract suites are tests: a broken contract must fail loudly, at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pika_domain::chrono::{DateTime, Duration, Utc};
use pika_ports::{ErrorKind, FileStore, PresignedUrl, UploadGrant};
use std::future::Future;

/// How far an adapter's reported expiry may stray from the one asked for
/// (signing rounds to whole seconds).
const EXPIRY_SLACK_SECS: i64 = 5;

fn assert_expiry(url: &PresignedUrl, wanted: DateTime<Utc>, what: &str) {
    let off = (url.expires_at - wanted).num_seconds().abs();
    assert!(
        off <= EXPIRY_SLACK_SECS,
        "{what}: expires at {}, asked for {wanted}",
        url.expires_at
    );
}

fn header<'a>(url: &'a PresignedUrl, name: &str) -> Option<&'a str> {
    url.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Checks the whole [`FileStore`] contract. `make` must give a fresh, empty,
/// isolated store on every call.
pub async fn file_store_contract<S, F, Fut>(make: F)
where
    S: FileStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    absent_objects_read_as_none(make().await).await;
    put_get_head_round_trip(make().await).await;
    delete_prefix_removes_exactly_the_prefix(make().await).await;
    presigned_upload_carries_method_headers_and_expiry(make().await).await;
    presigned_download_carries_method_and_expiry(make().await).await;
    refused_keys_are_invalid(make().await).await;
}

async fn absent_objects_read_as_none<S: FileStore>(store: S) {
    assert_eq!(store.get("contract/nothing.txt").await.unwrap(), None);
    assert_eq!(store.head("contract/nothing.txt").await.unwrap(), None);
    assert_eq!(store.delete_prefix("contract/").await.unwrap(), 0);
}

async fn put_get_head_round_trip<S: FileStore>(store: S) {
    let key = "session-insights/app/user/one.json";
    store
        .put(key, b"{\"a\":1}".to_vec(), "application/json")
        .await
        .unwrap();
    assert_eq!(
        store.get(key).await.unwrap().as_deref(),
        Some(&b"{\"a\":1}"[..])
    );
    let info = store.head(key).await.unwrap().expect("head after put");
    assert_eq!(info.size, 7);
    assert_eq!(info.content_type.as_deref(), Some("application/json"));

    // A put replaces the object, type included.
    store
        .put(key, b"hello".to_vec(), "text/plain")
        .await
        .unwrap();
    assert_eq!(
        store.get(key).await.unwrap().as_deref(),
        Some(&b"hello"[..])
    );
    let info = store.head(key).await.unwrap().expect("head after replace");
    assert_eq!(info.size, 5);
    assert_eq!(info.content_type.as_deref(), Some("text/plain"));

    // Empty bodies are objects too.
    store
        .put("contract/empty.bin", Vec::new(), "application/octet-stream")
        .await
        .unwrap();
    assert_eq!(
        store.get("contract/empty.bin").await.unwrap(),
        Some(Vec::new())
    );
    assert_eq!(
        store
            .head("contract/empty.bin")
            .await
            .unwrap()
            .unwrap()
            .size,
        0
    );
}

async fn delete_prefix_removes_exactly_the_prefix<S: FileStore>(store: S) {
    let doomed = [
        "uploads/u1/s1/f1/a.txt",
        "uploads/u1/s1/f2/b.txt",
        "uploads/u1/s2/f3/c.txt",
    ];
    let kept = [
        "uploads/u10/s1/f4/d.txt",
        "uploads/u2/s1/f5/e.txt",
        "other/u1/x.txt",
    ];
    for key in doomed.iter().chain(kept.iter()) {
        store
            .put(key, key.as_bytes().to_vec(), "text/plain")
            .await
            .unwrap();
    }
    assert_eq!(store.delete_prefix("uploads/u1/s1/").await.unwrap(), 2);
    assert_eq!(store.get(doomed[0]).await.unwrap(), None);
    assert_eq!(store.head(doomed[1]).await.unwrap(), None);
    assert!(
        store.get(doomed[2]).await.unwrap().is_some(),
        "other session kept"
    );

    assert_eq!(store.delete_prefix("uploads/u1/").await.unwrap(), 1);
    for key in kept {
        assert_eq!(
            store.get(key).await.unwrap().as_deref(),
            Some(key.as_bytes()),
            "{key} is not under the deleted prefixes"
        );
    }
    // Nothing left under it: zero, not an error.
    assert_eq!(store.delete_prefix("uploads/u1/").await.unwrap(), 0);
    // An empty prefix would delete everything: refused, nothing deleted.
    let refused = store.delete_prefix("").await.unwrap_err();
    assert_eq!(refused.kind, pika_ports::ErrorKind::Invalid);
    for key in kept {
        assert!(
            store.head(key).await.unwrap().is_some(),
            "{key} survives a refused delete"
        );
    }
}

async fn presigned_upload_carries_method_headers_and_expiry<S: FileStore>(store: S) {
    let expires_at = Utc::now() + Duration::minutes(10);
    let grant = UploadGrant {
        key: "uploads/u1/s1/f1/report.pdf".to_string(),
        content_type: "application/pdf".to_string(),
        content_length: 1234,
        expires_at,
    };
    let url = store.presign_upload(&grant).await.unwrap();
    assert!(!url.url.is_empty());
    assert!(
        url.method.eq_ignore_ascii_case("PUT"),
        "method {}",
        url.method
    );
    assert_eq!(header(&url, "content-type"), Some("application/pdf"));
    assert_expiry(&url, expires_at, "upload");

    // Another grant gives another URL.
    let other = UploadGrant {
        key: "uploads/u1/s1/f2/other.pdf".to_string(),
        ..grant.clone()
    };
    assert_ne!(store.presign_upload(&other).await.unwrap().url, url.url);
    // Presigning writes nothing.
    assert_eq!(store.head(&grant.key).await.unwrap(), None);
}

async fn presigned_download_carries_method_and_expiry<S: FileStore>(store: S) {
    let key = "uploads/u1/s1/f1/notes.txt";
    store
        .put(key, b"notes".to_vec(), "text/plain")
        .await
        .unwrap();
    let expires_at = Utc::now() + Duration::minutes(5);
    let url = store.presign_download(key, expires_at).await.unwrap();
    assert!(!url.url.is_empty());
    assert!(
        url.method.eq_ignore_ascii_case("GET"),
        "method {}",
        url.method
    );
    assert_expiry(&url, expires_at, "download");
}

async fn refused_keys_are_invalid<S: FileStore>(store: S) {
    let expires_at = Utc::now() + Duration::minutes(5);
    for key in ["", "uploads/../secrets.txt"] {
        let grant = UploadGrant {
            key: key.to_string(),
            content_type: "text/plain".to_string(),
            content_length: 1,
            expires_at,
        };
        let err = store.presign_upload(&grant).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid, "upload key {key:?}: {err}");
        let err = store.presign_download(key, expires_at).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid, "download key {key:?}: {err}");
    }
}

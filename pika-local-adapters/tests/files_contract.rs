//! The local file store against the `FileStore` contract, plus keys that
//! must stay inside the root and names that are both object and folder.
#![cfg(feature = "files")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pika_domain::chrono::{DateTime, Duration, Utc};
use pika_local_adapters::files::{FileRequest, LocalFileStore, SignedQuery, UrlError};
use pika_ports::{ErrorKind, FileStore, UploadGrant};
use pika_testkit::contracts::files::file_store_contract;
use std::path::Path;

const BASE: &str = "http://localhost:8080";

fn store(root: &Path) -> LocalFileStore {
    LocalFileStore::new(
        root,
        format!("{BASE}/"),
        b"0123456789abcdef0123456789abcdef".to_vec(),
    )
}
#[tokio::test]
async fn local_store_passes_the_contract() {
    let root = tempfile::tempdir().unwrap();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    file_store_contract(|| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = root.path().join(format!("store-{n}"));
        async move { store(&dir) }
    })
    .await;
}
fn grant(key: &str, expires_at: DateTime<Utc>) -> UploadGrant {
    UploadGrant {
        key: key.to_string(),
        content_type: "application/pdf".to_string(),
        content_length: 5,
        expires_at,
    }
}
#[tokio::test]
async fn traversal_keys_are_refused_everywhere() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("root");
    let s = store(&root);
    let later = Utc::now() + Duration::minutes(5);
    let bad = [
        "",
        "../escape.txt",
        "a/../../escape.txt",
        "/etc/passwd",
        "a/./b",
        "a\\..\\b",
        "a\0b",
        "a//b",
        "a/",
    ];
    for key in bad {
        assert_eq!(
            s.put(key, b"x".to_vec(), "text/plain")
                .await
                .unwrap_err()
                .kind,
            ErrorKind::Invalid,
            "put {key:?}"
        );
        assert_eq!(
            s.presign_upload(&grant(key, later)).await.unwrap_err().kind,
            ErrorKind::Invalid
        );
        assert_eq!(
            s.presign_download(key, later).await.unwrap_err().kind,
            ErrorKind::Invalid
        );
        assert_eq!(s.get(key).await.unwrap(), None);
        assert_eq!(s.head(key).await.unwrap(), None);
        let q = SignedQuery {
            method: "GET".into(),
            expires: later.timestamp(),
            ct: None,
            len: None,
            sig: "x".into(),
        };
        let req = FileRequest {
            key,
            method: "GET",
            query: &q,
            content_type: None,
            content_length: None,
        };
        assert_eq!(
            s.verify(&req, Utc::now()).unwrap_err(),
            UrlError::BadKey,
            "{key:?}"
        );
    }
    for prefix in ["", "../", "a/../", "/"] {
        assert_eq!(
            s.delete_prefix(prefix).await.unwrap_err().kind,
            ErrorKind::Invalid,
            "{prefix:?}"
        );
    }
    let mut names: Vec<_> = std::fs::read_dir(outer.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(
        names.iter().all(|n| n == "root"),
        "written outside the root: {names:?}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn links_inside_the_root_are_not_followed() {
    let outer = tempfile::tempdir().unwrap();
    let secret_dir = outer.path().join("secret");
    std::fs::create_dir_all(&secret_dir).unwrap();
    std::fs::write(secret_dir.join("key.txt"), b"secret").unwrap();
    let root = outer.path().join("root");
    let s = store(&root);
    s.put("real/file.txt", b"ok".to_vec(), "text/plain")
        .await
        .unwrap();
    std::os::unix::fs::symlink(&secret_dir, root.join("objects").join("link")).unwrap();
    assert_eq!(s.get("link/key.txt").await.unwrap(), None);
    assert_eq!(s.head("link/key.txt").await.unwrap(), None);
    assert_eq!(
        s.put("link/new.txt", b"x".to_vec(), "text/plain")
            .await
            .unwrap_err()
            .kind,
        ErrorKind::Invalid
    );
    assert_eq!(s.delete_prefix("link/").await.unwrap(), 0);
    assert_eq!(s.delete_prefix("l").await.unwrap(), 0);
    assert_eq!(
        std::fs::read(secret_dir.join("key.txt")).unwrap(),
        b"secret"
    );
    assert!(!secret_dir.join("new.txt").exists());
}

#[tokio::test]
async fn objects_and_folders_of_one_name_do_not_mix() {
    let root = tempfile::tempdir().unwrap();
    let s = store(root.path());
    s.put("a/b", b"1".to_vec(), "text/plain").await.unwrap();
    assert_eq!(
        s.put("a", b"2".to_vec(), "text/plain")
            .await
            .unwrap_err()
            .kind,
        ErrorKind::Invalid
    );
    assert_eq!(
        s.put("a/b/c", b"3".to_vec(), "text/plain")
            .await
            .unwrap_err()
            .kind,
        ErrorKind::Invalid
    );
    assert_eq!(s.get("a").await.unwrap(), None, "a folder is no object");
    assert_eq!(s.delete_prefix("a/").await.unwrap(), 1);
    s.put("a", b"2".to_vec(), "text/plain").await.unwrap();
    assert_eq!(
        s.get("a").await.unwrap(),
        Some(b"2".to_vec()),
        "emptied folders give way"
    );
    assert_eq!(s.delete_prefix("a").await.unwrap(), 1);
}

#[tokio::test]
async fn presigning_needs_a_signing_key() {
    let root = tempfile::tempdir().unwrap();
    let s = LocalFileStore::new(root.path(), BASE.to_string(), Vec::new());
    let later = Utc::now() + Duration::minutes(5);
    assert_eq!(
        s.presign_upload(&grant("a/b", later))
            .await
            .unwrap_err()
            .kind,
        ErrorKind::Permanent
    );
    assert_eq!(
        s.presign_download("a/b", later).await.unwrap_err().kind,
        ErrorKind::Permanent
    );
}

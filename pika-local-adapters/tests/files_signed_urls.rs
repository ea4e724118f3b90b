//! Signed URLs of the local file store: valid ones work, every tampered
//! part is refused, expiry is enforced, queries parse strictly.
#![cfg(feature = "files")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pika_domain::chrono::{DateTime, Duration, Utc};
use pika_local_adapters::files::{
    FileRequest, LocalFileStore, SignedMethod, SignedQuery, StoredObject, UrlError,
};
use pika_ports::{ErrorKind, FileStore, PresignedUrl, UploadGrant};
use std::path::Path;

const BASE: &str = "http://localhost:8080";

fn store(root: &Path) -> LocalFileStore {
    LocalFileStore::new(
        root,
        format!("{BASE}/"),
        b"0123456789abcdef0123456789abcdef".to_vec(),
    )
}
/// Percent-decodes a URL path as a router does.
fn decode_path(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&path[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The key and query a route would see for `url`.
fn route(url: &PresignedUrl) -> (String, SignedQuery) {
    let rest = url
        .url
        .strip_prefix(&format!("{BASE}/files/"))
        .expect("base and route");
    let (path, query) = rest.split_once('?').expect("a query");
    let parsed = SignedQuery::parse(query).unwrap();
    let uri: axum::http::Uri = url.url.parse().unwrap();
    let axum::extract::Query(by_axum) =
        axum::extract::Query::<SignedQuery>::try_from_uri(&uri).unwrap();
    assert_eq!(parsed, by_axum, "both parsers read the same query");
    (decode_path(path), parsed)
}
fn grant(key: &str, expires_at: DateTime<Utc>) -> UploadGrant {
    UploadGrant {
        key: key.to_string(),
        content_type: "application/pdf".to_string(),
        content_length: 5,
        expires_at,
    }
}
fn put_request<'a>(key: &'a str, query: &'a SignedQuery) -> FileRequest<'a> {
    FileRequest {
        key,
        method: "PUT",
        query,
        content_type: Some("application/pdf"),
        content_length: Some(5),
    }
}

#[tokio::test]
async fn a_valid_upload_url_lands_its_bytes() {
    let root = tempfile::tempdir().unwrap();
    let s = store(root.path());
    let key = "uploads/u1/s1/f1/my report é+☃.pdf";
    let url = s
        .presign_upload(&grant(key, Utc::now() + Duration::minutes(5)))
        .await
        .unwrap();
    assert_eq!(url.expires_at.timestamp_subsec_nanos(), 0, "whole seconds");
    let (path_key, query) = route(&url);
    assert_eq!(path_key, key);
    let verified = s
        .verify(&put_request(&path_key, &query), Utc::now())
        .unwrap();
    assert_eq!(verified.method(), SignedMethod::Put);
    assert_eq!(verified.key(), key);
    assert_eq!(verified.content_type(), Some("application/pdf"));
    assert_eq!(verified.expires_at(), url.expires_at);

    let short = s.write_uploaded(&verified, b"1234").await.unwrap_err();
    assert_eq!(short.kind, ErrorKind::Invalid);
    assert_eq!(s.head(key).await.unwrap(), None, "nothing written");
    s.write_uploaded(&verified, b"%PDF-").await.unwrap();
    let info = s.head(key).await.unwrap().unwrap();
    assert_eq!(
        (info.size, info.content_type.as_deref()),
        (5, Some("application/pdf"))
    );
    let refused = s.read(&verified).await.unwrap_err();
    assert_eq!(
        refused.kind,
        ErrorKind::Invalid,
        "an upload URL does not read"
    );

    let download = s
        .presign_download(key, Utc::now() + Duration::minutes(1))
        .await
        .unwrap();
    assert!(download.headers.is_empty());
    let (path_key, query) = route(&download);
    let get = FileRequest {
        key: &path_key,
        method: "GET",
        query: &query,
        content_type: None,
        content_length: None,
    };
    let verified = s.verify(&get, Utc::now()).unwrap();
    assert_eq!(
        s.read(&verified).await.unwrap(),
        Some(StoredObject {
            body: b"%PDF-".to_vec(),
            content_type: Some("application/pdf".to_string())
        })
    );
    assert_eq!(
        s.write_uploaded(&verified, b"%PDF-")
            .await
            .unwrap_err()
            .kind,
        ErrorKind::Invalid,
        "a download URL does not write"
    );
}

#[tokio::test]
async fn every_tampered_part_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let s = store(root.path());
    let key = "uploads/u1/s1/f1/a.pdf";
    let url = s
        .presign_upload(&grant(key, Utc::now() + Duration::minutes(5)))
        .await
        .unwrap();
    let (key, q) = route(&url);
    let now = Utc::now();
    assert!(s.verify(&put_request(&key, &q), now).is_ok());

    let check = |req: FileRequest<'_>, want: UrlError, what: &str| {
        assert_eq!(s.verify(&req, now).unwrap_err(), want, "{what}");
    };
    check(
        put_request("uploads/u1/s1/f1/b.pdf", &q),
        UrlError::BadSignature,
        "other key",
    );
    check(
        put_request("uploads/u2/s1/f1/a.pdf", &q),
        UrlError::BadSignature,
        "other user",
    );
    let tampered = [
        SignedQuery {
            expires: q.expires + 3600,
            ..q.clone()
        },
        SignedQuery {
            len: Some(6),
            ..q.clone()
        },
        SignedQuery {
            len: None,
            ..q.clone()
        },
        SignedQuery {
            ct: Some("text/html".to_string()),
            ..q.clone()
        },
        SignedQuery {
            method: "GET".to_string(),
            ..q.clone()
        },
        SignedQuery {
            sig: q.sig[1..].to_string(),
            ..q.clone()
        },
        SignedQuery {
            sig: "not base64 !".to_string(),
            ..q.clone()
        },
        SignedQuery {
            sig: String::new(),
            ..q.clone()
        },
    ];
    for t in &tampered {
        check(
            put_request(&key, t),
            UrlError::BadSignature,
            &format!("{t:?}"),
        );
    }
    let unknown = SignedQuery {
        method: "DELETE".to_string(),
        ..q.clone()
    };
    check(
        put_request(&key, &unknown),
        UrlError::Malformed,
        "unknown method",
    );

    let req = |ct: Option<&'static str>, len: Option<u64>, method: &'static str| FileRequest {
        content_type: ct,
        content_length: len,
        method,
        ..put_request(&key, &q)
    };
    check(
        req(Some("text/html"), Some(5), "PUT"),
        UrlError::WrongContentType,
        "type",
    );
    check(
        req(None, Some(5), "PUT"),
        UrlError::WrongContentType,
        "no type",
    );
    check(
        req(Some("application/pdf"), Some(6), "PUT"),
        UrlError::WrongLength,
        "length",
    );
    check(
        req(Some("application/pdf"), None, "PUT"),
        UrlError::WrongLength,
        "no length",
    );
    check(
        req(Some("application/pdf"), Some(5), "GET"),
        UrlError::WrongMethod,
        "method",
    );

    let other = LocalFileStore::new(root.path(), BASE.to_string(), b"another key".to_vec());
    assert_eq!(
        other.verify(&put_request(&key, &q), now).unwrap_err(),
        UrlError::BadSignature
    );
}

#[tokio::test]
async fn expired_urls_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let s = store(root.path());
    let expires_at = Utc::now() + Duration::minutes(5);
    let url = s
        .presign_upload(&grant("a/b.pdf", expires_at))
        .await
        .unwrap();
    let (key, q) = route(&url);
    let req = put_request(&key, &q);
    assert!(
        s.verify(&req, url.expires_at).is_ok(),
        "valid through its last second"
    );
    assert!(s
        .verify(&req, url.expires_at + Duration::milliseconds(999))
        .is_ok());
    assert_eq!(
        s.verify(&req, url.expires_at + Duration::seconds(1))
            .unwrap_err(),
        UrlError::Expired
    );
    let past = s
        .presign_download("a/b.pdf", Utc::now() - Duration::seconds(5))
        .await
        .unwrap();
    let (key, q) = route(&past);
    let get = FileRequest {
        key: &key,
        method: "GET",
        query: &q,
        content_type: None,
        content_length: None,
    };
    assert_eq!(s.verify(&get, Utc::now()).unwrap_err(), UrlError::Expired);
}
#[test]
fn queries_parse_strictly() {
    let q =
        SignedQuery::parse("method=PUT&expires=10&ct=text%2Fplain&len=3&sig=abc&extra=1").unwrap();
    assert_eq!(q.ct.as_deref(), Some("text/plain"));
    assert_eq!((q.expires, q.len), (10, Some(3)));
    for bad in [
        "",
        "method=GET&sig=abc",
        "method=GET&expires=soon&sig=abc",
        "method=PUT&expires=1&len=-1&sig=abc",
        "method=GET&expires=1&sig=a&sig=b",
        "method=GET&expires=1&sig=%zz",
    ] {
        assert_eq!(
            SignedQuery::parse(bad).unwrap_err(),
            UrlError::Malformed,
            "{bad:?}"
        );
    }
}

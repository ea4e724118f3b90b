//! Presigned S3 URLs: what they sign (read from the URL, since moto does not
//! check signatures) and that a client sending the returned headers can
//! upload and download through them.
#![cfg(feature = "s3")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod moto_support;
mod s3_support;

use pika_aws_adapters::s3::S3FileStore;
use pika_domain::chrono::{Duration, Utc};
use pika_ports::{ErrorKind, FileStore, PresignedUrl, UploadGrant};
use s3_support::{config, fresh_bucket, fresh_store};
use std::collections::HashMap;

fn query(url: &str) -> HashMap<String, String> {
    let parsed = reqwest::Url::parse(url).unwrap();
    parsed.query_pairs().into_owned().collect()
}

fn path(url: &str) -> String {
    reqwest::Url::parse(url).unwrap().path().to_string()
}

fn signed_headers(url: &PresignedUrl) -> Vec<String> {
    query(&url.url)["X-Amz-SignedHeaders"]
        .split(';')
        .map(str::to_string)
        .collect()
}

fn header<'a>(url: &'a PresignedUrl, name: &str) -> Option<&'a str> {
    url.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn grant(key: &str, content_type: &str, length: u64, minutes: i64) -> UploadGrant {
    UploadGrant {
        key: key.to_string(),
        content_type: content_type.to_string(),
        content_length: length,
        expires_at: Utc::now() + Duration::minutes(minutes),
    }
}

#[tokio::test]
async fn an_upload_url_signs_type_length_and_encryption_for_its_key_only() {
    let bucket = fresh_bucket().await;
    let store = S3FileStore::new(&moto_support::sdk_config().await, config(&bucket, None));
    let g = grant(
        "uploads/alice/s1/f1/report v2.pdf",
        "application/pdf",
        1234,
        10,
    );
    let url = store.presign_upload(&g).await.unwrap();

    assert_eq!(url.method, "PUT");
    assert_eq!(
        path(&url.url),
        format!("/{bucket}/uploads/alice/s1/f1/report%20v2.pdf")
    );
    let signed = signed_headers(&url);
    for name in [
        "content-type",
        "content-length",
        "x-amz-server-side-encryption",
        "host",
    ] {
        assert!(
            signed.contains(&name.to_string()),
            "{name} not signed: {signed:?}"
        );
    }
    assert_eq!(header(&url, "content-type"), Some("application/pdf"));
    assert_eq!(header(&url, "content-length"), Some("1234"));
    assert_eq!(header(&url, "x-amz-server-side-encryption"), Some("AES256"));
    // Every header the client is told to send is one the signature covers.
    for (name, _) in &url.headers {
        assert!(signed.contains(name), "{name} returned but not signed");
    }
    let expires: i64 = query(&url.url)["X-Amz-Expires"].parse().unwrap();
    assert!((598..=600).contains(&expires), "X-Amz-Expires {expires}");
    assert!((url.expires_at - g.expires_at).num_seconds().abs() <= 1);
}

#[tokio::test]
async fn with_kms_the_key_id_is_signed_too() {
    let bucket = fresh_bucket().await;
    let store = S3FileStore::new(
        &moto_support::sdk_config().await,
        config(&bucket, Some("arn:aws:kms:us-east-1:123456789012:key/pika")),
    );
    let url = store
        .presign_upload(&grant("uploads/u/s/f/a.txt", "text/plain", 3, 5))
        .await
        .unwrap();
    let signed = signed_headers(&url);
    assert!(
        signed.contains(&"x-amz-server-side-encryption-aws-kms-key-id".to_string()),
        "{signed:?}"
    );
    assert_eq!(
        header(&url, "x-amz-server-side-encryption"),
        Some("aws:kms")
    );
    assert_eq!(
        header(&url, "x-amz-server-side-encryption-aws-kms-key-id"),
        Some("arn:aws:kms:us-east-1:123456789012:key/pika")
    );
}

#[tokio::test]
async fn a_download_url_names_its_key_and_expiry() {
    let bucket = fresh_bucket().await;
    let store = S3FileStore::new(&moto_support::sdk_config().await, config(&bucket, None));
    let expires_at = Utc::now() + Duration::seconds(90);
    let url = store
        .presign_download("session-insights/app/u/s.json", expires_at)
        .await
        .unwrap();
    assert_eq!(url.method, "GET");
    assert_eq!(
        path(&url.url),
        format!("/{bucket}/session-insights/app/u/s.json")
    );
    let expires: i64 = query(&url.url)["X-Amz-Expires"].parse().unwrap();
    assert!((89..=90).contains(&expires), "X-Amz-Expires {expires}");
    assert!(
        url.headers.is_empty(),
        "a GET needs no headers: {:?}",
        url.headers
    );
}

#[tokio::test]
async fn a_client_uploads_and_downloads_through_the_urls() {
    let store = fresh_store().await;
    let body = b"%PDF-1.7 tiny".to_vec();
    let key = "uploads/alice/s1/f1/tiny.pdf";
    let url = store
        .presign_upload(&grant(key, "application/pdf", body.len() as u64, 5))
        .await
        .unwrap();

    let http = reqwest::Client::new();
    let mut put = http.put(&url.url).body(body.clone());
    for (name, value) in &url.headers {
        put = put.header(name, value);
    }
    let answer = put.send().await.unwrap();
    assert!(answer.status().is_success(), "PUT: {}", answer.status());
    let info = store.head(key).await.unwrap().expect("uploaded");
    assert_eq!(info.size, body.len() as u64);
    assert_eq!(info.content_type.as_deref(), Some("application/pdf"));

    let get = store
        .presign_download(key, Utc::now() + Duration::minutes(1))
        .await
        .unwrap();
    let fetched = http.get(&get.url).send().await.unwrap();
    assert!(fetched.status().is_success());
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), body);
}

#[tokio::test]
async fn presigning_refuses_keys_outside_the_client_areas_and_bad_windows() {
    let store = fresh_store().await;
    for key in [
        "",
        "uploads/../secrets.txt",
        "other/a.txt",
        "uploads/",
        "session-insightsX/a",
    ] {
        let err = store
            .presign_upload(&grant(key, "text/plain", 1, 5))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid, "upload {key:?}");
        let err = store
            .presign_download(key, Utc::now() + Duration::minutes(5))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid, "download {key:?}");
    }
    let past = store
        .presign_download("uploads/a/b", Utc::now() - Duration::minutes(1))
        .await
        .unwrap_err();
    assert_eq!(past.kind, ErrorKind::Invalid);
    let too_far = store
        .presign_upload(&grant("uploads/a/b", "text/plain", 1, 8 * 24 * 60))
        .await
        .unwrap_err();
    assert_eq!(too_far.kind, ErrorKind::Invalid);
}

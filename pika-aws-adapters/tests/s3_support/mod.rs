//! Fresh S3 stores on the shared moto server, each on its own bucket.

#![allow(dead_code)]

use crate::moto_support;
use pika_aws_adapters::s3::{S3Config, S3FileStore};

/// A raw S3 client for moto (path-style addressing), for setting up and
/// inspecting buckets behind the store's back.
pub async fn raw_client() -> aws_sdk_s3::Client {
    let sdk = moto_support::sdk_config().await;
    let conf = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Creates a bucket with a unique name and returns the name.
pub async fn fresh_bucket() -> String {
    let bucket = moto_support::unique_name("pika-s3");
    raw_client()
        .await
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket on moto");
    bucket
}

/// The store's configuration for `bucket` on moto.
pub fn config(bucket: &str, kms_key_id: Option<&str>) -> S3Config {
    S3Config {
        bucket: bucket.to_string(),
        kms_key_id: kms_key_id.map(str::to_string),
        force_path_style: true,
        versioned: false,
    }
}

/// A store on a fresh bucket.
pub async fn fresh_store() -> S3FileStore {
    let bucket = fresh_bucket().await;
    S3FileStore::new(&moto_support::sdk_config().await, config(&bucket, None))
}

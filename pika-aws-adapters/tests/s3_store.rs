//! The S3 file store on moto: the `FileStore` contract, insight documents,
//! server-side encryption of every write, and `delete_prefix` in batches.
#![cfg(feature = "s3")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod moto_support;
mod s3_support;

use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::BoxError;
use aws_sdk_s3::types::ServerSideEncryption;
use futures::stream::{self, StreamExt, TryStreamExt};
use pika_aws_adapters::s3::S3FileStore;
use pika_domain::files::{insight_key, insight_prefix};
use pika_ports::{ErrorKind, FileStore, IdGeneratorExt};
use pika_testkit::contracts::files::file_store_contract;
use pika_testkit::fakes::clock::SequentialIds;
use pika_testkit::fixtures::{chat_app_id, user_id};
use s3_support::{config, fresh_bucket, fresh_store, raw_client};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[tokio::test]
async fn s3_store_passes_the_contract() {
    file_store_contract(fresh_store).await;
}

#[tokio::test]
async fn insight_documents_round_trip_under_their_key() {
    let store = fresh_store().await;
    let ids = SequentialIds::new();
    let app = chat_app_id("support");
    // The key's user segment is the domain's business; this one keeps its `@`.
    let user = user_id("alice@example.com");
    let (first, second) = (ids.session_id(), ids.session_id());
    let doc = br#"{"sentiment":"positive","scores":{"overall":{"score":9}}}"#.to_vec();
    let key = insight_key(&app, &user, &first);
    assert!(key.starts_with("session-insights/support/"), "{key}");
    store
        .put(&key, doc.clone(), "application/json")
        .await
        .unwrap();
    store
        .put(
            &insight_key(&app, &user, &second),
            b"{}".to_vec(),
            "application/json",
        )
        .await
        .unwrap();

    assert_eq!(store.get(&key).await.unwrap(), Some(doc.clone()));
    let info = store.head(&key).await.unwrap().unwrap();
    assert_eq!(info.size, doc.len() as u64);
    assert_eq!(info.content_type.as_deref(), Some("application/json"));
    // The object sits under exactly that key in the bucket.
    let listed = raw_client()
        .await
        .list_objects_v2()
        .bucket(store.bucket())
        .prefix("session-insights/")
        .send()
        .await
        .unwrap();
    let mut keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    keys.sort();
    let mut wanted = vec![key.clone(), insight_key(&app, &user, &second)];
    wanted.sort();
    assert_eq!(keys, wanted);

    // Erasing the user's insights removes both documents.
    assert_eq!(
        store
            .delete_prefix(&insight_prefix(&app, &user))
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.get(&key).await.unwrap(), None);
}

async fn encryption_of(bucket: &str, key: &str) -> (Option<ServerSideEncryption>, Option<String>) {
    let head = raw_client()
        .await
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    (
        head.server_side_encryption().cloned(),
        head.ssekms_key_id().map(str::to_string),
    )
}

#[tokio::test]
async fn every_write_asks_for_server_side_encryption() {
    let sdk = moto_support::sdk_config().await;
    let bucket = fresh_bucket().await;
    let s3_managed = S3FileStore::new(&sdk, config(&bucket, None));
    s3_managed
        .put(
            "session-insights/a/u/s.json",
            b"{}".to_vec(),
            "application/json",
        )
        .await
        .unwrap();
    assert_eq!(
        encryption_of(&bucket, "session-insights/a/u/s.json").await,
        (Some(ServerSideEncryption::Aes256), None)
    );

    let kms = S3FileStore::new(&sdk, config(&bucket, Some("alias/pika-test")));
    kms.put(
        "session-insights/a/u/t.json",
        b"{}".to_vec(),
        "application/json",
    )
    .await
    .unwrap();
    let (algorithm, key_id) = encryption_of(&bucket, "session-insights/a/u/t.json").await;
    assert_eq!(algorithm, Some(ServerSideEncryption::AwsKms));
    assert!(
        key_id
            .as_deref()
            .is_some_and(|k| k.ends_with("alias/pika-test")),
        "kms key id {key_id:?}"
    );
}

#[tokio::test]
async fn refused_keys_are_never_sent_to_s3() {
    let store = fresh_store().await;
    for key in ["", "a/../b", "./a", "uploads/u1/", "a\nb"] {
        let err = store
            .put(key, b"x".to_vec(), "text/plain")
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid, "put {key:?}: {err}");
        assert_eq!(store.get(key).await.unwrap(), None, "get {key:?}");
        assert_eq!(store.head(key).await.unwrap(), None, "head {key:?}");
    }
    for prefix in ["", "../", "a/../"] {
        let err = store.delete_prefix(prefix).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid, "delete_prefix {prefix:?}");
    }
}

/// Counts `DeleteObjects` requests (`POST /{bucket}?delete`).
#[derive(Debug, Clone, Default)]
struct CountDeletes(Arc<AtomicUsize>);

impl Intercept for CountDeletes {
    fn name(&self) -> &'static str {
        "CountDeletes"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        if request.method() == "POST" && request.uri().contains("?delete") {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

#[tokio::test]
async fn delete_prefix_removes_more_than_one_batch() {
    let sdk = moto_support::sdk_config().await;
    let bucket = fresh_bucket().await;
    let deletes = CountDeletes::default();
    let conf = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(true)
        .interceptor(deletes.clone())
        .build();
    let store =
        S3FileStore::with_client(aws_sdk_s3::Client::from_conf(conf), config(&bucket, None));

    let doomed: Vec<String> = (0..1001)
        .map(|i| format!("uploads/u1/s1/f{i:04}/a.txt"))
        .collect();
    stream::iter(
        doomed
            .iter()
            .chain(["uploads/u1/s2/f/b.txt".to_string()].iter()),
    )
    .map(|key| store.put(key, b"x".to_vec(), "text/plain"))
    .buffer_unordered(16)
    .try_collect::<Vec<()>>()
    .await
    .unwrap();

    assert_eq!(store.delete_prefix("uploads/u1/s1/").await.unwrap(), 1001);
    assert_eq!(
        deletes.0.load(Ordering::SeqCst),
        2,
        "1001 keys take two DeleteObjects calls"
    );
    let left = raw_client()
        .await
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = left.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["uploads/u1/s2/f/b.txt"]);
}

#[tokio::test]
async fn deleting_in_a_versioned_bucket_leaves_no_old_version_behind() {
    let (bucket, raw) = versioned_bucket().await;
    let mut versioned = config(&bucket, None);
    versioned.versioned = true;
    let store = S3FileStore::new(&moto_support::sdk_config().await, versioned);
    let (app, user) = (chat_app_id("support"), user_id("alice"));
    let ids = SequentialIds::new();
    let (first, second) = (ids.session_id(), ids.session_id());
    let key = insight_key(&app, &user, &first);
    store
        .put(&key, b"v1".to_vec(), "application/json")
        .await
        .unwrap();
    store
        .put(&key, b"v2".to_vec(), "application/json")
        .await
        .unwrap();
    let other = insight_key(&app, &user, &second);
    store
        .put(&other, b"x".to_vec(), "application/json")
        .await
        .unwrap();
    let bob = insight_key(&app, &user_id("bob"), &first);
    store
        .put(&bob, b"b".to_vec(), "application/json")
        .await
        .unwrap();

    let deleted = store
        .delete_prefix(&insight_prefix(&app, &user))
        .await
        .unwrap();

    assert_eq!(deleted, 2, "two objects existed");
    let left = raw
        .list_object_versions()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = left
        .versions()
        .iter()
        .filter_map(|v| v.key())
        .chain(left.delete_markers().iter().filter_map(|m| m.key()))
        .collect();
    assert_eq!(
        keys,
        [bob.as_str()],
        "no version or delete marker of alice's is left"
    );
}

#[tokio::test]
async fn a_deletion_by_the_api_marks_and_the_jobs_purge_finishes_it() {
    let (bucket, raw) = versioned_bucket().await;
    let sdk = moto_support::sdk_config().await;
    // The api function's store: it may delete, not destroy versions.
    let api = S3FileStore::new(&sdk, config(&bucket, None));
    let mut jobs_config = config(&bucket, None);
    jobs_config.versioned = true;
    let jobs = S3FileStore::new(&sdk, jobs_config);
    let (app, alice, bob) = (chat_app_id("support"), user_id("alice"), user_id("bob"));
    let ids = SequentialIds::new();
    let erased = insight_key(&app, &alice, &ids.session_id());
    let kept = insight_key(&app, &bob, &ids.session_id());
    for (key, body) in [
        (&erased, "v1"),
        (&erased, "v2"),
        (&kept, "k1"),
        (&kept, "k2"),
    ] {
        api.put(key, body.as_bytes().to_vec(), "application/json")
            .await
            .unwrap();
    }
    let versions_of = |key: String| {
        let raw = raw.clone();
        let bucket = bucket.clone();
        async move {
            let listed = raw
                .list_object_versions()
                .bucket(&bucket)
                .prefix(&key)
                .send()
                .await
                .unwrap();
            listed.versions().len() + listed.delete_markers().len()
        }
    };

    assert_eq!(
        api.delete_prefix(&insight_prefix(&app, &alice))
            .await
            .unwrap(),
        1
    );
    assert_eq!(api.get(&erased).await.unwrap(), None, "gone for readers");
    assert_eq!(
        versions_of(erased.clone()).await,
        3,
        "two versions and a marker remain"
    );
    assert_eq!(
        api.purge_deleted(pika_domain::files::INSIGHTS_PREFIX)
            .await
            .unwrap(),
        0,
        "the api's store destroys nothing"
    );

    // Deleted, then written again (a session analysed again): live.
    let revived = insight_key(&chat_app_id("other"), &alice, &ids.session_id());
    api.put(&revived, b"r1".to_vec(), "application/json")
        .await
        .unwrap();
    api.delete_prefix(&insight_prefix(&chat_app_id("other"), &alice))
        .await
        .unwrap();
    api.put(&revived, b"r2".to_vec(), "application/json")
        .await
        .unwrap();

    let purged = jobs
        .purge_deleted(pika_domain::files::INSIGHTS_PREFIX)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert_eq!(
        versions_of(revived.clone()).await,
        3,
        "a revived document keeps its history"
    );
    assert_eq!(jobs.get(&revived).await.unwrap(), Some(b"r2".to_vec()));
    assert_eq!(versions_of(erased).await, 0, "nothing of alice's is left");
    assert_eq!(
        versions_of(kept.clone()).await,
        2,
        "a live document keeps its history"
    );
    assert_eq!(jobs.get(&kept).await.unwrap(), Some(b"k2".to_vec()));
}

/// A fresh bucket that keeps versions, and a raw client to look inside.
async fn versioned_bucket() -> (String, aws_sdk_s3::Client) {
    let bucket = fresh_bucket().await;
    let raw = raw_client().await;
    raw.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    (bucket, raw)
}

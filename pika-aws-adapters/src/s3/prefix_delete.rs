//! Deleting everything under a prefix: one `ListObjectsV2` page at a time
//! (at most 1 000 keys), each page removed with one `DeleteObjects` call
//! (which takes at most 1 000 keys).

use crate::aws::{classify, kind_of_code};
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_sdk_s3::Client;
use pika_ports::{ErrorKind, PortError, PortResult};

/// The most keys one `DeleteObjects` call accepts (and one list page holds).
pub(super) const BATCH: i32 = 1000;

/// Deletes every object of `bucket` under `prefix` (already checked) and
/// returns how many were deleted.
///
/// # Errors
/// The classified list or delete error; a key S3 could not delete fails the
/// whole call with that key's error code (nothing is reported as deleted
/// that is still there).
pub(super) async fn delete_prefix(client: &Client, bucket: &str, prefix: &str) -> PortResult<u64> {
    let mut deleted = 0u64;
    let mut continuation: Option<String> = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .max_keys(BATCH)
            .set_continuation_token(continuation.take())
            .send()
            .await
            .map_err(|e| classify("s3 ListObjectsV2", e))?;
        let keys: Vec<ObjectIdentifier> = page
            .contents()
            .iter()
            .filter_map(|object| object.key())
            .map(|key| ObjectIdentifier::builder().key(key).build())
            .collect::<Result<_, _>>()
            .map_err(|e| PortError::permanent(format!("s3 DeleteObjects: {e}")).with_source(e))?;
        if !keys.is_empty() {
            deleted += delete_batch(client, bucket, keys).await?;
        }
        match page.next_continuation_token() {
            Some(token) if page.is_truncated() == Some(true) => {
                continuation = Some(token.to_string())
            }
            _ => return Ok(deleted),
        }
    }
}

/// Deletes every version and delete marker of every object of a versioned
/// `bucket` under `prefix`, and returns how many objects existed (versions
/// that were the latest and not a delete marker).
///
/// # Errors
/// As [`delete_prefix`].
pub(super) async fn delete_prefix_versions(
    client: &Client,
    bucket: &str,
    prefix: &str,
) -> PortResult<u64> {
    let mut existed = 0u64;
    let mut ids: Vec<ObjectIdentifier> = Vec::new();
    list_versions(client, bucket, prefix, |page| {
        existed += page
            .versions()
            .iter()
            .filter(|v| v.is_latest() == Some(true))
            .count() as u64;
        let versions = page
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                page.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            );
        for (key, version) in versions {
            if let Some(key) = key {
                ids.push(object_id(key, version.map(str::to_string))?);
            }
        }
        Ok(())
    })
    .await?;
    for batch in ids.chunks(BATCH as usize) {
        delete_batch(client, bucket, batch.to_vec()).await?;
    }
    Ok(existed)
}

/// An object version to delete.
fn object_id(key: &str, version: Option<String>) -> PortResult<ObjectIdentifier> {
    ObjectIdentifier::builder()
        .key(key)
        .set_version_id(version)
        .build()
        .map_err(|e| PortError::permanent(format!("s3 DeleteObjects: {e}")).with_source(e))
}

/// Purges every version and delete marker of each object under `prefix`
/// whose latest version is a delete marker, and returns how many objects
/// that was. Two passes: the deleted keys with their marker first (their
/// versions may span pages), then their versions — of the keys whose
/// latest entry is still that marker: a document written again meanwhile
/// (a session analysed again) is live and keeps its history. Versions are
/// deleted by id, so one written after the listing is never touched.
///
/// # Errors
/// As [`delete_prefix`].
pub(super) async fn purge_deleted(client: &Client, bucket: &str, prefix: &str) -> PortResult<u64> {
    use std::collections::HashMap;
    let mut markers: HashMap<String, String> = HashMap::new();
    list_versions(client, bucket, prefix, |page| {
        for marker in page.delete_markers() {
            if let (Some(key), Some(version), Some(true)) =
                (marker.key(), marker.version_id(), marker.is_latest())
            {
                markers.insert(key.to_string(), version.to_string());
            }
        }
        Ok(())
    })
    .await?;
    if markers.is_empty() {
        return Ok(0);
    }
    // Per key: its entries, and whether its latest is still the marker.
    let mut entries: HashMap<String, (Vec<Option<String>>, bool)> = HashMap::new();
    list_versions(client, bucket, prefix, |page| {
        let all = page
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id(), v.is_latest()))
            .chain(
                page.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id(), m.is_latest())),
            );
        for (key, version, latest) in all {
            let Some(key) = key else { continue };
            let Some(marker) = markers.get(key) else {
                continue;
            };
            let entry = entries.entry(key.to_string()).or_default();
            entry.0.push(version.map(str::to_string));
            if latest == Some(true) {
                entry.1 = version == Some(marker.as_str());
            }
        }
        Ok(())
    })
    .await?;
    let mut ids = Vec::new();
    let mut purged = 0u64;
    for (key, (versions, still_deleted)) in entries {
        if !still_deleted {
            continue;
        }
        purged += 1;
        for version in versions {
            ids.push(object_id(&key, version)?);
        }
    }
    for batch in ids.chunks(BATCH as usize) {
        delete_batch(client, bucket, batch.to_vec()).await?;
    }
    Ok(purged)
}

/// Every page of `ListObjectVersions` under `prefix`, in order.
async fn list_versions<F>(
    client: &Client,
    bucket: &str,
    prefix: &str,
    mut each: F,
) -> PortResult<()>
where
    F: FnMut(
        &aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput,
    ) -> PortResult<()>,
{
    let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
    loop {
        let page = client
            .list_object_versions()
            .bucket(bucket)
            .prefix(prefix)
            .max_keys(BATCH)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .map_err(|e| classify("s3 ListObjectVersions", e))?;
        each(&page)?;
        if page.is_truncated() != Some(true) {
            return Ok(());
        }
        key_marker = page.next_key_marker().map(str::to_string);
        version_marker = page.next_version_id_marker().map(str::to_string);
        if key_marker.is_none() {
            return Ok(());
        }
    }
}

/// Deletes one batch quietly (S3 reports only failures) and returns its size.
async fn delete_batch(
    client: &Client,
    bucket: &str,
    keys: Vec<ObjectIdentifier>,
) -> PortResult<u64> {
    let count = keys.len() as u64;
    let delete = Delete::builder()
        .set_objects(Some(keys))
        .quiet(true)
        .build()
        .map_err(|e| PortError::permanent(format!("s3 DeleteObjects: {e}")).with_source(e))?;
    let out = client
        .delete_objects()
        .bucket(bucket)
        .delete(delete)
        .send()
        .await
        .map_err(|e| classify("s3 DeleteObjects", e))?;
    if let Some(failed) = out.errors().first() {
        let code = failed.code().unwrap_or("unknown");
        // S3 names its own 500 "InternalError", which the shared list lacks.
        let kind = match code {
            "InternalError" => ErrorKind::Transient,
            other => kind_of_code(other).unwrap_or(ErrorKind::Permanent),
        };
        return Err(PortError::new(
            kind,
            format!(
                "s3 DeleteObjects: {} of {count} keys not deleted, first {:?}: {code}: {}",
                out.errors().len(),
                failed.key().unwrap_or(""),
                failed.message().unwrap_or("no message")
            ),
        ));
    }
    Ok(count)
}

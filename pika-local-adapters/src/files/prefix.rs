//! `delete_prefix`: every object whose key starts with a prefix, found by
//! walking only the folders that can hold such keys.

use super::keys::path_under;
use super::{io_failed, kind_at, LocalFileStore};
use pika_ports::PortResult;
use std::io::ErrorKind as IoKind;
use std::path::{Path, PathBuf};

/// Whether `dir` (a key-like path, possibly empty) is a chain of real
/// folders under `base`.
async fn real_folders(base: &Path, dir: &str) -> PortResult<bool> {
    let mut path = base.to_path_buf();
    for segment in dir.split('/').filter(|s| !s.is_empty()) {
        path.push(segment);
        match kind_at(&path).await? {
            Some(kind) if kind.is_dir() => {}
            _ => return Ok(false),
        }
    }
    Ok(kind_at(&path).await?.is_some_and(|k| k.is_dir()))
}

/// Removes `path`, which may already be gone.
async fn remove(path: &Path) -> PortResult<bool> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == IoKind::NotFound => Ok(false),
        Err(e) => Err(io_failed("delete", path, e)),
    }
}

/// Removes the folders of `key` under `base` that are left empty, deepest
/// first, stopping at the first that is not.
async fn prune(base: &Path, key: &str) {
    let mut folders: Vec<&str> = key.split('/').collect();
    folders.pop();
    while !folders.is_empty() {
        let folder = path_under(base, &folders.join("/"));
        if tokio::fs::remove_dir(&folder).await.is_err() {
            return;
        }
        folders.pop();
    }
}

/// Deletes every object under `prefix` (already checked) and returns how
/// many.
pub(super) async fn delete(store: &LocalFileStore, prefix: &str) -> PortResult<u64> {
    let objects = store.objects();
    let metas = store.metas();
    let dir = prefix.rsplit_once('/').map_or("", |(dir, _)| dir);
    if !real_folders(&objects, dir).await? {
        return Ok(0);
    }
    let mut deleted: Vec<String> = Vec::new();
    let start = if dir.is_empty() {
        objects.clone()
    } else {
        path_under(&objects, dir)
    };
    let mut folders: Vec<(PathBuf, String)> = vec![(start, dir.to_string())];
    while let Some((folder, folder_key)) = folders.pop() {
        let mut entries = match tokio::fs::read_dir(&folder).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == IoKind::NotFound => continue,
            Err(e) => return Err(io_failed("list", &folder, e)),
        };
        loop {
            let entry = match entries.next_entry().await {
                Ok(Some(entry)) => entry,
                Ok(None) => break,
                Err(e) => return Err(io_failed("list", &folder, e)),
            };
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let key = if folder_key.is_empty() {
                name.to_string()
            } else {
                format!("{folder_key}/{name}")
            };
            // Entries' own types: links are neither files nor folders here.
            let kind = entry
                .file_type()
                .await
                .map_err(|e| io_failed("inspect", &entry.path(), e))?;
            if kind.is_dir() {
                let below = format!("{key}/");
                if below.starts_with(prefix) || prefix.starts_with(&below) {
                    folders.push((entry.path(), key));
                }
            } else if kind.is_file() && key.starts_with(prefix) && remove(&entry.path()).await? {
                if let Some(meta) = LocalFileStore::real_file(&metas, &key).await? {
                    remove(&meta).await?;
                }
                deleted.push(key);
            }
        }
    }
    for key in &deleted {
        prune(&objects, key).await;
        prune(&metas, key).await;
    }
    Ok(deleted.len() as u64)
}

//! Secrets the local server generates once and keeps in its data directory.

use std::io::Write;
use std::path::Path;

/// Reads the secret at `path`, or creates one of `len` random bytes (hex)
/// there, readable by the owner only.
///
/// # Errors
/// I/O failures, naming the file.
pub fn load_or_create(path: &Path, len: usize) -> Result<Vec<u8>, String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let trimmed = existing.trim();
        if trimmed.len() >= 32 {
            return Ok(trimmed.as_bytes().to_vec());
        }
    }
    let mut secret = String::with_capacity(len * 2);
    while secret.len() < len * 2 {
        // Two v4 UUIDs worth of OS randomness at a time; no extra crate needed.
        secret.push_str(&pika_domain::uuid::Uuid::new_v4().simple().to_string());
    }
    secret.truncate(len * 2);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(secret.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(secret.into_bytes())
}

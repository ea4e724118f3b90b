//! docs/storage.md: no DynamoDB `Scan`, anywhere. Every access pattern is a
//! `GetItem`, `BatchGetItem` or `Query` on a key or an index, so this test
//! fails if any source file of the DynamoDB adapters calls `.scan(`.
#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn the_dynamodb_adapters_never_scan() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/dynamodb");
    let files = rust_files(&dir);
    assert!(
        files.iter().any(|f| f.ends_with("sessions.rs")),
        "the adapter sources are where this test looks: {}",
        dir.display()
    );
    let offenders: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            text.lines()
                .enumerate()
                .filter(|(_, line)| line.contains(".scan(") || line.contains("ScanInput"))
                .map(|(n, line)| format!("{}:{}: {}", file.display(), n + 1, line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "DynamoDB Scan calls:\n{}",
        offenders.join("\n")
    );
}

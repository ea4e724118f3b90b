//! Reading a corpus directory into passages.

use pika_ports::{PortError, PortResult};
use serde_json::{Map, Value};
use std::path::Path;

/// About how many characters one passage holds (paragraphs are kept whole
/// up to this; a longer paragraph is cut).
pub const PASSAGE_CHARS: usize = 1_200;
/// Files larger than this are skipped (with a warning).
const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// One passage of a knowledge base.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalDocument {
    /// Its knowledge base.
    pub knowledge_base_id: String,
    /// The file it comes from, relative to the knowledge base's directory.
    pub source: String,
    /// Its text.
    pub text: String,
    /// The file's metadata.
    pub metadata: Map<String, Value>,
}

fn io(what: &Path, e: std::io::Error) -> PortError {
    PortError::permanent(format!("knowledge corpus {}: {e}", what.display()))
}

/// The passages of every knowledge base under `dir`: each subdirectory is
/// one, named by the directory. A missing `dir` holds none.
///
/// # Errors
/// `Permanent` when a directory or file cannot be read, or a metadata file
/// is not valid.
pub fn read_corpus(dir: &Path) -> PortResult<Vec<LocalDocument>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut bases: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .collect();
    bases.sort_by_key(std::fs::DirEntry::file_name);
    for base in bases {
        let id = base.file_name().to_string_lossy().to_string();
        let root = base.path();
        let mut files = Vec::new();
        collect_files(&root, &mut files)?;
        files.sort();
        for file in files {
            read_file(&id, &root, &file, &mut out)?;
        }
    }
    Ok(out)
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> PortResult<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let entry = entry.map_err(|e| io(dir, e))?;
        // Links are not followed: a loop, or a link out of the corpus,
        // must not decide what a knowledge base holds.
        let kind = entry.file_type().map_err(|e| io(dir, e))?;
        let path = entry.path();
        if kind.is_dir() {
            collect_files(&path, out)?;
        } else if kind.is_file() && is_document(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn is_document(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    matches!(ext.as_deref(), Some("md" | "markdown" | "txt" | "text"))
}

fn read_file(base: &str, root: &Path, file: &Path, out: &mut Vec<LocalDocument>) -> PortResult<()> {
    let size = std::fs::metadata(file).map_err(|e| io(file, e))?.len();
    if size > MAX_FILE_BYTES {
        tracing::warn!(file = %file.display(), size, "a knowledge document over 10 MB is skipped");
        return Ok(());
    }
    let text = std::fs::read_to_string(file).map_err(|e| io(file, e))?;
    let source = file
        .strip_prefix(root)
        .unwrap_or(file)
        .to_string_lossy()
        .replace('\\', "/");
    let metadata = metadata_of(file)?;
    for passage in passages(&text) {
        out.push(LocalDocument {
            knowledge_base_id: base.to_string(),
            source: source.clone(),
            text: passage,
            metadata: metadata.clone(),
        });
    }
    Ok(())
}

/// The attributes of `{file}.metadata.json`, when it exists.
fn metadata_of(file: &Path) -> PortResult<Map<String, Value>> {
    let mut name = file.as_os_str().to_owned();
    name.push(".metadata.json");
    let path = std::path::PathBuf::from(name);
    if !path.is_file() {
        return Ok(Map::new());
    }
    let raw = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
    let parsed: Value = serde_json::from_str(&raw)
        .map_err(|e| PortError::permanent(format!("knowledge metadata {}: {e}", path.display())))?;
    let attributes = parsed
        .get("metadataAttributes")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    Ok(attributes
        .into_iter()
        .filter(|(_, v)| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)))
        .collect())
}

/// `text` cut into passages along blank lines, each at most about
/// [`PASSAGE_CHARS`] characters.
fn passages(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        if !current.is_empty()
            && current.chars().count() + paragraph.chars().count() > PASSAGE_CHARS
        {
            out.push(std::mem::take(&mut current));
        }
        let chars: Vec<char> = paragraph.chars().collect();
        for piece in chars.chunks(PASSAGE_CHARS) {
            if !current.is_empty() && current.chars().count() + piece.len() > PASSAGE_CHARS {
                out.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push_str("\n\n");
            }
            current.extend(piece);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn paragraphs_stay_whole_and_long_ones_are_cut() {
        let text = format!("one\n\ntwo\n\n{}", "x".repeat(PASSAGE_CHARS * 2 + 5));
        let p = passages(&text);
        assert_eq!(p[0], "one\n\ntwo");
        assert!(p.iter().all(|s| s.chars().count() <= PASSAGE_CHARS + 2));
        assert_eq!(p.concat().matches('x').count(), PASSAGE_CHARS * 2 + 5);
    }

    #[test]
    fn a_corpus_directory_reads_files_and_their_metadata() {
        let dir = std::env::temp_dir().join(format!("pika-kb-{}", std::process::id()));
        let base = dir.join("manuals").join("acme");
        std::fs::create_dir_all(&base).unwrap();
        std::fs::write(base.join("reset.md"), "Hold the button.").unwrap();
        std::fs::write(
            base.join("reset.md.metadata.json"),
            r#"{"metadataAttributes": {"account": "acme", "year": 2024, "nested": {"x": 1}}}"#,
        )
        .unwrap();
        std::fs::write(base.join("image.png"), [0u8, 1, 2]).unwrap();
        let docs = read_corpus(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].knowledge_base_id, "manuals");
        assert_eq!(docs[0].source, "acme/reset.md");
        assert_eq!(docs[0].metadata["account"], "acme");
        assert_eq!(docs[0].metadata["year"], 2024);
        assert!(!docs[0].metadata.contains_key("nested"));
        assert!(
            read_corpus(&dir).unwrap().is_empty(),
            "a missing directory holds none"
        );
    }
}

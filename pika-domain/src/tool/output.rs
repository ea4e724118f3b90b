//! The cap on a tool's output. A tool may answer with any amount of JSON;
//! what the model reads and what is stored with the answer is bounded, and
//! a cut output says so, so neither the model nor a reader mistakes it for
//! the whole.

use serde_json::{json, Value};

/// The default cap on one tool output, in bytes of JSON text.
pub const DEFAULT_MAX_TOOL_OUTPUT_BYTES: u64 = 512 * 1024;

/// `output` as the model and the store get it: unchanged when its JSON text
/// is at most `max_bytes`, else an object marking the cut, with the first
/// bytes of that text (cut at a character boundary) and the full size.
pub fn capped(output: Value, max_bytes: u64) -> Value {
    let text = output.to_string();
    let max = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    if text.len() <= max {
        return output;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    json!({
        "truncated": true,
        "originalBytes": text.len(),
        "head": &text[..cut],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_within_the_cap_is_unchanged() {
        let out = json!({ "rows": [1, 2, 3], "note": "é" });
        assert_eq!(capped(out.clone(), out.to_string().len() as u64), out);
    }

    #[test]
    fn a_larger_output_is_cut_marked_and_keeps_its_head() {
        let out = json!({ "text": "ä".repeat(1000) });
        let full = out.to_string();
        let cut = capped(out, 101);
        assert_eq!(cut["truncated"], json!(true));
        assert_eq!(cut["originalBytes"], json!(full.len()));
        let head = cut["head"].as_str().unwrap();
        assert!(head.len() <= 101 && head.len() >= 99);
        assert!(full.starts_with(head));
    }
}

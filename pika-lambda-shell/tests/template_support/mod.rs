//! The CDK stack's synthesized template, for the tests that check it.

use serde_json::Value;

/// The synthesized stack, or `None` (with a note) when `infra/synth.sh`
/// has not run; in CI (`CI` set) a missing template fails.
pub fn template() -> Option<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/cdk.out/PikaStack.template.json"
    );
    match std::fs::read_to_string(path) {
        Ok(text) => Some(serde_json::from_str(&text).unwrap()),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("{path} is missing: CI runs `bash infra/synth.sh` before the tests")
        }
        Err(_) => {
            eprintln!("skipped: run `bash infra/synth.sh` to check the stack's environment");
            None
        }
    }
}

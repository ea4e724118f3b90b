//! Semantic directives (PIKA.md §4 `instructionAugmentation`): guidance an
//! administrator writes once ("when asked about refunds, cite the 30-day
//! policy"), added to the agent's instruction only for the messages it
//! concerns. A directive concerns a message when one of its phrases occurs
//! in it (whole words, any case): no index or embeddings needed, and the
//! same everywhere.
//!
//! Directives live in the feature's settings:
//! `instructionAugmentation: { enabled, settings: { directives: [{ id,
//! text, phrases }] } }` (the chat app's settings replace the site's).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One directive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Directive {
    /// Names it in traces.
    pub id: String,
    /// What is added to the instruction.
    pub text: String,
    /// Words or phrases of the messages it concerns.
    pub phrases: Vec<String>,
}

/// The most directives added to one instruction.
pub const MAX_APPLIED: usize = 5;

/// The directives in a feature's settings; malformed entries are skipped.
pub fn directives_of(settings: &Value) -> Vec<Directive> {
    settings
        .get("directives")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|d| serde_json::from_value::<Directive>(d.clone()).ok())
                .filter(|d| !d.text.trim().is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The message as lower-case words, padded so phrases match whole words.
fn words(text: &str) -> String {
    let joined: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    format!(" {} ", joined.join(" "))
}

/// The directives that concern `message`, in their order, at most
/// [`MAX_APPLIED`].
pub fn matching<'a>(directives: &'a [Directive], message: &str) -> Vec<&'a Directive> {
    let said = words(message);
    directives
        .iter()
        .filter(|d| {
            d.phrases.iter().any(|phrase| {
                let phrase = words(phrase);
                !phrase.trim().is_empty() && said.contains(&phrase)
            })
        })
        .take(MAX_APPLIED)
        .collect()
}

/// `instruction` with the directives' texts appended.
pub fn augment(instruction: &str, applied: &[&Directive]) -> String {
    if applied.is_empty() {
        return instruction.to_string();
    }
    let mut out = format!("{instruction}\n\nDirectives for this message:");
    for d in applied {
        out.push_str("\n- ");
        out.push_str(d.text.trim());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings() -> Value {
        json!({ "directives": [
            { "id": "refunds", "text": "Cite the 30-day refund policy.", "phrases": ["refund", "money back"] },
            { "id": "outage", "text": "Link the status page.", "phrases": ["down"] },
            { "id": "broken" },
        ]})
    }

    #[test]
    fn directives_apply_to_the_messages_they_concern() {
        let all = directives_of(&settings());
        assert_eq!(all.len(), 2, "the malformed one is skipped");
        let ids =
            |m: &str| -> Vec<String> { matching(&all, m).iter().map(|d| d.id.clone()).collect() };
        assert_eq!(ids("Can I get a REFUND?"), ["refunds"]);
        assert_eq!(ids("I want my money  back"), ["refunds"]);
        assert_eq!(
            ids("The site is down, and I want a refund"),
            ["refunds", "outage"]
        );
        assert!(
            ids("refunding is a word, downtown too").is_empty(),
            "whole words only"
        );
        assert!(ids("hello").is_empty());
    }

    #[test]
    fn the_instruction_gains_only_what_applies() {
        let all = directives_of(&settings());
        assert_eq!(augment("Be kind.", &[]), "Be kind.");
        let applied = matching(&all, "refund please");
        assert_eq!(
            augment("Be kind.", &applied),
            "Be kind.\n\nDirectives for this message:\n- Cite the 30-day refund policy."
        );
    }
}

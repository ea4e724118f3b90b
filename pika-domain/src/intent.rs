//! The intent router (PIKA.md §4 `intentRouter`): a chat app may name
//! several agents, each with the intent it serves and example messages; a
//! fast classification call picks the agent for each message, and the chat
//! app's own agent answers when none fits or the call fails.

use crate::ids::AgentId;
use serde::{Deserialize, Serialize};

/// One intent a chat app routes to its agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    /// The agent that answers messages of this intent.
    pub agent_id: AgentId,
    /// What such messages are about.
    pub description: String,
    /// Messages of this intent, for the classifier.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
}

/// The most intents a chat app may declare.
pub const MAX_INTENTS: usize = 20;

/// The classifier's instruction.
pub const ROUTER_INSTRUCTION: &str =
    "You route a user's message to the agent that should answer it. \
Answer with the id of one agent from the list, and nothing else; answer none when no agent fits.";

/// The classifier's input: the intents, then the message.
pub fn router_input(intents: &[Intent], message: &str) -> String {
    let mut out = String::from("Agents:\n");
    for intent in intents {
        out.push_str(&format!("- {}: {}", intent.agent_id, intent.description));
        if !intent.examples.is_empty() {
            out.push_str(&format!(" (for example: {})", intent.examples.join("; ")));
        }
        out.push('\n');
    }
    out.push_str("\nMessage:\n");
    out.push_str(message);
    out
}

/// The agent the classifier chose: the first word of its answer that names
/// one of `intents`' agents (quotes and punctuation around it ignored);
/// `None` for anything else.
pub fn parse_choice(answer: &str, intents: &[Intent]) -> Option<AgentId> {
    answer
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|word| word.trim_matches(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_')))
        .filter(|word| !word.is_empty())
        .find_map(|word| {
            intents
                .iter()
                .find(|i| i.agent_id.as_str().eq_ignore_ascii_case(word))
                .map(|i| i.agent_id.clone())
        })
}

/// Checks a chat app's intents.
///
/// # Errors
/// A sentence naming the broken rule.
pub fn validate(intents: &[Intent]) -> Result<(), String> {
    if intents.len() > MAX_INTENTS {
        return Err(format!("at most {MAX_INTENTS} intents"));
    }
    for intent in intents {
        let words = intent.description.trim().chars().count();
        if words == 0 || words > 500 {
            return Err(format!(
                "the intent of agent {} needs a description of 1 to 500 characters",
                intent.agent_id
            ));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(twice) = intents.iter().find(|i| !seen.insert(i.agent_id.as_str())) {
        return Err(format!("agent {} has two intents", twice.agent_id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intents() -> Vec<Intent> {
        ["billing-agent", "tech-agent"]
            .into_iter()
            .map(|id| Intent {
                agent_id: AgentId::parse(id).unwrap(),
                description: format!("{id} things"),
                examples: vec!["an example".into()],
            })
            .collect()
    }

    #[test]
    fn the_choice_is_an_agent_of_the_list_or_none() {
        let i = intents();
        let billing = Some(AgentId::parse("billing-agent").unwrap());
        assert_eq!(parse_choice("billing-agent", &i), billing);
        assert_eq!(parse_choice("  \"billing-agent\".\n", &i), billing);
        assert_eq!(parse_choice("The answer is: billing-agent", &i), billing);
        assert_eq!(parse_choice("BILLING-AGENT", &i), billing);
        assert_eq!(parse_choice("none", &i), None);
        assert_eq!(parse_choice("sales-agent", &i), None);
        assert_eq!(parse_choice("", &i), None);
    }

    #[test]
    fn the_input_lists_every_intent_then_the_message() {
        let text = router_input(&intents(), "my bill is wrong");
        assert!(text.contains("- billing-agent: billing-agent things (for example: an example)"));
        assert!(text.ends_with("Message:\nmy bill is wrong"));
    }

    #[test]
    fn intents_are_few_described_and_distinct() {
        assert!(validate(&intents()).is_ok());
        let mut twice = intents();
        twice.push(twice[0].clone());
        assert!(validate(&twice).unwrap_err().contains("two intents"));
        let mut blank = intents();
        blank[0].description = " ".into();
        assert!(validate(&blank).is_err());
    }
}

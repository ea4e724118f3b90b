//! Knowledge bases an agent may search (PIKA.md §5): which ones, the
//! retrieval filters built from the user's custom data, and the citations
//! an answer carries.
//!
//! A filter rule names a metadata key of the knowledge base's documents and
//! a dotted path into the user's `customData`; retrieval only returns
//! documents whose key equals the user's value. A user without that value
//! retrieves nothing from that knowledge base: no value must never mean "no
//! filter".

use crate::user::User;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

/// Passages retrieved per search when the agent sets no number.
pub const DEFAULT_MAX_RESULTS: u32 = 5;
/// Most passages one search may ask for.
pub const MAX_RESULTS: u32 = 25;
/// Longest description (Bedrock's inline-agent limit).
pub const MAX_DESCRIPTION_CHARS: usize = 200;

/// One rule of a knowledge base's filter: documents whose metadata `key`
/// equals the user's value at `attribute_path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterRule {
    /// The documents' metadata key.
    pub key: String,
    /// A dotted path into the user's custom data (e.g. `accountId`).
    pub attribute_path: String,
}

/// A knowledge base of an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KnowledgeBaseRef {
    /// Its id (Bedrock's knowledge base id; locally, the corpus's name).
    pub knowledge_base_id: String,
    /// What it holds, for the model (when to search it).
    #[serde(default)]
    pub description: String,
    /// Filters from the user's custom data, all of which must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<FilterRule>,
    /// Passages per search; [`DEFAULT_MAX_RESULTS`] when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u32>,
}

/// What a stored agent may hold: a bare id (the first form Pika took) or
/// the whole reference.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredRef {
    Id(String),
    Full(FullRef),
}

/// The whole reference. Unknown fields are refused: a misspelt `filters`
/// must never leave a knowledge base unfiltered.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FullRef {
    knowledge_base_id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    filters: Vec<FilterRule>,
    #[serde(default)]
    max_results: Option<u32>,
}

impl<'de> Deserialize<'de> for KnowledgeBaseRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match StoredRef::deserialize(d)? {
            StoredRef::Id(knowledge_base_id) => Self {
                knowledge_base_id,
                description: String::new(),
                filters: Vec::new(),
                max_results: None,
            },
            StoredRef::Full(FullRef {
                knowledge_base_id,
                description,
                filters,
                max_results,
            }) => Self {
                knowledge_base_id,
                description,
                filters,
                max_results,
            },
        })
    }
}

/// Why a knowledge base reference is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidKnowledgeBase {
    /// The id is empty, too long or has other characters.
    #[error("knowledgeBaseId must be 1 to 100 letters, digits, '-' or '_' (got '{0}')")]
    Id(String),
    /// The description is too long.
    #[error("knowledge base {0}: description must be at most 200 characters")]
    Description(String),
    /// A filter rule without key or path.
    #[error("knowledge base {0}: every filter needs a key and a dotted attributePath")]
    Filter(String),
    /// Too many results asked for.
    #[error("knowledge base {0}: maxResults must be 1 to 25")]
    MaxResults(String),
}

impl KnowledgeBaseRef {
    /// Passages per search.
    pub fn results(&self) -> u32 {
        self.max_results.unwrap_or(DEFAULT_MAX_RESULTS)
    }

    /// Checks the rules a stored reference must satisfy.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn validate(&self) -> Result<(), InvalidKnowledgeBase> {
        let id = &self.knowledge_base_id;
        let ok_id = !id.is_empty()
            && id.len() <= 100
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok_id {
            return Err(InvalidKnowledgeBase::Id(id.clone()));
        }
        if self.description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(InvalidKnowledgeBase::Description(id.clone()));
        }
        let bad_rule = |r: &FilterRule| {
            r.key.trim().is_empty()
                || r.attribute_path.trim().is_empty()
                || r.attribute_path.split('.').any(str::is_empty)
        };
        if self.filters.iter().any(bad_rule) {
            return Err(InvalidKnowledgeBase::Filter(id.clone()));
        }
        if self.max_results.is_some_and(|n| n == 0 || n > MAX_RESULTS) {
            return Err(InvalidKnowledgeBase::MaxResults(id.clone()));
        }
        Ok(())
    }

    /// The filter for `user`: one equality per rule, the user's value at
    /// its path. `None` when the user lacks one of the values: such a user
    /// may retrieve nothing from this knowledge base.
    pub fn filter_for(&self, user: &User) -> Option<Vec<Condition>> {
        self.filters
            .iter()
            .map(|rule| {
                let value = value_at(&user.custom_data, &rule.attribute_path)?;
                Some(Condition {
                    key: rule.key.clone(),
                    value,
                })
            })
            .collect()
    }
}

/// Documents whose metadata `key` equals `value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// The metadata key.
    pub key: String,
    /// The value it must equal (a string, number or boolean).
    pub value: Value,
}

impl Condition {
    /// Whether `metadata` satisfies this condition.
    pub fn holds(&self, metadata: &serde_json::Map<String, Value>) -> bool {
        metadata.get(&self.key).is_some_and(|v| v == &self.value)
    }
}

/// The scalar at the dotted `path` of `data`; objects, arrays, nulls and
/// empty strings count as absent.
fn value_at(data: &serde_json::Map<String, Value>, path: &str) -> Option<Value> {
    let mut segments = path.split('.');
    let mut current = data.get(segments.next()?)?;
    for segment in segments {
        current = current.as_object()?.get(segment)?;
    }
    match current {
        Value::String(s) if s.is_empty() => None,
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Some(current.clone()),
        _ => None,
    }
}

/// A passage an answer drew on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Citation {
    /// The knowledge base it came from.
    pub knowledge_base_id: String,
    /// Where the passage is (a document URI or name).
    pub source: String,
    /// The passage (cut to [`MAX_EXCERPT_CHARS`]).
    pub excerpt: String,
    /// Its relevance, when the store gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// Longest excerpt a citation keeps.
pub const MAX_EXCERPT_CHARS: usize = 500;

/// `text` cut to [`MAX_EXCERPT_CHARS`] characters.
pub fn excerpt(text: &str) -> String {
    match text.char_indices().nth(MAX_EXCERPT_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::user::{User, UserType};
    use serde_json::json;

    fn kb(filters: Vec<FilterRule>) -> KnowledgeBaseRef {
        KnowledgeBaseRef {
            knowledge_base_id: "manuals".into(),
            description: "Product manuals".into(),
            filters,
            max_results: None,
        }
    }

    fn user_with(data: Value) -> User {
        let mut u = User::new(
            crate::ids::UserId::parse("alice").unwrap(),
            UserType::ExternalUser,
        );
        u.custom_data = data.as_object().cloned().unwrap_or_default();
        u
    }

    #[test]
    fn a_bare_id_reads_as_a_reference_without_filters() {
        let read: Vec<KnowledgeBaseRef> =
            serde_json::from_value(json!(["KB12345678", {"knowledgeBaseId": "manuals", "filters": [{"key": "account", "attributePath": "org.accountId"}]}]))
                .unwrap();
        assert_eq!(read[0].knowledge_base_id, "KB12345678");
        assert!(read[0].filters.is_empty());
        assert_eq!(read[1].filters[0].attribute_path, "org.accountId");
        assert_eq!(read[1].results(), DEFAULT_MAX_RESULTS);
    }

    #[test]
    fn a_misspelt_field_is_refused_not_ignored() {
        let typo = serde_json::from_value::<KnowledgeBaseRef>(
            json!({"knowledgeBaseId": "kb", "filter": [{"key": "account", "attributePath": "accountId"}]}),
        );
        assert!(typo.is_err());
    }

    #[test]
    fn filters_take_the_users_values_and_a_missing_one_retrieves_nothing() {
        let k = kb(vec![FilterRule {
            key: "account".into(),
            attribute_path: "org.accountId".into(),
        }]);
        let alice = user_with(json!({"org": {"accountId": 42}}));
        assert_eq!(
            k.filter_for(&alice),
            Some(vec![Condition {
                key: "account".into(),
                value: json!(42)
            }])
        );
        for data in [
            json!({}),
            json!({"org": {}}),
            json!({"org": {"accountId": ""}}),
            json!({"org": {"accountId": {"x": 1}}}),
        ] {
            assert_eq!(k.filter_for(&user_with(data.clone())), None, "{data}");
        }
        assert_eq!(kb(vec![]).filter_for(&user_with(json!({}))), Some(vec![]));
    }

    #[test]
    fn conditions_compare_exact_values() {
        let c = Condition {
            key: "account".into(),
            value: json!("acme"),
        };
        assert!(c.holds(json!({"account": "acme"}).as_object().unwrap()));
        assert!(!c.holds(json!({"account": "acme2"}).as_object().unwrap()));
        assert!(!c.holds(json!({}).as_object().unwrap()));
    }

    #[test]
    fn bad_references_are_named() {
        let mut k = kb(vec![]);
        k.knowledge_base_id = "a b".into();
        assert!(matches!(k.validate(), Err(InvalidKnowledgeBase::Id(_))));
        let mut k = kb(vec![FilterRule {
            key: "k".into(),
            attribute_path: "a..b".into(),
        }]);
        assert!(matches!(k.validate(), Err(InvalidKnowledgeBase::Filter(_))));
        k.filters.clear();
        k.max_results = Some(26);
        assert!(matches!(
            k.validate(),
            Err(InvalidKnowledgeBase::MaxResults(_))
        ));
        k.max_results = Some(3);
        assert_eq!(k.validate(), Ok(()));
    }

    #[test]
    fn excerpts_are_cut_on_characters() {
        let long = "é".repeat(MAX_EXCERPT_CHARS + 10);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), MAX_EXCERPT_CHARS + 1);
        assert_eq!(excerpt("short"), "short");
    }
}

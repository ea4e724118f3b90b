//! The index's settings and mapping, and the names of its fields.
//!
//! One document per answered turn (the port's [`SearchDocument`]), keyed by
//! its message id and stored as the document's serde JSON, so the field
//! names below are the port's camelCase names. The session's own fields
//! (owner, chat app, entity, title, insight score) are copied onto every
//! turn: a session is found through its turns, and filtering needs no join.
//!
//! [`SearchDocument`]: pika_ports::SearchDocument

use serde_json::{json, Value};

/// The answer's message id: the document id, and the last sort tiebreaker.
pub const MESSAGE_ID: &str = "messageId";
/// The session, for "delete a session" and "score a session".
pub const SESSION_ID: &str = "sessionId";
/// The owner: the read scope and "erase a user".
pub const USER_ID: &str = "userId";
/// The chat app filter.
pub const CHAT_APP_ID: &str = "chatAppId";
/// The entity filter.
pub const ENTITY_ID: &str = "entityId";
/// The session title, searched with the text.
pub const TITLE: &str = "title";
/// The question and answer.
pub const TEXT: &str = "text";
/// When the turn ended: the date filter and the time orders.
pub const CREATED_AT: &str = "createdAt";
/// The session's overall insight score, absent until assessed.
pub const INSIGHT_SCORE: &str = "insightScore";

/// The body of `PUT /{index}`: settings and an explicit mapping.
///
/// - Ids are `keyword`: one exact term each, so a term filter on a user id
///   can never match a prefix or a piece of another id (the `standard`
///   analyzer would split a UUID at its hyphens).
/// - Title and text use the `standard` analyzer (Unicode word boundaries,
///   lowercased), the same words the local tantivy adapter finds.
/// - `createdAt` is `date_nanos`: the port's timestamps keep nanoseconds,
///   and an exclusive `to` must not swallow a turn that differs by less than
///   a millisecond.
/// - `insightScore` is a `short` (0–255 does not fit a signed `byte`).
/// - `dynamic: strict` refuses a document with a field this mapping does not
///   know (a 400), instead of silently guessing its type.
pub fn index_body() -> Value {
    let keyword = json!({ "type": "keyword" });
    let text = json!({ "type": "text", "analyzer": "standard" });
    // No shard settings: OpenSearch's default (one primary) keeps BM25
    // statistics in one place, and Serverless refuses shard settings.
    json!({
        "mappings": {
            "dynamic": "strict",
            "properties": {
                MESSAGE_ID: keyword,
                SESSION_ID: keyword,
                USER_ID: keyword,
                CHAT_APP_ID: keyword,
                ENTITY_ID: keyword,
                TITLE: text,
                TEXT: text,
                CREATED_AT: { "type": "date_nanos" },
                INSIGHT_SCORE: { "type": "short" }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pika_domain::chrono::{TimeZone, Utc};
    use pika_domain::ids::{ChatAppId, EntityId, MessageId, SessionId, UserId};
    use pika_ports::SearchDocument;

    /// Every field a serialized document carries has a mapping, and no
    /// mapping names a field documents never carry: `dynamic: strict` would
    /// refuse the first, the second would be a filter that never matches.
    #[test]
    fn the_mapping_names_exactly_the_document_fields() {
        let doc = SearchDocument {
            session_id: SessionId::from_v7_parts(1, &[1; 10]),
            message_id: MessageId::from_v7_parts(1, &[2; 10]),
            user_id: UserId::parse("alice").unwrap(),
            chat_app_id: ChatAppId::parse("app").unwrap(),
            entity_id: EntityId::parse("acme").unwrap(),
            title: Some("t".to_string()),
            text: "x".to_string(),
            created_at: Utc.timestamp_opt(0, 0).unwrap(),
            insight_score: Some(1),
        };
        let source = serde_json::to_value(&doc).unwrap();
        let mut doc_fields: Vec<&String> = source
            .as_object()
            .map_or(Vec::new(), |o| o.keys().collect());
        let body = index_body();
        let mut mapped: Vec<&String> = body["mappings"]["properties"]
            .as_object()
            .map_or(Vec::new(), |o| o.keys().collect());
        doc_fields.sort();
        mapped.sort();
        assert_eq!(doc_fields, mapped);
        assert_eq!(body["mappings"]["properties"][USER_ID]["type"], "keyword");
        assert_eq!(body["mappings"]["properties"][TEXT]["analyzer"], "standard");
        assert_eq!(body["mappings"]["dynamic"], "strict");
    }
}

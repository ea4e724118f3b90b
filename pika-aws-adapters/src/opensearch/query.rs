//! The query DSL bodies, built by pure functions from the port's values, so
//! each rule is tested on its own without a server.
//!
//! The caller's read scope is a filter of every search: it sits in the
//! `bool.filter` clause (it narrows, never scores, and no `should` can
//! outvote it), and the user's words only ever reach a `multi_match` query,
//! which analyses them as plain text — no query-string syntax, so text like
//! `userId:bob OR *` is just words.

use super::mapping::{
    CHAT_APP_ID, CREATED_AT, ENTITY_ID, INSIGHT_SCORE, MESSAGE_ID, SESSION_ID, TEXT, TITLE, USER_ID,
};
use pika_domain::chrono::{DateTime, SecondsFormat, Utc};
use pika_domain::ids::{SessionId, UserId};
use pika_ports::{SearchQuery, SearchSort};
use serde_json::{json, Value};

/// How many characters a snippet holds at most.
pub const SNIPPET_CHARS: usize = 120;

/// Whose documents a search may see.
///
/// The port carries the scope in [`SearchQuery::user_id`]: the service
/// forces it to the caller for everyone who may read only their own
/// sessions, and leaves it open only for site and content admins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadScope<'a> {
    /// Only this owner's documents.
    Owner(&'a UserId),
    /// Everyone's documents (admins).
    Everyone,
}

impl<'a> ReadScope<'a> {
    /// The scope `query` was issued under.
    pub fn of(query: &'a SearchQuery) -> Self {
        query.user_id.as_ref().map_or(Self::Everyone, Self::Owner)
    }
}

/// `{"term": {field: value}}`: one exact keyword.
fn term(field: &str, value: &str) -> Value {
    json!({ "term": { field: value } })
}

/// A time as the index stores it: RFC 3339 in UTC, nanoseconds kept.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The scoring part: every word of `text` in the title or the text (each
/// word may be in either field); blank text matches everything.
fn words(text: &str) -> Value {
    if text.trim().is_empty() {
        return json!({ "match_all": {} });
    }
    json!({
        "multi_match": {
            "query": text,
            "fields": [TITLE, TEXT],
            "type": "cross_fields",
            "operator": "and",
            // Text without any word (only punctuation or emoji) finds
            // nothing, as in the local index.
            "zero_terms_query": "none"
        }
    })
}

/// The non-scoring filters: the scope first, then each filter the query
/// sets.
fn filters(scope: ReadScope<'_>, q: &SearchQuery) -> Vec<Value> {
    let mut out = Vec::new();
    if let ReadScope::Owner(owner) = scope {
        out.push(term(USER_ID, owner.as_str()));
    }
    // A user filter the query names beyond the scope (an admin narrowing to
    // one user) applies too; both only narrow, so they can never widen.
    if let Some(user) = &q.user_id {
        if scope != ReadScope::Owner(user) {
            out.push(term(USER_ID, user.as_str()));
        }
    }
    if let Some(app) = &q.chat_app_id {
        out.push(term(CHAT_APP_ID, app.as_str()));
    }
    if let Some(entity) = &q.entity_id {
        out.push(term(ENTITY_ID, entity.as_str()));
    }
    if q.from.is_some() || q.to.is_some() {
        let mut range = serde_json::Map::new();
        if let Some(from) = q.from {
            range.insert("gte".to_string(), Value::String(timestamp(from)));
        }
        if let Some(to) = q.to {
            range.insert("lt".to_string(), Value::String(timestamp(to)));
        }
        out.push(json!({ "range": { CREATED_AT: range } }));
    }
    if let Some(min) = q.min_score {
        // Unscored documents have no value, so a range never matches them.
        out.push(json!({ "range": { INSIGHT_SCORE: { "gte": min } } }));
    }
    out
}

/// The order of `sort`, ending on the unique message id so every hit has
/// its own place and `search_after` neither skips nor repeats.
pub fn sort_clause(sort: SearchSort) -> Value {
    match sort {
        SearchSort::Relevance => json!([
            { "_score": { "order": "desc" } },
            { CREATED_AT: { "order": "desc" } },
            { MESSAGE_ID: { "order": "desc" } }
        ]),
        SearchSort::Newest => json!([
            { CREATED_AT: { "order": "desc" } },
            { MESSAGE_ID: { "order": "desc" } }
        ]),
        SearchSort::Oldest => json!([
            { CREATED_AT: { "order": "asc" } },
            { MESSAGE_ID: { "order": "asc" } }
        ]),
    }
}

/// How many sort values a hit of `sort` carries (and a cursor must hold).
pub fn sort_len(sort: SearchSort) -> usize {
    match sort {
        SearchSort::Relevance => 3,
        SearchSort::Newest | SearchSort::Oldest => 2,
    }
}

/// The body of `POST /{index}/_search` for one page: `size` hits after
/// the sort values `after` (none for the first page).
///
/// Callers ask one hit more than the page holds: its presence says there
/// is a next page without counting every hit (`track_total_hits: false`).
pub fn search_body(
    scope: ReadScope<'_>,
    q: &SearchQuery,
    size: usize,
    after: Option<&[Value]>,
) -> Value {
    let mut body = json!({
        "size": size,
        "track_total_hits": false,
        // Field sorts skip scoring unless asked; hits report their score.
        "track_scores": true,
        "query": {
            "bool": {
                "must": [words(&q.text)],
                "filter": filters(scope, q)
            }
        },
        "sort": sort_clause(q.sort),
        "highlight": {
            // Plain text around the first match; the start of the text when
            // nothing matched in it (blank query, a match in the title).
            "pre_tags": [""],
            "post_tags": [""],
            "fields": {
                TEXT: {
                    "fragment_size": SNIPPET_CHARS,
                    "number_of_fragments": 1,
                    "no_match_size": SNIPPET_CHARS
                }
            }
        }
    });
    if let (Some(after), Some(map)) = (after, body.as_object_mut()) {
        map.insert("search_after".to_string(), Value::Array(after.to_vec()));
    }
    body
}

/// The body of `_delete_by_query` / `_update_by_query` over one session.
pub fn session_documents(session: &SessionId) -> Value {
    json!({ "query": { "term": { SESSION_ID: session.to_string() } } })
}

/// The body of `_delete_by_query` over one user's documents.
pub fn user_documents(user: &UserId) -> Value {
    json!({ "query": { "term": { USER_ID: user.as_str() } } })
}

/// The body of `_update_by_query` setting the insight score of every
/// document of `session`. The score is a script parameter, not script
/// text, so the script compiles once and is cached.
pub fn set_session_score(session: &SessionId, score: u8) -> Value {
    let mut body = session_documents(session);
    if let Some(map) = body.as_object_mut() {
        map.insert(
            "script".to_string(),
            json!({
                "lang": "painless",
                "source": format!("ctx._source.{INSIGHT_SCORE} = params.score"),
                "params": { "score": score }
            }),
        );
    }
    body
}

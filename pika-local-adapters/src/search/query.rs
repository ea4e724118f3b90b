//! Turning a [`SearchQuery`] into a tantivy query, ranking hits in the
//! query's order, cursors and snippets.

use super::schema::{nanos, Fields, CREATED_AT, INSIGHT_SCORE};
use pika_domain::chrono::{DateTime, Utc};
use pika_ports::page::Cursor;
use pika_ports::{PortError, PortResult, SearchQuery, SearchSort};
use std::ops::Bound;
use tantivy::collector::{ScoreSegmentTweaker, ScoreTweaker};
use tantivy::columnar::Column;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocId, Score, SegmentReader};

/// How many characters a snippet holds at most.
const SNIPPET_CHARS: usize = 120;
/// How many characters of context a snippet keeps before the match.
const SNIPPET_LEAD: usize = 40;
/// Every cursor of this index starts with this.
const CURSOR_PREFIX: &str = "tv1";
/// The deepest a cursor may point into a result list.
pub(super) const MAX_OFFSET: usize = 100_000;

/// The distinct words of `text` as the index stores them (lowercased,
/// split on non-alphanumerics), in order of first appearance.
pub(super) fn query_words(analyzer: &TextAnalyzer, text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut analyzer = analyzer.clone();
    let mut stream = analyzer.token_stream(text);
    stream.process(&mut |token| {
        if !words.contains(&token.text) {
            words.push(token.text.clone());
        }
    });
    words
}

/// A filter clause that narrows the result without changing scores.
fn filter(query: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
}

fn exact(field: tantivy::schema::Field, value: &str) -> (Occur, Box<dyn Query>) {
    filter(Box::new(TermQuery::new(
        Fields::term(field, value),
        IndexRecordOption::Basic,
    )))
}

/// The lower bound of `created_at >= from`, in index nanoseconds.
fn from_bound(from: DateTime<Utc>) -> Bound<i64> {
    match nanos(from) {
        Some(n) => Bound::Included(n),
        None if from.timestamp() < 0 => Bound::Unbounded,
        None => Bound::Included(i64::MAX),
    }
}

/// The upper bound of `created_at < to`, in index nanoseconds.
fn to_bound(to: DateTime<Utc>) -> Bound<i64> {
    match nanos(to) {
        Some(n) => Bound::Excluded(n),
        None if to.timestamp() < 0 => Bound::Excluded(i64::MIN),
        None => Bound::Unbounded,
    }
}

/// The tantivy query for `q`: every word in `words` must appear in the
/// title or the text (scored by BM25 over both), every filter must hold
/// (without scoring). No words match every document.
pub(super) fn build(fields: &Fields, q: &SearchQuery, words: &[String]) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for word in words {
        let either: Vec<(Occur, Box<dyn Query>)> = [fields.title, fields.text]
            .into_iter()
            .map(|field| {
                let term = Fields::term(field, word);
                let q: Box<dyn Query> =
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
                (Occur::Should, q)
            })
            .collect();
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(either))));
    }
    if words.is_empty() {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    if let Some(user) = &q.user_id {
        clauses.push(exact(fields.user_id, user.as_str()));
    }
    if let Some(app) = &q.chat_app_id {
        clauses.push(exact(fields.chat_app_id, app.as_str()));
    }
    if let Some(entity) = &q.entity_id {
        clauses.push(exact(fields.entity_id, entity.as_str()));
    }
    if q.from.is_some() || q.to.is_some() {
        let lower = q.from.map_or(Bound::Unbounded, from_bound);
        let upper = q.to.map_or(Bound::Unbounded, to_bound);
        clauses.push(filter(Box::new(RangeQuery::new_i64_bounds(
            CREATED_AT.to_string(),
            lower,
            upper,
        ))));
    }
    if let Some(min) = q.min_score {
        clauses.push(filter(Box::new(RangeQuery::new_u64_bounds(
            INSIGHT_SCORE.to_string(),
            Bound::Included(u64::from(min)),
            Bound::Unbounded,
        ))));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// A hit's place in the order: compared field by field, greatest first.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub(super) struct Rank {
    /// BM25 for relevance, 0 otherwise.
    primary: Score,
    /// `created_at` for relevance and newest, its complement for oldest.
    time: i64,
    /// BM25, reported with the hit.
    pub score: Score,
}

/// Ranks hits in a [`SearchSort`] (ties newest first for relevance; remaining
/// ties by document address, so the order is the same on every page).
pub(super) struct Ranker(pub SearchSort);

/// [`Ranker`] on one segment.
pub(super) struct SegmentRanker {
    sort: SearchSort,
    created_at: Column<i64>,
}

impl ScoreTweaker<Rank> for Ranker {
    type Child = SegmentRanker;

    fn segment_tweaker(&self, segment: &SegmentReader) -> tantivy::Result<SegmentRanker> {
        Ok(SegmentRanker {
            sort: self.0,
            created_at: segment.fast_fields().i64(CREATED_AT)?,
        })
    }
}

impl ScoreSegmentTweaker<Rank> for SegmentRanker {
    fn score(&mut self, doc: DocId, score: Score) -> Rank {
        let time = self.created_at.first(doc).unwrap_or(i64::MIN);
        match self.sort {
            SearchSort::Relevance => Rank {
                primary: score,
                time,
                score,
            },
            SearchSort::Newest => Rank {
                primary: 0.0,
                time,
                score,
            },
            // `!t` reverses the order of every i64 without overflow.
            SearchSort::Oldest => Rank {
                primary: 0.0,
                time: !time,
                score,
            },
        }
    }
}

fn sort_code(sort: SearchSort) -> &'static str {
    match sort {
        SearchSort::Relevance => "r",
        SearchSort::Newest => "n",
        SearchSort::Oldest => "o",
    }
}

/// FNV-1a over every part of the query that decides its results, each
/// part length-prefixed so no two queries share an encoding.
pub(super) fn fingerprint(q: &SearchQuery) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |part: &str| {
        let len = (part.len() as u64).to_le_bytes();
        for byte in len.iter().chain(part.as_bytes()) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    let time = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    feed(sort_code(q.sort));
    feed(&q.text);
    feed(q.user_id.as_ref().map_or("-", |u| u.as_str()));
    feed(q.chat_app_id.as_ref().map_or("-", |a| a.as_str()));
    feed(q.entity_id.as_ref().map_or("-", |e| e.as_str()));
    feed(&time(q.from));
    feed(&time(q.to));
    feed(&q.min_score.map(|m| m.to_string()).unwrap_or_default());
    hash
}

/// The cursor of the page starting at `offset` of the query `fingerprint`.
pub(super) fn encode_cursor(sort: SearchSort, offset: usize, fingerprint: u64) -> Cursor {
    Cursor::new(format!(
        "{CURSOR_PREFIX}.{}.{offset}.{fingerprint:016x}",
        sort_code(sort)
    ))
}

/// The offset `cursor` points at.
///
/// # Errors
/// `Invalid` when the cursor is not one of this index's, belongs to another
/// query, or points deeper than [`MAX_OFFSET`].
pub(super) fn decode_cursor(
    cursor: &Cursor,
    sort: SearchSort,
    fingerprint: u64,
) -> PortResult<usize> {
    let foreign = || PortError::invalid(format!("foreign search cursor {:?}", cursor.as_str()));
    let parts: Vec<&str> = cursor.as_str().split('.').collect();
    let [prefix, code, offset, hash] = parts.as_slice() else {
        return Err(foreign());
    };
    if *prefix != CURSOR_PREFIX
        || *code != sort_code(sort)
        || u64::from_str_radix(hash, 16).ok() != Some(fingerprint)
    {
        return Err(foreign());
    }
    let offset: usize = offset.parse().map_err(|_| foreign())?;
    if offset > MAX_OFFSET {
        return Err(PortError::invalid(format!(
            "search cursor beyond the deepest page ({MAX_OFFSET} results)"
        )));
    }
    Ok(offset)
}

/// About [`SNIPPET_CHARS`] characters of `text` around the first word of
/// `words`; the start of the text when no word occurs in it.
pub(super) fn snippet(analyzer: &TextAnalyzer, text: &str, words: &[String]) -> String {
    let mut first: Option<usize> = None;
    if !words.is_empty() {
        let mut analyzer = analyzer.clone();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let token = stream.token();
            if words.contains(&token.text) {
                first = Some(token.offset_from);
                break;
            }
        }
    }
    let at = first
        .and_then(|byte| text.get(..byte))
        .map_or(0, |before| before.chars().count());
    let start = at.saturating_sub(SNIPPET_LEAD);
    text.chars().skip(start).take(SNIPPET_CHARS).collect()
}

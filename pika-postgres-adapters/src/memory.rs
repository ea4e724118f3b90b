//! [`UserMemory`] on PostgreSQL, with the same simple extraction as the
//! in-memory fake of the testkit and the SQLite store.
//!
//! Recording an exchange derives, from the user's text (trimmed, first 200
//! characters): a `Semantic` record always (unless the text is blank), and a
//! `Preferences` record when it mentions "prefer" or "like"
//! (case-insensitively). Records are stamped with the exchange's time.
//! Retrieval ranks the user's records of a strategy by whether they share a
//! word with the query, then newest first; it is plain SQL over a column of
//! the record's words, no search index.

use crate::db::{begin, commit, PostgresDb};
use crate::support::{
    bad_data, decode_cursor, execute, get, into_page, page_limit, parse_time, query, time_key,
    to_i64,
};
use async_trait::async_trait;
use pika_domain::ids::{SessionId, UserId};
use pika_domain::memory::{MemoryRecord, MemoryStrategy};
use pika_ports::{MemoryExchange, Page, PageRequest, PortResult, UserMemory};
use std::collections::BTreeSet;
use tokio_postgres::Row;

/// How many characters of the user's text a derived record keeps.
const CONTENT_CHARS: usize = 200;
/// How many distinct words of a query take part in ranking.
const MAX_QUERY_WORDS: usize = 32;
const TAG: &str = "memory";

/// User memory records in `memory_records` (see [`UserMemory`] and the
/// module documentation for how records are derived and ranked).
#[derive(Clone, Debug)]
pub struct PostgresUserMemory {
    db: PostgresDb,
}

impl PostgresUserMemory {
    /// The memory of `db`.
    pub fn new(db: PostgresDb) -> Self {
        Self { db }
    }
}

/// The distinct lower-case words of `text`, in order.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn strategy_text(strategy: MemoryStrategy) -> &'static str {
    match strategy {
        MemoryStrategy::Preferences => "preferences",
        MemoryStrategy::Semantic => "semantic",
    }
}

fn strategy_of(raw: &str) -> PortResult<MemoryStrategy> {
    match raw {
        "preferences" => Ok(MemoryStrategy::Preferences),
        "semantic" => Ok(MemoryStrategy::Semantic),
        other => Err(bad_data(format!("{other:?} is not a memory strategy"))),
    }
}

/// The record of a row whose first columns are `seq, user_id, strategy,
/// content, created_at, source_session_id`.
fn record_of(row: &Row) -> PortResult<MemoryRecord> {
    let seq: i64 = get(row, 0)?;
    let source: Option<&str> = get(row, 5)?;
    Ok(MemoryRecord {
        record_id: format!("mem-{seq:06}"),
        user_id: UserId::parse(get::<&str>(row, 1)?).map_err(bad_data)?,
        strategy: strategy_of(get(row, 2)?)?,
        content: get(row, 3)?,
        created_at: parse_time(get(row, 4)?)?,
        source_session_id: source
            .map(|s| SessionId::parse(s).map_err(bad_data))
            .transpose()?,
    })
}

/// The records of a user (`$1`) and strategy (`$2`), those sharing one of
/// the query words `$3` (each as ` word `, matched inside the ` w1 w2 … `
/// column) first, then newest first, at most `$4`. The words are one array
/// parameter rather than one placeholder each, so a single prepared
/// statement serves every query; no words ranks by time only, as SQLite's
/// `(0) AS shares` does.
const RETRIEVE_SQL: &str = "SELECT seq, user_id, strategy, content, created_at, \
     source_session_id, \
     EXISTS (SELECT 1 FROM unnest($3::TEXT[]) AS q(w) WHERE strpos(words, q.w) > 0) AS shares \
     FROM memory_records WHERE user_id = $1 AND strategy = $2 \
     ORDER BY shares DESC, created_micros DESC, seq DESC LIMIT $4";

/// The first newest-first page of a user's records (`memory_by_user`).
const LIST_SQL: &str = "SELECT seq, user_id, strategy, content, created_at, \
     source_session_id, created_micros FROM memory_records WHERE user_id = $1 \
     ORDER BY created_micros DESC, seq DESC LIMIT $2";

/// A later page, after the cursor's `(created_micros, seq)`; the row
/// comparison is served by the same index.
const LIST_AFTER_SQL: &str = "SELECT seq, user_id, strategy, content, created_at, \
     source_session_id, created_micros FROM memory_records \
     WHERE user_id = $1 AND (created_micros, seq) < ($2, $3) \
     ORDER BY created_micros DESC, seq DESC LIMIT $4";

fn parse_key(raw: &str) -> Option<(i64, i64)> {
    let (micros, seq) = raw.split_once('.')?;
    Some((micros.parse().ok()?, seq.parse().ok()?))
}

#[async_trait]
impl UserMemory for PostgresUserMemory {
    async fn retrieve(
        &self,
        user: &UserId,
        strategy: MemoryStrategy,
        query_text: &str,
        limit: u32,
    ) -> PortResult<Vec<MemoryRecord>> {
        let query_words: Vec<String> = words(query_text)
            .into_iter()
            .take(MAX_QUERY_WORDS)
            .map(|w| format!(" {w} "))
            .collect();
        let client = self.db.client().await?;
        query(
            &client,
            RETRIEVE_SQL,
            &[
                &user.as_str(),
                &strategy_text(strategy),
                &query_words,
                &to_i64(u64::from(limit)),
            ],
        )
        .await?
        .iter()
        .map(record_of)
        .collect()
    }

    async fn record(&self, exchange: &MemoryExchange) -> PortResult<()> {
        let content: String = exchange
            .user_text
            .trim()
            .chars()
            .take(CONTENT_CHARS)
            .collect();
        if content.is_empty() {
            return Ok(());
        }
        let lower = content.to_lowercase();
        let mut strategies = vec![MemoryStrategy::Semantic];
        if lower.contains("prefer") || lower.contains("like") {
            strategies.push(MemoryStrategy::Preferences);
        }
        let word_column = format!(
            " {} ",
            words(&content).into_iter().collect::<Vec<_>>().join(" ")
        );
        let user = exchange.user_id.as_str();
        let session = exchange.session_id.to_string();
        let (at, micros) = (time_key(&exchange.at), exchange.at.timestamp_micros());
        // One transaction: an exchange's records appear together or not at
        // all, inserted in order so their `seq` (the tie-breaker of equal
        // times) is the same as SQLite's.
        let mut client = self.db.client().await?;
        let tx = begin(&mut client).await?;
        for strategy in strategies {
            execute(
                &tx,
                "INSERT INTO memory_records (user_id, strategy, content, words, created_at, \
                 created_micros, source_session_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &user,
                    &strategy_text(strategy),
                    &content,
                    &word_column,
                    &at,
                    &micros,
                    &session,
                ],
            )
            .await?;
        }
        commit(tx).await
    }

    async fn list(&self, user: &UserId, page: PageRequest) -> PortResult<Page<MemoryRecord>> {
        let after = page
            .cursor
            .as_ref()
            .map(|c| decode_cursor(TAG, c, parse_key))
            .transpose()?;
        let size = page.size();
        let limit = page_limit(size);
        let user = user.as_str();
        let client = self.db.client().await?;
        let rows = match &after {
            Some((micros, seq)) => {
                query(&client, LIST_AFTER_SQL, &[&user, micros, seq, &limit]).await?
            }
            None => query(&client, LIST_SQL, &[&user, &limit]).await?,
        };
        let rows = rows
            .iter()
            .map(|row| {
                let (seq, micros): (i64, i64) = (get(row, 0)?, get(row, 6)?);
                Ok((format!("{micros}.{seq}"), record_of(row)?))
            })
            .collect::<PortResult<Vec<_>>>()?;
        Ok(into_page(rows, size, TAG))
    }

    async fn delete_user(&self, user: &UserId) -> PortResult<()> {
        let client = self.db.client().await?;
        execute(
            &client,
            "DELETE FROM memory_records WHERE user_id = $1",
            &[&user.as_str()],
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn words_are_lower_case_and_split_on_punctuation() {
        let w: Vec<String> = words("I prefer Python, python-3 and café!")
            .into_iter()
            .collect();
        assert_eq!(w, ["3", "and", "café", "i", "prefer", "python"]);
    }

    #[test]
    fn list_cursor_keys_round_trip() {
        assert_eq!(
            parse_key("1700000000000000.42"),
            Some((1_700_000_000_000_000, 42))
        );
        assert_eq!(parse_key("-5.1"), Some((-5, 1)));
        assert_eq!(parse_key("12"), None);
        assert_eq!(parse_key("a.b"), None);
    }
}

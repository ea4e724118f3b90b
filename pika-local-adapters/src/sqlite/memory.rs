//! [`UserMemory`] on SQLite, with the same simple extraction as the
//! in-memory fake of the testkit.
//!
//! Recording an exchange derives, from the user's text (trimmed, first 200
//! characters): a `Semantic` record always (unless the text is blank), and a
//! `Preferences` record when it mentions "prefer" or "like"
//! (case-insensitively). Records are stamped with the exchange's time.
//! Retrieval ranks the user's records of a strategy by whether they share a
//! word with the query, then newest first; it is plain SQL over a column of
//! the record's words, no search index.

use crate::sqlite::db::SqliteDb;
use crate::sqlite::support::{
    bad_data, decode_cursor, into_page, page_limit, parse_time, time_key, to_i64, Res,
};
use async_trait::async_trait;
use pika_domain::ids::{SessionId, UserId};
use pika_domain::memory::{MemoryRecord, MemoryStrategy};
use pika_ports::{MemoryExchange, Page, PageRequest, PortResult, UserMemory};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Row};
use std::collections::BTreeSet;

/// How many characters of the user's text a derived record keeps.
const CONTENT_CHARS: usize = 200;
/// How many distinct words of a query take part in ranking.
const MAX_QUERY_WORDS: usize = 32;
const TAG: &str = "memory";

/// User memory records in `memory_records` (see [`UserMemory`] and the
/// module documentation for how records are derived and ranked).
#[derive(Clone, Debug)]
pub struct SqliteUserMemory {
    db: SqliteDb,
}

impl SqliteUserMemory {
    /// The memory of `db`.
    pub fn new(db: SqliteDb) -> Self {
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

fn strategy_of(raw: &str) -> Res<MemoryStrategy> {
    match raw {
        "preferences" => Ok(MemoryStrategy::Preferences),
        "semantic" => Ok(MemoryStrategy::Semantic),
        other => Err(bad_data(format!("{other:?} is not a memory strategy"))),
    }
}

const RECORD_COLUMNS: &str = "seq, user_id, strategy, content, created_at, source_session_id";

fn record_of(row: &Row<'_>) -> Res<MemoryRecord> {
    let seq: i64 = row.get(0)?;
    let user: String = row.get(1)?;
    let strategy: String = row.get(2)?;
    let at: String = row.get(4)?;
    let source: Option<String> = row.get(5)?;
    Ok(MemoryRecord {
        record_id: format!("mem-{seq:06}"),
        user_id: UserId::parse(user).map_err(bad_data)?,
        strategy: strategy_of(&strategy)?,
        content: row.get(3)?,
        created_at: parse_time(&at)?,
        source_session_id: source
            .map(|s| SessionId::parse(&s).map_err(bad_data))
            .transpose()?,
    })
}

/// The records of a user and strategy, those sharing one of `words` query
/// words first, then newest first.
pub(crate) fn retrieve_sql(words: usize) -> String {
    let shares = if words == 0 {
        "0".to_string()
    } else {
        vec!["instr(words, ?) > 0"; words].join(" OR ")
    };
    format!(
        "SELECT {RECORD_COLUMNS}, ({shares}) AS shares FROM memory_records \
         WHERE user_id = ? AND strategy = ? \
         ORDER BY shares DESC, created_micros DESC, seq DESC LIMIT ?"
    )
}

/// A newest-first page of a user's records, after a cursor's key when `after`.
pub(crate) fn list_sql(after: bool) -> String {
    let after = if after {
        " AND (created_micros, seq) < (?, ?)"
    } else {
        ""
    };
    format!(
        "SELECT {RECORD_COLUMNS}, created_micros FROM memory_records WHERE user_id = ?{after} \
         ORDER BY created_micros DESC, seq DESC LIMIT ?"
    )
}

fn parse_key(raw: &str) -> Option<(i64, i64)> {
    let (micros, seq) = raw.split_once('.')?;
    Some((micros.parse().ok()?, seq.parse().ok()?))
}

#[async_trait]
impl UserMemory for SqliteUserMemory {
    async fn retrieve(
        &self,
        user: &UserId,
        strategy: MemoryStrategy,
        query: &str,
        limit: u32,
    ) -> PortResult<Vec<MemoryRecord>> {
        let query: Vec<String> = words(query)
            .into_iter()
            .take(MAX_QUERY_WORDS)
            .map(|w| format!(" {w} "))
            .collect();
        let sql = retrieve_sql(query.len());
        let mut args: Vec<Value> = query.into_iter().map(Value::Text).collect();
        args.push(Value::Text(user.as_str().to_string()));
        args.push(Value::Text(strategy_text(strategy).to_string()));
        args.push(Value::Integer(to_i64(u64::from(limit))));
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&sql)?;
                let mut rows = stmt.query(params_from_iter(args))?;
                let mut found = Vec::new();
                while let Some(row) = rows.next()? {
                    found.push(record_of(row)?);
                }
                Ok(found)
            })
            .await
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
        let user = exchange.user_id.as_str().to_string();
        let session = exchange.session_id.to_string();
        let (at, micros) = (time_key(&exchange.at), exchange.at.timestamp_micros());
        self.db
            .write(move |tx| {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO memory_records (user_id, strategy, content, words, created_at, \
                     created_micros, source_session_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for strategy in strategies {
                    insert.execute(params![
                        user,
                        strategy_text(strategy),
                        content,
                        word_column,
                        at,
                        micros,
                        session
                    ])?;
                }
                Ok(())
            })
            .await
    }

    async fn list(&self, user: &UserId, page: PageRequest) -> PortResult<Page<MemoryRecord>> {
        let after = page
            .cursor
            .as_ref()
            .map(|c| decode_cursor(TAG, c, parse_key))
            .transpose()?;
        let sql = list_sql(after.is_some());
        let mut args = vec![Value::Text(user.as_str().to_string())];
        if let Some((micros, seq)) = after {
            args.extend([Value::Integer(micros), Value::Integer(seq)]);
        }
        let size = page.size();
        args.push(Value::Integer(page_limit(size)));
        let rows = self
            .db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&sql)?;
                let mut rows = stmt.query(params_from_iter(args))?;
                let mut found = Vec::new();
                while let Some(row) = rows.next()? {
                    let (seq, micros): (i64, i64) = (row.get(0)?, row.get(6)?);
                    found.push((format!("{micros}.{seq}"), record_of(row)?));
                }
                Ok(found)
            })
            .await?;
        Ok(into_page(rows, size, TAG))
    }

    async fn delete_user(&self, user: &UserId) -> PortResult<()> {
        let user = user.as_str().to_string();
        self.db
            .write(move |tx| {
                tx.prepare_cached("DELETE FROM memory_records WHERE user_id = ?1")?
                    .execute([user])?;
                Ok(())
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_case_and_split_on_punctuation() {
        let w: Vec<String> = words("I prefer Python, python-3 and café!")
            .into_iter()
            .collect();
        assert_eq!(w, ["3", "and", "café", "i", "prefer", "python"]);
    }

    #[test]
    fn retrieval_without_query_words_ranks_by_time_only() {
        assert!(retrieve_sql(0).contains("(0) AS shares"));
        assert_eq!(retrieve_sql(2).matches("instr(words, ?)").count(), 2);
    }
}

//! The configuration stores on SQLite: [`AgentStore`] and [`ToolStore`]
//! here, [`ChatAppStore`](pika_ports::ChatAppStore) in `chat_apps.rs`. All
//! three keep `(id, version, body)` rows and update them with optimistic
//! concurrency: `UPDATE … WHERE id = ? AND version = ?` in one transaction.

use crate::sqlite::db::SqliteDb;
use crate::sqlite::support::{decode_cursor, from_json, into_page, page_limit, to_json, Fail, Res};
use async_trait::async_trait;
use pika_domain::agent::Agent;
use pika_domain::chat_app::ChatApp;
use pika_domain::ids::{AgentId, ChatAppId, ToolId};
use pika_domain::tool::Tool;
use pika_ports::{AgentStore, Page, PageRequest, PortError, PortResult, ToolStore};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

/// A record with an id and a version: what the configuration tables keep.
pub(crate) trait Versioned: Serialize + DeserializeOwned + Send + 'static {
    /// Its table.
    const TABLE: &'static str;
    /// What the record is, for messages and cursor tags.
    const KIND: &'static str;
    /// Its id as stored.
    fn key(&self) -> &str;
    /// Its version.
    fn version(&self) -> u64;
    /// Whether `raw` is a valid id (to refuse cursors with garbage keys).
    fn valid_key(raw: &str) -> bool;
}

impl Versioned for ChatApp {
    const TABLE: &'static str = "chat_apps";
    const KIND: &'static str = "chat app";
    fn key(&self) -> &str {
        self.chat_app_id.as_str()
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn valid_key(raw: &str) -> bool {
        ChatAppId::parse(raw).is_ok()
    }
}

impl Versioned for Agent {
    const TABLE: &'static str = "agents";
    const KIND: &'static str = "agent";
    fn key(&self) -> &str {
        self.agent_id.as_str()
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn valid_key(raw: &str) -> bool {
        AgentId::parse(raw).is_ok()
    }
}

impl Versioned for Tool {
    const TABLE: &'static str = "tools";
    const KIND: &'static str = "tool";
    fn key(&self) -> &str {
        self.tool_id.as_str()
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn valid_key(raw: &str) -> bool {
        ToolId::parse(raw).is_ok()
    }
}

/// A version as stored.
///
/// # Errors
/// `Invalid` for a version beyond `i64::MAX`.
fn stored_version(v: u64) -> Result<i64, PortError> {
    i64::try_from(v).map_err(|_| PortError::invalid(format!("version {v} is too large")))
}

/// A page of a configuration table in id order, after a cursor's id when
/// `after`.
pub(crate) fn list_sql(table: &str, after: bool) -> String {
    if after {
        format!("SELECT id, body FROM {table} WHERE id > ?1 ORDER BY id LIMIT ?2")
    } else {
        format!("SELECT id, body FROM {table} ORDER BY id LIMIT ?1")
    }
}

/// Reads one record by id.
pub(crate) fn get_row<T: Versioned>(conn: &Connection, id: &str) -> Res<Option<T>> {
    let body: Option<String> = conn
        .prepare_cached(&format!("SELECT body FROM {} WHERE id = ?1", T::TABLE))?
        .query_row([id], |row| row.get(0))
        .optional()?;
    body.map(|b| from_json(&b)).transpose()
}

/// The shared operations of the three stores, over one [`SqliteDb`].
pub(crate) async fn get<T: Versioned>(db: &SqliteDb, id: &str) -> PortResult<Option<T>> {
    let id = id.to_string();
    db.read(move |conn| get_row::<T>(conn, &id)).await
}

pub(crate) async fn list<T: Versioned>(db: &SqliteDb, page: PageRequest) -> PortResult<Page<T>> {
    let after = page
        .cursor
        .as_ref()
        .map(|c| decode_cursor(T::KIND, c, |k| T::valid_key(k).then(|| k.to_string())))
        .transpose()?;
    let size = page.size();
    let sql = list_sql(T::TABLE, after.is_some());
    let mut args: Vec<Value> = after.into_iter().map(Value::Text).collect();
    args.push(Value::Integer(page_limit(size)));
    let rows = db
        .read(move |conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(args), |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?;
            rows.map(|r| {
                let (id, body) = r?;
                Ok((id, from_json::<T>(&body)?))
            })
            .collect::<Res<Vec<_>>>()
        })
        .await?;
    Ok(into_page(rows, size, T::KIND))
}

pub(crate) async fn create<T: Versioned>(db: &SqliteDb, item: &T) -> PortResult<()> {
    let id = item.key().to_string();
    let version = stored_version(item.version())?;
    let body = to_json(item).map_err(Fail::into_port)?;
    db.write(move |tx| {
        let added = tx
            .prepare_cached(&format!(
                "INSERT INTO {} (id, version, body) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO NOTHING",
                T::TABLE
            ))?
            .execute(params![id, version, body])?;
        if added == 0 {
            return Err(PortError::conflict(format!("{} {id} exists", T::KIND)).into());
        }
        Ok(())
    })
    .await
}

pub(crate) async fn update<T: Versioned>(
    db: &SqliteDb,
    item: &T,
    expected_version: u64,
) -> PortResult<()> {
    let id = item.key().to_string();
    let version = stored_version(item.version())?;
    let expected = stored_version(expected_version)?;
    let body = to_json(item).map_err(Fail::into_port)?;
    db.write(move |tx| {
        let changed = tx
            .prepare_cached(&format!(
                "UPDATE {} SET version = ?1, body = ?2 WHERE id = ?3 AND version = ?4",
                T::TABLE
            ))?
            .execute(params![version, body, id, expected])?;
        if changed == 1 {
            return Ok(());
        }
        let stored: Option<i64> = tx
            .prepare_cached(&format!("SELECT version FROM {} WHERE id = ?1", T::TABLE))?
            .query_row([&id], |row| row.get(0))
            .optional()?;
        Err(match stored {
            None => PortError::not_found(format!("{} {id} does not exist", T::KIND)),
            Some(v) => PortError::conflict(format!(
                "{} {id} is at version {v}, not {expected_version}",
                T::KIND
            )),
        }
        .into())
    })
    .await
}

pub(crate) async fn delete<T: Versioned>(db: &SqliteDb, id: &str) -> PortResult<()> {
    let id = id.to_string();
    db.write(move |tx| {
        tx.prepare_cached(&format!("DELETE FROM {} WHERE id = ?1", T::TABLE))?
            .execute([id])?;
        Ok(())
    })
    .await
}

/// Agents in the `agents` table (see [`AgentStore`]).
#[derive(Clone, Debug)]
pub struct SqliteAgentStore {
    db: SqliteDb,
}

impl SqliteAgentStore {
    /// The agents of `db`.
    pub fn new(db: SqliteDb) -> Self {
        Self { db }
    }
}

#[async_trait]
impl AgentStore for SqliteAgentStore {
    async fn get(&self, id: &AgentId) -> PortResult<Option<Agent>> {
        get(&self.db, id.as_str()).await
    }

    async fn list(&self, page: PageRequest) -> PortResult<Page<Agent>> {
        list(&self.db, page).await
    }

    async fn create(&self, agent: &Agent) -> PortResult<()> {
        create(&self.db, agent).await
    }

    async fn update(&self, agent: &Agent, expected_version: u64) -> PortResult<()> {
        update(&self.db, agent, expected_version).await
    }

    async fn delete(&self, id: &AgentId) -> PortResult<()> {
        delete::<Agent>(&self.db, id.as_str()).await
    }
}

/// Tool definitions in the `tools` table (see [`ToolStore`]).
#[derive(Clone, Debug)]
pub struct SqliteToolStore {
    db: SqliteDb,
}

impl SqliteToolStore {
    /// The tools of `db`.
    pub fn new(db: SqliteDb) -> Self {
        Self { db }
    }
}

/// How many ids one `IN (…)` of [`ToolStore::get_many`] names.
const BATCH: usize = 100;

#[async_trait]
impl ToolStore for SqliteToolStore {
    async fn get(&self, id: &ToolId) -> PortResult<Option<Tool>> {
        get(&self.db, id.as_str()).await
    }

    async fn get_many(&self, ids: &[ToolId]) -> PortResult<Vec<Tool>> {
        // A batch read names each key once; a repeated id gives one tool.
        let mut unique: Vec<String> = Vec::with_capacity(ids.len());
        for id in ids {
            if !unique.iter().any(|u| u == id.as_str()) {
                unique.push(id.as_str().to_string());
            }
        }
        if unique.is_empty() {
            return Ok(Vec::new());
        }
        self.db
            .read(move |conn| {
                let mut found: HashMap<String, Tool> = HashMap::new();
                for chunk in unique.chunks(BATCH) {
                    let marks = vec!["?"; chunk.len()].join(", ");
                    let mut stmt =
                        conn.prepare(&format!("SELECT id, body FROM tools WHERE id IN ({marks})"))?;
                    let rows = stmt.query_map(params_from_iter(chunk), |row| {
                        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                    })?;
                    for row in rows {
                        let (id, body) = row?;
                        found.insert(id, from_json(&body)?);
                    }
                }
                Ok(unique.iter().filter_map(|id| found.remove(id)).collect())
            })
            .await
    }

    async fn list(&self, page: PageRequest) -> PortResult<Page<Tool>> {
        list(&self.db, page).await
    }

    async fn create(&self, tool: &Tool) -> PortResult<()> {
        create(&self.db, tool).await
    }

    async fn update(&self, tool: &Tool, expected_version: u64) -> PortResult<()> {
        update(&self.db, tool, expected_version).await
    }

    async fn delete(&self, id: &ToolId) -> PortResult<()> {
        delete::<Tool>(&self.db, id.as_str()).await
    }
}

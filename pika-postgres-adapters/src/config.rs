//! The configuration stores on PostgreSQL: [`AgentStore`] and
//! [`ToolStore`] here, [`ChatAppStore`](pika_ports::ChatAppStore) in
//! `chat_apps.rs` and [`SiteStore`](pika_ports::SiteStore) in `site.rs`.
//! All four keep `(id, version, body)` rows and update them with
//! optimistic concurrency: one transaction that locks the row
//! (`SELECT version … FOR UPDATE`), checks its version and writes.

use crate::db::{begin, commit, PostgresDb};
use crate::support::{
    body_at, decode_cursor, execute, get as column, into_page, page_limit, query, query_opt,
    to_json,
};
use async_trait::async_trait;
use pika_domain::agent::Agent;
use pika_domain::chat_app::ChatApp;
use pika_domain::ids::{AgentId, ChatAppId, ToolId};
use pika_domain::tool::Tool;
use pika_ports::{AgentStore, Page, PageRequest, PortError, PortResult, ToolStore};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

/// A record with an id and a version: what the configuration tables keep.
pub(crate) trait Versioned: Serialize + DeserializeOwned + Send + Sync + 'static {
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
/// `Invalid` for a version beyond `i64::MAX`: refused rather than
/// saturated, since two versions saturating alike would compare equal.
fn stored_version(v: u64) -> PortResult<i64> {
    i64::try_from(v).map_err(|_| PortError::invalid(format!("version {v} is too large")))
}

/// One record of `T`'s table by id.
pub(crate) async fn get<T: Versioned>(db: &PostgresDb, id: &str) -> PortResult<Option<T>> {
    let client = db.client().await?;
    query_opt(
        &client,
        &format!("SELECT body FROM {} WHERE id = $1", T::TABLE),
        &[&id],
    )
    .await?
    .map(|row| body_at(&row, 0))
    .transpose()
}

/// A page of `T`'s table in id order (its primary key), with keyset
/// cursors tagged with [`Versioned::KIND`].
pub(crate) async fn list<T: Versioned>(db: &PostgresDb, page: PageRequest) -> PortResult<Page<T>> {
    let after = page
        .cursor
        .as_ref()
        .map(|c| decode_cursor(T::KIND, c, |k| T::valid_key(k).then(|| k.to_string())))
        .transpose()?;
    let size = page.size();
    let limit = page_limit(size);
    let client = db.client().await?;
    let rows = match &after {
        Some(after) => {
            query(
                &client,
                &format!(
                    "SELECT id, body FROM {} WHERE id > $1 ORDER BY id LIMIT $2",
                    T::TABLE
                ),
                &[after, &limit],
            )
            .await?
        }
        None => {
            query(
                &client,
                &format!("SELECT id, body FROM {} ORDER BY id LIMIT $1", T::TABLE),
                &[&limit],
            )
            .await?
        }
    };
    let rows = rows
        .iter()
        .map(|row| Ok((column::<String>(row, 0)?, body_at::<T>(row, 1)?)))
        .collect::<PortResult<Vec<_>>>()?;
    Ok(into_page(rows, size, T::KIND))
}

/// Stores `item` as given unless its id exists (one conditional insert).
///
/// # Errors
/// `Conflict` when the id exists; nothing is changed then.
pub(crate) async fn create<T: Versioned>(db: &PostgresDb, item: &T) -> PortResult<()> {
    let id = item.key();
    let version = stored_version(item.version())?;
    let body = to_json(item)?;
    let client = db.client().await?;
    let added = execute(
        &client,
        &format!(
            "INSERT INTO {} (id, version, body) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
            T::TABLE
        ),
        &[&id, &version, &body],
    )
    .await?;
    if added == 0 {
        return Err(PortError::conflict(format!("{} {id} exists", T::KIND)));
    }
    Ok(())
}

/// Replaces the stored record with `item` if it is at `expected_version`.
/// The row stays locked from the check to the write, so of concurrent
/// updates from one version exactly one wins; the others, woken when it
/// commits, read its new version and conflict.
///
/// # Errors
/// `NotFound` when there is no such record; `Conflict` when its version
/// differs.
pub(crate) async fn update<T: Versioned>(
    db: &PostgresDb,
    item: &T,
    expected_version: u64,
) -> PortResult<()> {
    let id = item.key();
    let version = stored_version(item.version())?;
    let expected = stored_version(expected_version)?;
    let body = to_json(item)?;
    let mut client = db.client().await?;
    let tx = begin(&mut client).await?;
    let stored = query_opt(
        &tx,
        &format!("SELECT version FROM {} WHERE id = $1 FOR UPDATE", T::TABLE),
        &[&id],
    )
    .await?
    .map(|row| column::<i64>(&row, 0))
    .transpose()?;
    match stored {
        None => {
            return Err(PortError::not_found(format!(
                "{} {id} does not exist",
                T::KIND
            )))
        }
        Some(v) if v != expected => {
            return Err(PortError::conflict(format!(
                "{} {id} is at version {v}, not {expected_version}",
                T::KIND
            )))
        }
        Some(_) => {}
    }
    execute(
        &tx,
        &format!(
            "UPDATE {} SET version = $1, body = $2 WHERE id = $3",
            T::TABLE
        ),
        &[&version, &body, &id],
    )
    .await?;
    commit(tx).await
}

/// Deletes one record; a missing one is no error.
pub(crate) async fn delete<T: Versioned>(db: &PostgresDb, id: &str) -> PortResult<()> {
    let client = db.client().await?;
    execute(
        &client,
        &format!("DELETE FROM {} WHERE id = $1", T::TABLE),
        &[&id],
    )
    .await?;
    Ok(())
}

/// Agents in the `agents` table (see [`AgentStore`]).
#[derive(Clone, Debug)]
pub struct PostgresAgentStore {
    db: PostgresDb,
}

impl PostgresAgentStore {
    /// The agents of `db`.
    pub fn new(db: PostgresDb) -> Self {
        Self { db }
    }
}

#[async_trait]
impl AgentStore for PostgresAgentStore {
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
pub struct PostgresToolStore {
    db: PostgresDb,
}

impl PostgresToolStore {
    /// The tools of `db`.
    pub fn new(db: PostgresDb) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ToolStore for PostgresToolStore {
    async fn get(&self, id: &ToolId) -> PortResult<Option<Tool>> {
        get(&self.db, id.as_str()).await
    }

    async fn get_many(&self, ids: &[ToolId]) -> PortResult<Vec<Tool>> {
        // A batch read names each key once; a repeated id gives one tool.
        let mut unique: Vec<&str> = Vec::with_capacity(ids.len());
        for id in ids {
            if !unique.contains(&id.as_str()) {
                unique.push(id.as_str());
            }
        }
        if unique.is_empty() {
            return Ok(Vec::new());
        }
        // One statement however many ids: an array parameter has no
        // placeholder limit, so unlike SQLite's `IN (?, …)` it needs no
        // batches.
        let client = self.db.client().await?;
        let mut found = query(
            &client,
            "SELECT id, body FROM tools WHERE id = ANY($1)",
            &[&unique],
        )
        .await?
        .iter()
        .map(|row| Ok((column::<String>(row, 0)?, body_at::<Tool>(row, 1)?)))
        .collect::<PortResult<HashMap<_, _>>>()?;
        Ok(unique.iter().filter_map(|id| found.remove(*id)).collect())
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

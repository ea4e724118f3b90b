//! In-memory configuration stores: [`ChatAppStore`] (with overrides),
//! [`AgentStore`] and [`ToolStore`]. All three keep records by id and update
//! them with optimistic concurrency on `version`, as the DynamoDB adapter
//! does with a condition on the stored version.

use crate::fakes::keyset::{self, Direction};
use crate::faults::Faults;
use async_trait::async_trait;
use pika_domain::agent::Agent;
use pika_domain::chat_app::{ChatApp, ChatAppOverride};
use pika_domain::ids::{AgentId, ChatAppId, ToolId};
use pika_domain::tool::Tool;
use pika_ports::{AgentStore, ChatAppStore, Page, PageRequest, PortError, PortResult, ToolStore};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;
use std::sync::{Arc, Mutex, MutexGuard};

/// A record with an id and a version: what the three stores keep.
trait Versioned: Clone {
    /// Its id type.
    type Id: Ord + Clone + Display;
    /// What the record is, for error messages and cursor tags.
    const KIND: &'static str;
    fn id(&self) -> &Self::Id;
    fn version(&self) -> u64;
    fn parse_id(raw: &str) -> Option<Self::Id>;
}

impl Versioned for ChatApp {
    type Id = ChatAppId;
    const KIND: &'static str = "chat app";
    fn id(&self) -> &ChatAppId {
        &self.chat_app_id
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn parse_id(raw: &str) -> Option<ChatAppId> {
        ChatAppId::parse(raw).ok()
    }
}

impl Versioned for Agent {
    type Id = AgentId;
    const KIND: &'static str = "agent";
    fn id(&self) -> &AgentId {
        &self.agent_id
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn parse_id(raw: &str) -> Option<AgentId> {
        AgentId::parse(raw).ok()
    }
}

impl Versioned for Tool {
    type Id = ToolId;
    const KIND: &'static str = "tool";
    fn id(&self) -> &ToolId {
        &self.tool_id
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn parse_id(raw: &str) -> Option<ToolId> {
        ToolId::parse(raw).ok()
    }
}

/// Records by id with conditional create and version-checked update.
struct Table<T: Versioned> {
    rows: Mutex<BTreeMap<T::Id, T>>,
}

impl<T: Versioned> Default for Table<T> {
    fn default() -> Self {
        Self {
            rows: Mutex::new(BTreeMap::new()),
        }
    }
}

impl<T: Versioned> Table<T> {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<T::Id, T>> {
        // A poisoned lock only means a test thread panicked; the map is intact.
        self.rows.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, id: &T::Id) -> Option<T> {
        self.lock().get(id).cloned()
    }

    fn all(&self) -> Vec<T> {
        self.lock().values().cloned().collect()
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    fn list(&self, page: &PageRequest) -> PortResult<Page<T>> {
        let items = self
            .lock()
            .iter()
            .map(|(id, row)| (id.clone(), row.clone()))
            .collect();
        keyset::paginate(
            items,
            Direction::Ascending,
            T::KIND,
            page,
            ToString::to_string,
            T::parse_id,
        )
    }

    fn create(&self, row: &T) -> PortResult<()> {
        let mut rows = self.lock();
        if rows.contains_key(row.id()) {
            return Err(PortError::conflict(format!(
                "{} {} exists",
                T::KIND,
                row.id()
            )));
        }
        rows.insert(row.id().clone(), row.clone());
        Ok(())
    }

    fn update(&self, row: &T, expected_version: u64) -> PortResult<()> {
        let mut rows = self.lock();
        let stored = rows.get_mut(row.id()).ok_or_else(|| {
            PortError::not_found(format!("{} {} does not exist", T::KIND, row.id()))
        })?;
        if stored.version() != expected_version {
            return Err(PortError::conflict(format!(
                "{} {} is at version {}, not {expected_version}",
                T::KIND,
                row.id(),
                stored.version()
            )));
        }
        *stored = row.clone();
        Ok(())
    }

    fn delete(&self, id: &T::Id) {
        self.lock().remove(id);
    }
}

macro_rules! store_basics {
    ($store:ident, $item:ty, $what:literal) => {
        impl $store {
            /// An empty store without faults.
            pub fn new() -> Self {
                Self::default()
            }

            /// An empty store whose calls go through `faults`.
            pub fn with_faults(faults: Arc<Faults>) -> Self {
                Self {
                    faults,
                    ..Self::default()
                }
            }

            /// The fault rules and call counts of this store.
            pub fn faults(&self) -> &Arc<Faults> {
                &self.faults
            }

            #[doc = concat!("Every stored ", $what, ", ordered by id. Bypasses faults.")]
            pub fn all(&self) -> Vec<$item> {
                self.rows.all()
            }

            #[doc = concat!("How many ", $what, "s are stored.")]
            pub fn len(&self) -> usize {
                self.rows.len()
            }

            #[doc = concat!("Whether no ", $what, " is stored.")]
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }
        }
    };
}

/// Chat apps and their overrides in memory (see [`ChatAppStore`]).
#[derive(Default)]
pub struct InMemoryChatAppStore {
    rows: Table<ChatApp>,
    overrides: Mutex<HashMap<ChatAppId, ChatAppOverride>>,
    faults: Arc<Faults>,
}

store_basics!(InMemoryChatAppStore, ChatApp, "chat app");

impl InMemoryChatAppStore {
    /// The stored override of `id`, if any. Bypasses faults.
    pub fn override_of(&self, id: &ChatAppId) -> Option<ChatAppOverride> {
        self.overrides().get(id).cloned()
    }

    fn overrides(&self) -> MutexGuard<'_, HashMap<ChatAppId, ChatAppOverride>> {
        // A poisoned lock only means a test thread panicked; the map is intact.
        self.overrides.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl ChatAppStore for InMemoryChatAppStore {
    async fn get(&self, id: &ChatAppId) -> PortResult<Option<ChatApp>> {
        self.faults.check("ChatAppStore::get").await?;
        Ok(self.rows.get(id))
    }

    async fn list(&self, page: PageRequest) -> PortResult<Page<ChatApp>> {
        self.faults.check("ChatAppStore::list").await?;
        self.rows.list(&page)
    }

    async fn create(&self, app: &ChatApp) -> PortResult<()> {
        self.faults.check("ChatAppStore::create").await?;
        self.rows.create(app)
    }

    async fn update(&self, app: &ChatApp, expected_version: u64) -> PortResult<()> {
        self.faults.check("ChatAppStore::update").await?;
        self.rows.update(app, expected_version)
    }

    async fn delete(&self, id: &ChatAppId) -> PortResult<()> {
        self.faults.check("ChatAppStore::delete").await?;
        // Both go in one step, as the adapter's transaction does.
        let mut overrides = self.overrides();
        self.rows.delete(id);
        overrides.remove(id);
        Ok(())
    }

    async fn get_override(&self, id: &ChatAppId) -> PortResult<Option<ChatAppOverride>> {
        self.faults.check("ChatAppStore::get_override").await?;
        Ok(self.override_of(id))
    }

    async fn put_override(&self, id: &ChatAppId, ovr: &ChatAppOverride) -> PortResult<()> {
        self.faults.check("ChatAppStore::put_override").await?;
        // Lock order: overrides, then rows (as in `delete`).
        let mut overrides = self.overrides();
        if self.rows.get(id).is_none() {
            return Err(PortError::not_found(format!(
                "chat app {id} does not exist"
            )));
        }
        overrides.insert(id.clone(), ovr.clone());
        Ok(())
    }

    async fn delete_override(&self, id: &ChatAppId) -> PortResult<()> {
        self.faults.check("ChatAppStore::delete_override").await?;
        self.overrides().remove(id);
        Ok(())
    }
}

/// Agents in memory (see [`AgentStore`]).
#[derive(Default)]
pub struct InMemoryAgentStore {
    rows: Table<Agent>,
    faults: Arc<Faults>,
}

store_basics!(InMemoryAgentStore, Agent, "agent");

#[async_trait]
impl AgentStore for InMemoryAgentStore {
    async fn get(&self, id: &AgentId) -> PortResult<Option<Agent>> {
        self.faults.check("AgentStore::get").await?;
        Ok(self.rows.get(id))
    }

    async fn list(&self, page: PageRequest) -> PortResult<Page<Agent>> {
        self.faults.check("AgentStore::list").await?;
        self.rows.list(&page)
    }

    async fn create(&self, agent: &Agent) -> PortResult<()> {
        self.faults.check("AgentStore::create").await?;
        self.rows.create(agent)
    }

    async fn update(&self, agent: &Agent, expected_version: u64) -> PortResult<()> {
        self.faults.check("AgentStore::update").await?;
        self.rows.update(agent, expected_version)
    }

    async fn delete(&self, id: &AgentId) -> PortResult<()> {
        self.faults.check("AgentStore::delete").await?;
        self.rows.delete(id);
        Ok(())
    }
}

/// Tool definitions in memory (see [`ToolStore`]).
#[derive(Default)]
pub struct InMemoryToolStore {
    rows: Table<Tool>,
    faults: Arc<Faults>,
}

store_basics!(InMemoryToolStore, Tool, "tool");

#[async_trait]
impl ToolStore for InMemoryToolStore {
    async fn get(&self, id: &ToolId) -> PortResult<Option<Tool>> {
        self.faults.check("ToolStore::get").await?;
        Ok(self.rows.get(id))
    }

    async fn get_many(&self, ids: &[ToolId]) -> PortResult<Vec<Tool>> {
        self.faults.check("ToolStore::get_many").await?;
        let rows = self.rows.lock();
        let mut seen = Vec::new();
        let mut found = Vec::new();
        for id in ids {
            // A batch read names each key once; a repeated id gives one tool.
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            if let Some(tool) = rows.get(id) {
                found.push(tool.clone());
            }
        }
        Ok(found)
    }

    async fn list(&self, page: PageRequest) -> PortResult<Page<Tool>> {
        self.faults.check("ToolStore::list").await?;
        self.rows.list(&page)
    }

    async fn create(&self, tool: &Tool) -> PortResult<()> {
        self.faults.check("ToolStore::create").await?;
        self.rows.create(tool)
    }

    async fn update(&self, tool: &Tool, expected_version: u64) -> PortResult<()> {
        self.faults.check("ToolStore::update").await?;
        self.rows.update(tool, expected_version)
    }

    async fn delete(&self, id: &ToolId) -> PortResult<()> {
        self.faults.check("ToolStore::delete").await?;
        self.rows.delete(id);
        Ok(())
    }
}

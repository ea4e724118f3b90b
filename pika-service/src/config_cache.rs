//! A small in-memory cache of configuration (the site configuration, chat
//! apps with their overrides, agents, tools) with a TTL: configuration
//! changes rarely, so a warm turn reads only its session and history from
//! the stores.

use crate::error::ServiceError;
use crate::ports::Ports;
use pika_domain::agent::Agent;
use pika_domain::chat_app::{ChatApp, ChatAppOverride};
use pika_domain::chrono::{DateTime, Duration, Utc};
use pika_domain::ids::{AgentId, ChatAppId, ToolId};
use pika_domain::site::SiteConfig;
use pika_domain::tool::Tool;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// A chat app with its override, as the cache holds them.
#[derive(Debug, Clone, PartialEq)]
pub struct AppConfig {
    /// The chat app.
    pub app: ChatApp,
    /// Its override, if any.
    pub ovr: Option<ChatAppOverride>,
}

struct Entry<V> {
    value: V,
    loaded_at: DateTime<Utc>,
}

struct Table<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Table<K, V> {
    fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn fresh(&self, key: &K, now: DateTime<Utc>, ttl: Duration) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|e| now - e.loaded_at < ttl)
            .map(|e| e.value.clone())
    }

    fn put(&self, key: K, value: V, now: DateTime<Utc>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.insert(
            key,
            Entry {
                value,
                loaded_at: now,
            },
        );
    }

    fn forget(&self, key: &K) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

/// Caches configuration for `ttl`. Admin changes made through this process
/// invalidate their entries at once; other processes see them within the TTL.
pub struct ConfigCache {
    ports: Ports,
    ttl: Duration,
    site: Table<(), Arc<SiteConfig>>,
    apps: Table<ChatAppId, Option<AppConfig>>,
    agents: Table<AgentId, Option<Agent>>,
    tools: Table<ToolId, Option<Tool>>,
}

impl ConfigCache {
    /// A cache over `ports` keeping entries for `ttl`.
    pub fn new(ports: Ports, ttl: std::time::Duration) -> Self {
        Self {
            ports,
            ttl: Duration::from_std(ttl).unwrap_or(Duration::seconds(60)),
            site: Table::new(),
            apps: Table::new(),
            agents: Table::new(),
            tools: Table::new(),
        }
    }

    /// The stored site configuration (the defaults, every site-gated
    /// feature off, while none is stored: see [`load_site`]).
    ///
    /// # Errors
    /// Store failures.
    pub async fn site(&self) -> Result<Arc<SiteConfig>, ServiceError> {
        let now = self.ports.clock.now();
        if let Some(hit) = self.site.fresh(&(), now, self.ttl) {
            return Ok(hit);
        }
        let value = Arc::new(load_site(&self.ports).await?);
        self.site.put((), Arc::clone(&value), now);
        Ok(value)
    }

    /// Forgets the site configuration (after an admin change).
    pub fn forget_site(&self) {
        self.site.forget(&());
    }

    /// The chat app and its override; `None` when there is no such app.
    ///
    /// # Errors
    /// Store failures.
    pub async fn chat_app(&self, id: &ChatAppId) -> Result<Option<AppConfig>, ServiceError> {
        let now = self.ports.clock.now();
        if let Some(hit) = self.apps.fresh(id, now, self.ttl) {
            return Ok(hit);
        }
        let app = self.ports.chat_apps.get(id).await?;
        let value = match app {
            Some(app) => Some(AppConfig {
                ovr: self.ports.chat_apps.get_override(id).await?,
                app,
            }),
            None => None,
        };
        self.apps.put(id.clone(), value.clone(), now);
        Ok(value)
    }

    /// The agent; `None` when there is none.
    ///
    /// # Errors
    /// Store failures.
    pub async fn agent(&self, id: &AgentId) -> Result<Option<Agent>, ServiceError> {
        let now = self.ports.clock.now();
        if let Some(hit) = self.agents.fresh(id, now, self.ttl) {
            return Ok(hit);
        }
        let value = self.ports.agents.get(id).await?;
        self.agents.put(id.clone(), value.clone(), now);
        Ok(value)
    }

    /// The tools with these ids that exist, in order (one batch read for the
    /// ones not cached).
    ///
    /// # Errors
    /// Store failures.
    pub async fn tools(&self, ids: &[ToolId]) -> Result<Vec<Tool>, ServiceError> {
        let now = self.ports.clock.now();
        let missing: Vec<ToolId> = ids
            .iter()
            .filter(|id| self.tools.fresh(id, now, self.ttl).is_none())
            .cloned()
            .collect();
        if !missing.is_empty() {
            let loaded = self.ports.tools.get_many(&missing).await?;
            for id in &missing {
                let tool = loaded.iter().find(|t| &t.tool_id == id).cloned();
                self.tools.put(id.clone(), tool, now);
            }
        }
        Ok(ids
            .iter()
            .filter_map(|id| self.tools.fresh(id, now, self.ttl).flatten())
            .collect())
    }

    /// Forgets a chat app (after an admin change).
    pub fn forget_chat_app(&self, id: &ChatAppId) {
        self.apps.forget(id);
    }

    /// Forgets an agent.
    pub fn forget_agent(&self, id: &AgentId) {
        self.agents.forget(id);
    }

    /// Forgets a tool.
    pub fn forget_tool(&self, id: &ToolId) {
        self.tools.forget(id);
    }
}

/// The stored site configuration, read without a cache (the scheduled jobs
/// read it once a run). While none is stored (a binary seeds it at its first
/// start, so only a store emptied by hand lacks one), the defaults: every
/// site-gated feature off, which denies rather than allows.
///
/// # Errors
/// Store failures.
pub async fn load_site(ports: &Ports) -> Result<SiteConfig, ServiceError> {
    match ports.site.get().await? {
        Some(record) => Ok(record.config),
        None => {
            tracing::warn!(
                "no site configuration is stored: using the defaults (site features off)"
            );
            Ok(SiteConfig::default())
        }
    }
}

//! Administration of the site configuration, chat apps (+ overrides),
//! agents and tools, for site admins. Every change is validated, version-checked, logged to the audit
//! log (`pika::audit`) and evicted from this process's configuration cache.

mod deletes;
mod discovery;
mod stamp;
pub mod tags;

use crate::config_cache::ConfigCache;
use crate::error::ServiceError;
use crate::ports::Ports;
use crate::retry::retry_transient;
use pika_domain::agent::Agent;
use pika_domain::chat_app::{ChatApp, ChatAppOverride};
use pika_domain::ids::{AgentId, ChatAppId, ToolId};
use pika_domain::site::{SiteConfig, SiteRecord};
use pika_domain::tool::Tool;
use pika_domain::user::User;
use pika_ports::{Page, PageRequest};
use stamp::Stamped;
use std::sync::Arc;

/// The admin use cases.
#[derive(Clone)]
pub struct AdminService {
    ports: Ports,
    config: Arc<ConfigCache>,
}

fn require_site_admin(caller: &User) -> Result<(), ServiceError> {
    if caller.is_site_admin() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden("site admins only".to_string()))
    }
}

fn audit(caller: &User, action: &str, resource: &str) {
    tracing::info!(target: "pika::audit", actor = %caller.user_id, action, resource, "admin change");
}

impl AdminService {
    /// An admin service; changes evict entries of `config`.
    pub fn new(ports: Ports, config: Arc<ConfigCache>) -> Self {
        Self { ports, config }
    }

    /// The stored site configuration.
    ///
    /// # Errors
    /// `Forbidden` for non-admins; `NotFound` while none is stored (every
    /// binary seeds one at its first start); store failures.
    pub async fn get_site(&self, caller: &User) -> Result<SiteRecord, ServiceError> {
        require_site_admin(caller)?;
        self.ports
            .site
            .get()
            .await?
            .ok_or_else(|| ServiceError::not_found("site configuration"))
    }

    /// Replaces the site configuration if it is still at `version` (the
    /// version the caller read; 0 when none is stored, which stores the
    /// first). Every process sees the change within its configuration
    /// cache's time to live; this one at once.
    ///
    /// # Errors
    /// `Forbidden`; `Invalid` (an entity feature without an attribute path);
    /// `Conflict` if it changed meanwhile; store failures.
    pub async fn put_site(
        &self,
        caller: &User,
        config: SiteConfig,
        version: u64,
    ) -> Result<SiteRecord, ServiceError> {
        require_site_admin(caller)?;
        config
            .validate()
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let now = self.ports.clock.now();
        let record = if version == 0 {
            let mut record = SiteRecord::seed(config, now);
            record.updated_by = Some(caller.user_id.clone());
            self.ports.site.create(&record).await?;
            record
        } else {
            let current = self
                .ports
                .site
                .get()
                .await?
                .ok_or_else(|| ServiceError::not_found("site configuration"))?;
            let record = SiteRecord {
                config,
                version: version + 1,
                created_at: current.created_at,
                updated_at: now,
                updated_by: Some(caller.user_id.clone()),
            };
            self.ports.site.update(&record, version).await?;
            record
        };
        self.config.forget_site();
        audit(caller, "put_site", "site");
        Ok(record)
    }

    /// All chat apps.
    ///
    /// # Errors
    /// `Forbidden` for non-admins; store failures.
    pub async fn list_chat_apps(
        &self,
        caller: &User,
        page: PageRequest,
    ) -> Result<Page<ChatApp>, ServiceError> {
        require_site_admin(caller)?;
        Ok(self.ports.chat_apps.list(page).await?)
    }

    /// One chat app with its override.
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`.
    pub async fn get_chat_app(
        &self,
        caller: &User,
        id: &ChatAppId,
    ) -> Result<(ChatApp, Option<ChatAppOverride>), ServiceError> {
        require_site_admin(caller)?;
        let app = self
            .ports
            .chat_apps
            .get(id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("chat app {id}")))?;
        Ok((app, self.ports.chat_apps.get_override(id).await?))
    }

    /// Creates a chat app (version 1). Its agent must exist.
    ///
    /// # Errors
    /// `Forbidden`; `Invalid` (rules broken); `NotFound` (an agent it names);
    /// `Conflict` if the id exists.
    pub async fn create_chat_app(
        &self,
        caller: &User,
        mut app: ChatApp,
    ) -> Result<ChatApp, ServiceError> {
        require_site_admin(caller)?;
        app.validate()
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        self.require_agent(&app.agent_id).await?;
        for intent in &app.intents {
            self.require_agent(&intent.agent_id).await?;
        }
        app.stamp_new(self.ports.clock.now(), &caller.user_id);
        retry_transient(|| self.ports.chat_apps.create(&app)).await?;
        self.config.forget_chat_app(&app.chat_app_id);
        audit(caller, "create_chat_app", app.chat_app_id.as_str());
        Ok(app)
    }

    /// Replaces a chat app if it is still at `app.version` (the version the
    /// caller read); stores it as the next version.
    ///
    /// # Errors
    /// `Forbidden`; `Invalid`; `NotFound`; `Conflict` if it changed meanwhile.
    pub async fn update_chat_app(
        &self,
        caller: &User,
        mut app: ChatApp,
    ) -> Result<ChatApp, ServiceError> {
        require_site_admin(caller)?;
        app.validate()
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        self.require_agent(&app.agent_id).await?;
        for intent in &app.intents {
            self.require_agent(&intent.agent_id).await?;
        }
        let current = self
            .ports
            .chat_apps
            .get(&app.chat_app_id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("chat app {}", app.chat_app_id)))?;
        let expected = app.stamp_next(current.created_at, self.ports.clock.now(), &caller.user_id);
        self.ports.chat_apps.update(&app, expected).await?;
        self.config.forget_chat_app(&app.chat_app_id);
        audit(caller, "update_chat_app", app.chat_app_id.as_str());
        Ok(app)
    }

    /// Creates or replaces the override of a chat app.
    ///
    /// # Errors
    /// `Forbidden`; `NotFound` for an unknown app.
    pub async fn put_override(
        &self,
        caller: &User,
        id: &ChatAppId,
        ovr: ChatAppOverride,
    ) -> Result<ChatAppOverride, ServiceError> {
        require_site_admin(caller)?;
        // Checked here too, so every adapter answers the same for an unknown app.
        if self.ports.chat_apps.get(id).await?.is_none() {
            return Err(ServiceError::not_found(format!("chat app {id}")));
        }
        retry_transient(|| self.ports.chat_apps.put_override(id, &ovr)).await?;
        self.config.forget_chat_app(id);
        audit(caller, "put_override", id.as_str());
        Ok(ovr)
    }

    /// Removes the override of a chat app.
    ///
    /// # Errors
    /// `Forbidden`; store failures.
    pub async fn delete_override(&self, caller: &User, id: &ChatAppId) -> Result<(), ServiceError> {
        require_site_admin(caller)?;
        retry_transient(|| self.ports.chat_apps.delete_override(id)).await?;
        self.config.forget_chat_app(id);
        audit(caller, "delete_override", id.as_str());
        Ok(())
    }

    /// All agents.
    ///
    /// # Errors
    /// `Forbidden`; store failures.
    pub async fn list_agents(
        &self,
        caller: &User,
        page: PageRequest,
    ) -> Result<Page<Agent>, ServiceError> {
        require_site_admin(caller)?;
        Ok(self.ports.agents.list(page).await?)
    }

    /// One agent.
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`.
    pub async fn get_agent(&self, caller: &User, id: &AgentId) -> Result<Agent, ServiceError> {
        require_site_admin(caller)?;
        self.ports
            .agents
            .get(id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("agent {id}")))
    }

    /// Creates an agent (version 1); its tools must exist.
    ///
    /// # Errors
    /// `Forbidden`; `Invalid`; `Conflict` if the id exists.
    pub async fn create_agent(
        &self,
        caller: &User,
        mut agent: Agent,
    ) -> Result<Agent, ServiceError> {
        require_site_admin(caller)?;
        self.check_agent(&agent).await?;
        agent.stamp_new(self.ports.clock.now(), &caller.user_id);
        retry_transient(|| self.ports.agents.create(&agent)).await?;
        self.config.forget_agent(&agent.agent_id);
        audit(caller, "create_agent", agent.agent_id.as_str());
        Ok(agent)
    }

    /// Replaces an agent if it is still at `agent.version`.
    ///
    /// # Errors
    /// `Forbidden`; `Invalid`; `NotFound`; `Conflict` if it changed meanwhile.
    pub async fn update_agent(
        &self,
        caller: &User,
        mut agent: Agent,
    ) -> Result<Agent, ServiceError> {
        require_site_admin(caller)?;
        self.check_agent(&agent).await?;
        let current = self.get_agent(caller, &agent.agent_id).await?;
        let expected =
            agent.stamp_next(current.created_at, self.ports.clock.now(), &caller.user_id);
        self.ports.agents.update(&agent, expected).await?;
        self.config.forget_agent(&agent.agent_id);
        audit(caller, "update_agent", agent.agent_id.as_str());
        Ok(agent)
    }

    /// All tools.
    ///
    /// # Errors
    /// `Forbidden`; store failures.
    pub async fn list_tools(
        &self,
        caller: &User,
        page: PageRequest,
    ) -> Result<Page<Tool>, ServiceError> {
        require_site_admin(caller)?;
        Ok(self.ports.tools.list(page).await?)
    }

    /// One tool.
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`.
    pub async fn get_tool(&self, caller: &User, id: &ToolId) -> Result<Tool, ServiceError> {
        require_site_admin(caller)?;
        self.ports
            .tools
            .get(id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("tool {id}")))
    }

    /// Creates a tool (version 1). A tool that declares no functions but
    /// can list them (`mcp`) gets the ones its server lists.
    ///
    /// # Errors
    /// `Forbidden`; `Invalid` (also when its functions cannot be listed);
    /// `Conflict` if the id exists.
    pub async fn create_tool(&self, caller: &User, tool: Tool) -> Result<Tool, ServiceError> {
        require_site_admin(caller)?;
        let mut tool = self.with_discovered_functions(tool).await?;
        tool.validate()
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        self.runtime_accepts(None, std::slice::from_ref(&tool))?;
        tool.stamp_new(self.ports.clock.now(), &caller.user_id);
        retry_transient(|| self.ports.tools.create(&tool)).await?;
        self.config.forget_tool(&tool.tool_id);
        audit(caller, "create_tool", tool.tool_id.as_str());
        Ok(tool)
    }

    /// Replaces a tool if it is still at `tool.version` (one without
    /// functions that can list them gets them listed anew).
    ///
    /// # Errors
    /// `Forbidden`; `Invalid`; `NotFound`; `Conflict` if it changed meanwhile.
    pub async fn update_tool(&self, caller: &User, tool: Tool) -> Result<Tool, ServiceError> {
        require_site_admin(caller)?;
        let mut tool = self.with_discovered_functions(tool).await?;
        tool.validate()
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        self.runtime_accepts(None, std::slice::from_ref(&tool))?;
        let current = self.get_tool(caller, &tool.tool_id).await?;
        let expected = tool.stamp_next(current.created_at, self.ports.clock.now(), &caller.user_id);
        self.ports.tools.update(&tool, expected).await?;
        self.config.forget_tool(&tool.tool_id);
        audit(caller, "update_tool", tool.tool_id.as_str());
        Ok(tool)
    }

    async fn require_agent(&self, id: &AgentId) -> Result<(), ServiceError> {
        match self.ports.agents.get(id).await? {
            Some(_) => Ok(()),
            // A reference to something that does not exist is `not_found`
            // (as JSON:API has it), not a malformed request.
            None => Err(ServiceError::not_found(format!("agent '{id}'"))),
        }
    }

    async fn check_agent(&self, agent: &Agent) -> Result<(), ServiceError> {
        agent
            .validate()
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let found = self.ports.tools.get_many(&agent.tool_ids).await?;
        if let Some(missing) = agent
            .tool_ids
            .iter()
            .find(|id| !found.iter().any(|t| &t.tool_id == *id))
        {
            return Err(ServiceError::not_found(format!("tool '{missing}'")));
        }
        self.runtime_accepts(Some(&agent.instruction), &found)
    }

    /// The deployment's agent runtime's own limits (e.g. Bedrock inline
    /// agents: an instruction of at least 40 characters, tool descriptions of
    /// at most 200), as an admin error.
    fn runtime_accepts(
        &self,
        instruction: Option<&str>,
        tools: &[Tool],
    ) -> Result<(), ServiceError> {
        let kinds = self.ports.tool_invoker.kinds();
        if let Some(tool) = tools.iter().find(|t| !kinds.contains(&t.execution_type)) {
            let names: Vec<String> = kinds
                .iter()
                .map(|k| format!("{k:?}").to_lowercase())
                .collect();
            return Err(ServiceError::Invalid(format!(
                "tool {} is of kind {:?}, but this deployment runs {} tools only",
                tool.tool_id,
                format!("{:?}", tool.execution_type).to_lowercase(),
                names.join(" and ")
            )));
        }
        let runtime = &self.ports.runtime;
        instruction
            .map_or(Ok(()), |i| runtime.check_instruction(i))
            .and_then(|()| runtime.check_tools(&crate::chat::tool_specs(tools)))
            .map_err(|e| ServiceError::Invalid(e.message))
    }
}

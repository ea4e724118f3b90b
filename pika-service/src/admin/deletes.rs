//! Deleting configuration (PIKA.md §11 `DELETE /admin/…/{id}`), with the
//! references checked first: an agent a chat app runs, or a tool an agent
//! offers (or a chat app routes to), is kept unless the admin forces it — a forced delete leaves
//! those chat apps failing their turns until they name another agent.
//! Sessions of a deleted chat app stay readable (they keep its id).

use super::{audit, require_site_admin, AdminService};
use crate::error::ServiceError;
use crate::retry::retry_transient;
use pika_domain::agent::Agent;
use pika_domain::chat_app::ChatApp;
use pika_domain::ids::{AgentId, ChatAppId, ToolId};
use pika_domain::user::User;
use pika_ports::PageRequest;

/// The most configuration entries a reference check reads.
const SCAN_LIMIT: usize = 10_000;

impl AdminService {
    /// Deletes a chat app and its override.
    ///
    /// # Errors
    /// `Forbidden`; `NotFound` for an unknown app; store failures.
    pub async fn delete_chat_app(&self, caller: &User, id: &ChatAppId) -> Result<(), ServiceError> {
        require_site_admin(caller)?;
        if self.ports.chat_apps.get(id).await?.is_none() {
            return Err(ServiceError::not_found(format!("chat app {id}")));
        }
        retry_transient(|| self.ports.chat_apps.delete_override(id)).await?;
        retry_transient(|| self.ports.chat_apps.delete(id)).await?;
        self.config.forget_chat_app(id);
        audit(caller, "delete_chat_app", id.as_str());
        Ok(())
    }

    /// Deletes an agent no chat app runs (or, with `force`, one that some do).
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`; `Conflict` naming the chat apps that run it.
    pub async fn delete_agent(
        &self,
        caller: &User,
        id: &AgentId,
        force: bool,
    ) -> Result<(), ServiceError> {
        require_site_admin(caller)?;
        if self.ports.agents.get(id).await?.is_none() {
            return Err(ServiceError::not_found(format!("agent {id}")));
        }
        let mut users = self.chat_apps_running(id).await?;
        let delegating = self.agents_delegating_to(id).await?;
        if (!users.is_empty() || !delegating.is_empty()) && !force {
            let mut uses = Vec::new();
            if !users.is_empty() {
                uses.push(format!("runs chat apps {}", users.join(", ")));
            }
            if !delegating.is_empty() {
                uses.push(format!(
                    "is a collaborator of agents {}",
                    delegating.join(", ")
                ));
            }
            return Err(ServiceError::Conflict(format!(
                "agent {id} {}: change them first, or delete with force=true",
                uses.join(" and ")
            )));
        }
        users.extend(delegating);
        retry_transient(|| self.ports.agents.delete(id)).await?;
        self.config.forget_agent(id);
        let action = if users.is_empty() {
            "delete_agent"
        } else {
            "force_delete_agent"
        };
        audit(caller, action, id.as_str());
        Ok(())
    }

    /// Deletes a tool no agent offers (or, with `force`, one that some do).
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`; `Conflict` naming the agents that offer it.
    pub async fn delete_tool(
        &self,
        caller: &User,
        id: &ToolId,
        force: bool,
    ) -> Result<(), ServiceError> {
        require_site_admin(caller)?;
        if self.ports.tools.get(id).await?.is_none() {
            return Err(ServiceError::not_found(format!("tool {id}")));
        }
        let users = self.agents_offering(id).await?;
        if !users.is_empty() && !force {
            return Err(ServiceError::Conflict(format!(
                "tool {id} is offered by agents {}: remove it from them first, or delete with force=true",
                users.join(", ")
            )));
        }
        retry_transient(|| self.ports.tools.delete(id)).await?;
        self.config.forget_tool(id);
        for agent in &users {
            if let Ok(agent) = AgentId::parse(agent.as_str()) {
                self.config.forget_agent(&agent);
            }
        }
        let action = if users.is_empty() {
            "delete_tool"
        } else {
            "force_delete_tool"
        };
        audit(caller, action, id.as_str());
        Ok(())
    }

    async fn chat_apps_running(&self, agent: &AgentId) -> Result<Vec<String>, ServiceError> {
        let chat_apps = &self.ports.chat_apps;
        scan(
            |page| chat_apps.list(page),
            |a: &ChatApp| {
                (&a.agent_id == agent || a.intents.iter().any(|i| &i.agent_id == agent))
                    .then(|| a.chat_app_id.to_string())
            },
        )
        .await
    }

    async fn agents_delegating_to(&self, agent: &AgentId) -> Result<Vec<String>, ServiceError> {
        let agents = &self.ports.agents;
        scan(
            |page| agents.list(page),
            |a: &Agent| {
                a.collaborators
                    .contains(agent)
                    .then(|| a.agent_id.to_string())
            },
        )
        .await
    }

    async fn agents_offering(&self, tool: &ToolId) -> Result<Vec<String>, ServiceError> {
        let agents = &self.ports.agents;
        scan(
            |page| agents.list(page),
            |a: &Agent| a.tool_ids.contains(tool).then(|| a.agent_id.to_string()),
        )
        .await
    }
}

/// The names `pick` finds in every page of a listing, up to [`SCAN_LIMIT`]
/// entries read.
async fn scan<T, L, Fut>(
    mut list: L,
    pick: impl Fn(&T) -> Option<String>,
) -> Result<Vec<String>, ServiceError>
where
    L: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = pika_ports::PortResult<pika_ports::Page<T>>>,
{
    let mut found = Vec::new();
    let (mut page, mut seen) = (PageRequest::first(100), 0);
    loop {
        let batch = list(page).await?;
        seen += batch.items.len();
        found.extend(batch.items.iter().filter_map(&pick));
        match batch.next_cursor {
            Some(cursor) if seen < SCAN_LIMIT => page = PageRequest::after(100, Some(cursor)),
            _ => return Ok(found),
        }
    }
}

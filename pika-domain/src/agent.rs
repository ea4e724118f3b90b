//! Agents: an instruction, a model and a set of tools (PIKA.md §5).

use crate::ids::{AgentId, ToolId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The small, fast model of the defaults (answer grading, insights). An
/// inference-profile id: the newer Anthropic models on Bedrock take no
/// on-demand calls by their bare model id, and a new account has no access
/// to the legacy ones; the `global.` profile is callable from every
/// commercial region. Each use is configurable (an agent's
/// `verificationModelId`, the site's `insights.modelId`, `titleModelId`).
pub const DEFAULT_SMALL_MODEL_ID: &str = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

/// The verification model used when an agent names none: small and fast.
pub const DEFAULT_VERIFICATION_MODEL_ID: &str = DEFAULT_SMALL_MODEL_ID;

/// A Bedrock guardrail applied to the agent's model calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailConfig {
    /// The guardrail's id.
    pub guardrail_identifier: String,
    /// Its version.
    pub guardrail_version: String,
}

/// An agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    /// Its id.
    pub agent_id: AgentId,
    /// The base prompt. `{{prompt-assistance}}` marks where instruction
    /// assistance blocks go.
    pub instruction: String,
    /// The foundation model or inference-profile id.
    pub model_id: String,
    /// The model that grades answers; [`DEFAULT_VERIFICATION_MODEL_ID`] when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_model_id: Option<String>,
    /// Tools it may call.
    #[serde(default)]
    pub tool_ids: Vec<ToolId>,
    /// Knowledge bases it may search, with their filters (a bare id is read
    /// as a reference without filters).
    #[serde(default)]
    pub knowledge_bases: Vec<crate::knowledge::KnowledgeBaseRef>,
    /// Agents it may hand a question to (each runs its own turn, bounded
    /// in depth, its usage booked with the answer).
    #[serde(default)]
    pub collaborators: Vec<AgentId>,
    /// Guardrail configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail: Option<GuardrailConfig>,
    /// Optimistic-concurrency version.
    #[serde(default)]
    pub version: u64,
    /// When it was created (set by the platform; clients may omit it).
    #[serde(default)]
    pub created_at: DateTime<Utc>,
    /// When it was last changed (set by the platform; clients may omit it).
    #[serde(default)]
    pub updated_at: DateTime<Utc>,
    /// Who last changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<UserId>,
}

/// Why an agent definition is rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidAgent {
    /// Empty instruction.
    #[error("instruction must not be empty")]
    Instruction,
    /// Empty model id.
    #[error("modelId must not be empty")]
    ModelId,
    /// A tool listed twice.
    #[error("toolIds lists '{0}' twice")]
    DuplicateTool(String),
    /// A knowledge base reference is wrong.
    #[error(transparent)]
    KnowledgeBase(#[from] crate::knowledge::InvalidKnowledgeBase),
    /// The agent names itself, or one collaborator twice.
    #[error("collaborators may not name the agent itself or one agent twice ('{0}')")]
    Collaborator(String),
}

impl Agent {
    /// The verification model in force.
    pub fn verification_model(&self) -> &str {
        self.verification_model_id
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .unwrap_or(DEFAULT_VERIFICATION_MODEL_ID)
    }

    /// Checks the rules a stored agent must satisfy.
    ///
    /// # Errors
    /// [`InvalidAgent`] naming the first broken rule.
    pub fn validate(&self) -> Result<(), InvalidAgent> {
        if self.instruction.trim().is_empty() {
            return Err(InvalidAgent::Instruction);
        }
        if self.model_id.trim().is_empty() {
            return Err(InvalidAgent::ModelId);
        }
        let mut seen = std::collections::BTreeSet::new();
        for id in &self.tool_ids {
            if !seen.insert(id) {
                return Err(InvalidAgent::DuplicateTool(id.to_string()));
            }
        }
        for kb in &self.knowledge_bases {
            kb.validate()?;
        }
        let mut named = std::collections::BTreeSet::new();
        for c in &self.collaborators {
            if c == &self.agent_id || !named.insert(c) {
                return Err(InvalidAgent::Collaborator(c.to_string()));
            }
        }
        Ok(())
    }
}

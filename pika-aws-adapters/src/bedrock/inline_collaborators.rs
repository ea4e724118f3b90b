//! Collaborators in `InvokeInlineAgent`'s shapes: the agent becomes a
//! supervisor (`agentCollaboration: SUPERVISOR`, it words the final answer),
//! each collaborator an inline agent of its own (instruction, model, action
//! groups, knowledge bases, guardrail) with a `collaboratorConfigurations`
//! entry saying when to consult it. The conversation is not relayed: the
//! supervisor tells a collaborator what it needs, as Pika's own
//! collaboration tool does.

use super::inline_agent::check_inline_agent;
use super::inline_wire::action_groups;
use super::knowledge::inline_knowledge_bases;
use aws_sdk_bedrockagentruntime::types::{
    Collaborator, CollaboratorConfiguration, GuardrailConfigurationWithArn,
    RelayConversationHistory,
};
use pika_domain::agent::GuardrailConfig;
use pika_ports::{CollaboratorRequest, PortError, PortResult};

/// The longest `collaboratorInstruction` Bedrock takes.
const MAX_WHEN_TO_ASK_CHARS: usize = 4000;

/// Bedrock's guardrail shape of `g`.
pub(super) fn guardrail(g: &GuardrailConfig) -> PortResult<GuardrailConfigurationWithArn> {
    GuardrailConfigurationWithArn::builder()
        .guardrail_identifier(&g.guardrail_identifier)
        .guardrail_version(&g.guardrail_version)
        .build()
        .map_err(|e| PortError::invalid(format!("bad guardrail configuration: {e}")))
}

/// A collaborator's name as Bedrock takes it (`([0-9a-zA-Z][_-]?){1,100}`):
/// letters and digits kept, any run of other characters one `-`.
pub(super) fn collaborator_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.chars().take(100).collect()
}

/// The collaborators and their configurations, in the same order.
///
/// # Errors
/// `Invalid` when a collaborator breaks an inline agent's limits (short
/// instruction, long tool description) or two names become one.
pub(super) fn collaborators(
    requests: &[CollaboratorRequest],
) -> PortResult<(Vec<Collaborator>, Vec<CollaboratorConfiguration>)> {
    let mut agents = Vec::new();
    let mut configurations = Vec::new();
    for request in requests {
        let name = collaborator_name(&request.name);
        if name.is_empty()
            || agents
                .iter()
                .any(|a: &Collaborator| a.agent_name() == Some(&name))
        {
            return Err(PortError::invalid(format!(
                "collaborator '{}' has no usable Bedrock name (or shares it)",
                request.name
            )));
        }
        check_inline_agent(Some(&request.instruction), &request.tools).map_err(|e| {
            PortError::invalid(format!("collaborator '{}': {}", request.name, e.message))
        })?;
        let groups = action_groups(&request.tools)?;
        let bases = inline_knowledge_bases(&request.knowledge_bases)?;
        let agent = Collaborator::builder()
            .agent_name(&name)
            .foundation_model(&request.model_id)
            .instruction(&request.instruction)
            .set_action_groups((!groups.is_empty()).then_some(groups))
            .set_knowledge_bases((!bases.is_empty()).then_some(bases))
            .set_guardrail_configuration(request.guardrail.as_ref().map(guardrail).transpose()?)
            .build()
            .map_err(|e| PortError::invalid(format!("collaborator '{}': {e}", request.name)))?;
        let when: String = request
            .when_to_ask
            .chars()
            .take(MAX_WHEN_TO_ASK_CHARS)
            .collect();
        let configuration = CollaboratorConfiguration::builder()
            .collaborator_name(&name)
            .collaborator_instruction(if when.trim().is_empty() {
                format!("Consult {name}.")
            } else {
                when
            })
            .relay_conversation_history(RelayConversationHistory::Disabled)
            .build()
            .map_err(|e| PortError::invalid(format!("collaborator '{}': {e}", request.name)))?;
        agents.push(agent);
        configurations.push(configuration);
    }
    Ok((agents, configurations))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_letters_and_digits_with_single_separators() {
        assert_eq!(collaborator_name("billing-agent"), "billing-agent");
        assert_eq!(collaborator_name("billing__agent.v2"), "billing-agent-v2");
        assert_eq!(collaborator_name("--x--"), "x");
        assert_eq!(collaborator_name("…"), "");
    }
}

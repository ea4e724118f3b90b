//! The agent instruction with prompt-assistance blocks (PIKA.md §4,
//! `agentInstructionAssistance`).

/// Where prompt-assistance blocks go in an instruction.
pub const PROMPT_ASSISTANCE_MARKER: &str = "{{prompt-assistance}}";

/// Puts `blocks` at the marker, or appends them when the instruction has no
/// marker. With no blocks, the marker is removed.
pub fn apply_instruction_assistance(instruction: &str, blocks: &[String]) -> String {
    let joined = blocks
        .iter()
        .map(|b| b.trim())
        .filter(|b| !b.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    if instruction.contains(PROMPT_ASSISTANCE_MARKER) {
        instruction.replace(PROMPT_ASSISTANCE_MARKER, &joined)
    } else if joined.is_empty() {
        instruction.to_string()
    } else {
        format!("{}\n\n{joined}", instruction.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_go_at_the_marker_or_at_the_end() {
        let blocks = vec!["Use tables.".to_string(), "Be brief.".to_string()];
        assert_eq!(
            apply_instruction_assistance("Hi.\n{{prompt-assistance}}\nBye.", &blocks),
            "Hi.\nUse tables.\n\nBe brief.\nBye."
        );
        assert_eq!(
            apply_instruction_assistance("Hi.", &blocks),
            "Hi.\n\nUse tables.\n\nBe brief."
        );
        assert_eq!(
            apply_instruction_assistance("Hi. {{prompt-assistance}}", &[]),
            "Hi. "
        );
        assert_eq!(apply_instruction_assistance("Hi.", &[]), "Hi.");
    }
}

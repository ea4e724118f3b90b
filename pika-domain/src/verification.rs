//! Self-correction ("verify response", PIKA.md §8): grades, reading the
//! verifier's answer, deciding whether to re-ask, and the correction prompt.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How accurate an answer is, as the verifier classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Grade {
    /// Accurate.
    A,
    /// Accurate, with stated assumptions.
    B,
    /// Accurate, with unstated assumptions.
    C,
    /// Inaccurate or made up.
    F,
    /// Could not classify.
    U,
}

impl Grade {
    /// Rank for the threshold comparison A < B < C < F; `U` has none.
    fn rank(self) -> Option<u8> {
        match self {
            Self::A => Some(0),
            Self::B => Some(1),
            Self::C => Some(2),
            Self::F => Some(3),
            Self::U => None,
        }
    }

    /// Parses a single-letter grade (case-insensitive, surrounding space ignored).
    pub fn from_letter(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "A" => Some(Self::A),
            "B" => Some(Self::B),
            "C" => Some(Self::C),
            "F" => Some(Self::F),
            "U" => Some(Self::U),
            _ => None,
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::F => "F",
            Self::U => "U",
        };
        f.write_str(s)
    }
}

/// One verification of one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// The grade.
    pub grade: Grade,
    /// Why, in the verifier's words.
    pub explanation: String,
}

/// The verifications stored on an assistant message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verifications {
    /// Of the main answer.
    pub main: Verification,
    /// Of the correction, when one was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<Verification>,
}

/// The explanation stored when the verifier's output cannot be read.
pub const UNPARSEABLE_EXPLANATION: &str = "the verifier's output could not be parsed";

/// The separator streamed before a correction.
pub const CORRECTIONS_SEPARATOR: &str = "\n\n### Corrections\n\n";

#[derive(Deserialize)]
struct VerifierJson {
    classification: String,
    #[serde(default)]
    explanation: Option<String>,
}

/// Reads the verifier's output: JSON `{ "classification": "B", "explanation": "…" }`,
/// possibly inside a code fence or surrounded by prose. Anything else is `U`.
pub fn parse_verifier_output(raw: &str) -> Verification {
    let unparseable = || Verification {
        grade: Grade::U,
        explanation: UNPARSEABLE_EXPLANATION.to_string(),
    };
    let (Some(start), Some(end)) = (raw.find('{'), raw.rfind('}')) else {
        return unparseable();
    };
    if end < start {
        return unparseable();
    }
    let Ok(parsed) = serde_json::from_str::<VerifierJson>(&raw[start..=end]) else {
        return unparseable();
    };
    match Grade::from_letter(&parsed.classification) {
        Some(grade) => Verification {
            grade,
            explanation: parsed.explanation.unwrap_or_default(),
        },
        None => unparseable(),
    }
}

/// Whether to re-ask once: the app sets a threshold (B, C or F), the grade is
/// B, C or F, and grade ≥ threshold in the order A < B < C < F.
pub fn should_reprompt(grade: Grade, threshold: Option<Grade>) -> bool {
    let Some(threshold) = threshold else {
        return false;
    };
    if !matches!(threshold, Grade::B | Grade::C | Grade::F) {
        return false;
    }
    match (grade.rank(), threshold.rank()) {
        (Some(g), Some(t)) => matches!(grade, Grade::B | Grade::C | Grade::F) && g >= t,
        _ => false,
    }
}

/// The prompt that asks the agent to correct its answer, built from the grade
/// and the verifier's explanation. `None` for grades that need no correction.
pub fn correction_prompt(verification: &Verification) -> Option<String> {
    let ask = match verification.grade {
        Grade::B | Grade::C => {
            "Your previous answer relied on assumptions. State the assumptions you made, \
             clearly and briefly, and adjust the answer where they matter."
        }
        Grade::F => {
            "Your previous answer is not factually correct. Fix it: give a corrected answer, \
             and say plainly what you do not know instead of guessing."
        }
        Grade::A | Grade::U => return None,
    };
    let why = verification.explanation.trim();
    Some(if why.is_empty() {
        ask.to_string()
    } else {
        format!("{ask}\n\nA reviewer noted: {why}")
    })
}

/// The verifier's instruction (system prompt).
pub const VERIFIER_INSTRUCTION: &str = "You grade the accuracy of an assistant's answer. \
Reply with JSON only: {\"classification\": \"A|B|C|F\", \"explanation\": \"...\"}. \
A = accurate; B = accurate with stated assumptions; C = accurate with unstated assumptions; \
F = inaccurate or made up.";

/// The verifier's input: the question and the answer, nothing else (no tools,
/// no history).
pub fn verifier_input(question: &str, answer: &str) -> String {
    format!("Question:\n{question}\n\nAnswer:\n{answer}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_fenced_json() {
        let v = parse_verifier_output(r#"{"classification":"B","explanation":"assumed USD"}"#);
        assert_eq!(v.grade, Grade::B);
        assert_eq!(v.explanation, "assumed USD");
        let fenced =
            "Sure:\n```json\n{\"classification\": \"f\", \"explanation\": \"wrong year\"}\n```";
        assert_eq!(parse_verifier_output(fenced).grade, Grade::F);
    }

    #[test]
    fn garbage_is_u() {
        for raw in [
            "",
            "A",
            "{",
            "}{",
            "{\"classification\": \"Z\"}",
            "{\"grade\":\"A\"}",
            "not json {at all}",
        ] {
            let v = parse_verifier_output(raw);
            assert_eq!(v.grade, Grade::U, "{raw:?}");
            assert_eq!(v.explanation, UNPARSEABLE_EXPLANATION);
        }
    }

    #[test]
    fn reprompt_follows_threshold_order() {
        use Grade::*;
        let cases = [
            (A, Some(B), false),
            (B, Some(B), true),
            (C, Some(B), true),
            (F, Some(B), true),
            (B, Some(C), false),
            (C, Some(C), true),
            (F, Some(C), true),
            (C, Some(F), false),
            (F, Some(F), true),
            (U, Some(B), false),
            (F, None, false),
            (F, Some(A), false),
            (F, Some(U), false),
        ];
        for (grade, threshold, expected) in cases {
            assert_eq!(
                should_reprompt(grade, threshold),
                expected,
                "{grade:?} vs {threshold:?}"
            );
        }
    }

    #[test]
    fn correction_prompt_depends_on_grade() {
        let f = Verification {
            grade: Grade::F,
            explanation: "Paris is not in Spain".into(),
        };
        let p = correction_prompt(&f).unwrap();
        assert!(p.contains("not factually correct"));
        assert!(p.contains("Paris is not in Spain"));
        let c = Verification {
            grade: Grade::C,
            explanation: String::new(),
        };
        assert!(correction_prompt(&c)
            .unwrap()
            .contains("State the assumptions"));
        let a = Verification {
            grade: Grade::A,
            explanation: String::new(),
        };
        assert!(correction_prompt(&a).is_none());
    }
}

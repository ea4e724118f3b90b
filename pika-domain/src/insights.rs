//! Insight assessments of sessions and the auto-feedback rules (PIKA.md §10).

use crate::feedback::Severity;
use serde::{Deserialize, Serialize};

/// A score with what it means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Score {
    /// 0 to 100.
    pub score: u8,
    /// Why.
    #[serde(default)]
    pub description: String,
}

/// The scores of an assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // each field is the score of the same name
pub struct Scores {
    pub goal_achievement: Score,
    pub user_satisfaction: Score,
    pub ai_accuracy: Score,
    pub ai_helpfulness: Score,
    pub ai_communication: Score,
    pub ai_efficiency: Score,
    pub ai_overall: Score,
    pub interaction_quality: Score,
}

/// The user's mood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Sentiment {
    Positive,
    Neutral,
    Negative,
}

/// Whether the user got what they came for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum GoalCompletion {
    Achieved,
    PartiallyAchieved,
    NotAchieved,
    Unclear,
}

/// How satisfied the user seemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum SatisfactionLevel {
    Satisfied,
    Neutral,
    Dissatisfied,
}

/// A three-step scale (complexity, AI confidence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Level {
    Low,
    Medium,
    High,
}

/// A model's structured assessment of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAssessment {
    /// The scores.
    pub scores: Scores,
    /// The user's mood.
    pub sentiment: Sentiment,
    /// Whether the goal was met.
    pub goal_completion: GoalCompletion,
    /// How satisfied the user seemed.
    pub satisfaction_level: SatisfactionLevel,
    /// Someone should follow up.
    pub requires_follow_up: bool,
    /// Critical issues were seen.
    pub critical_issues_present: bool,
    /// Escalation is needed.
    pub escalation_needed: bool,
    /// How complex the conversation was.
    pub complexity: Level,
    /// How confident the AI seemed.
    pub ai_confidence: Level,
    /// A one-paragraph summary.
    #[serde(default)]
    pub summary: String,
}

impl SessionAssessment {
    /// The overall AI score, used by search filters (`minScore`).
    pub fn overall_score(&self) -> u8 {
        self.scores.ai_overall.score
    }
}

/// One finding that becomes an automatic feedback record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoFinding {
    /// Severity from the rule.
    pub severity: Severity,
    /// The rule that fired, in words.
    pub reason: &'static str,
}

/// The auto-feedback rules: each rule that fires gives one finding.
/// Critical issues → critical; user dissatisfied → high; goal not achieved →
/// high; low AI confidence → medium; high complexity → low. Most severe first.
pub fn auto_feedback(a: &SessionAssessment) -> Vec<AutoFinding> {
    let mut out = Vec::new();
    if a.critical_issues_present {
        out.push(AutoFinding {
            severity: Severity::Critical,
            reason: "critical issues present",
        });
    }
    if a.satisfaction_level == SatisfactionLevel::Dissatisfied {
        out.push(AutoFinding {
            severity: Severity::High,
            reason: "user dissatisfied",
        });
    }
    if a.goal_completion == GoalCompletion::NotAchieved {
        out.push(AutoFinding {
            severity: Severity::High,
            reason: "goal not achieved",
        });
    }
    if a.ai_confidence == Level::Low {
        out.push(AutoFinding {
            severity: Severity::Medium,
            reason: "low AI confidence",
        });
    }
    if a.complexity == Level::High {
        out.push(AutoFinding {
            severity: Severity::Low,
            reason: "high complexity",
        });
    }
    out
}

/// The assessor's instruction.
pub const ASSESSMENT_INSTRUCTION: &str = "You assess a conversation between a user and an AI \
assistant. Reply with JSON only, with these fields: scores (goalAchievement, userSatisfaction, \
aiAccuracy, aiHelpfulness, aiCommunication, aiEfficiency, aiOverall, interactionQuality; each \
{score: 0-100, description}), sentiment (positive|neutral|negative), goalCompletion \
(achieved|partially_achieved|not_achieved|unclear), satisfactionLevel \
(satisfied|neutral|dissatisfied), requiresFollowUp, criticalIssuesPresent, escalationNeeded \
(booleans), complexity (low|medium|high), aiConfidence (low|medium|high), summary.";

/// Reads the assessor's JSON (possibly fenced or surrounded by prose).
///
/// # Errors
/// A description of why the output is not an assessment.
pub fn parse_assessment(raw: &str) -> Result<SessionAssessment, String> {
    let (Some(start), Some(end)) = (raw.find('{'), raw.rfind('}')) else {
        return Err("no JSON object in the assessment".to_string());
    };
    if end < start {
        return Err("no JSON object in the assessment".to_string());
    }
    serde_json::from_str(&raw[start..=end]).map_err(|e| format!("invalid assessment: {e}"))
}

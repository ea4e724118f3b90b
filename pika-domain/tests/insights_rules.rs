#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Auto-feedback rules and reading the assessor's output (PIKA.md §10).

use pika_domain::feedback::Severity;
use pika_domain::insights::{
    auto_feedback, parse_assessment, GoalCompletion, Level, SatisfactionLevel, Score, Scores,
    Sentiment, SessionAssessment,
};
use serde_json::{json, Value};

fn score(n: u8) -> Score {
    Score {
        score: n,
        description: format!("scored {n}"),
    }
}

/// An assessment on which no rule fires.
fn calm() -> SessionAssessment {
    SessionAssessment {
        scores: Scores {
            goal_achievement: score(90),
            user_satisfaction: score(85),
            ai_accuracy: score(95),
            ai_helpfulness: score(90),
            ai_communication: score(88),
            ai_efficiency: score(80),
            ai_overall: score(91),
            interaction_quality: score(87),
        },
        sentiment: Sentiment::Positive,
        goal_completion: GoalCompletion::Achieved,
        satisfaction_level: SatisfactionLevel::Satisfied,
        requires_follow_up: false,
        critical_issues_present: false,
        escalation_needed: false,
        complexity: Level::Low,
        ai_confidence: Level::High,
        summary: "The user reset their password.".to_string(),
    }
}

type Tweak = fn(&mut SessionAssessment);
/// A named row: tweaks to a calm assessment, and the findings expected.
type Row = (&'static str, Vec<Tweak>, Vec<(Severity, &'static str)>);

fn critical(a: &mut SessionAssessment) {
    a.critical_issues_present = true;
}
fn dissatisfied(a: &mut SessionAssessment) {
    a.satisfaction_level = SatisfactionLevel::Dissatisfied;
}
fn goal_missed(a: &mut SessionAssessment) {
    a.goal_completion = GoalCompletion::NotAchieved;
}
fn unsure(a: &mut SessionAssessment) {
    a.ai_confidence = Level::Low;
}
fn complex(a: &mut SessionAssessment) {
    a.complexity = Level::High;
}

#[test]
fn auto_feedback_rules_table() {
    use Severity::{Critical, High, Low, Medium};
    let rows: Vec<Row> = vec![
        ("nothing wrong", vec![], vec![]),
        (
            "critical issues alone",
            vec![critical],
            vec![(Critical, "critical issues present")],
        ),
        (
            "user dissatisfied alone",
            vec![dissatisfied],
            vec![(High, "user dissatisfied")],
        ),
        (
            "goal not achieved alone",
            vec![goal_missed],
            vec![(High, "goal not achieved")],
        ),
        (
            "low AI confidence alone",
            vec![unsure],
            vec![(Medium, "low AI confidence")],
        ),
        (
            "high complexity alone",
            vec![complex],
            vec![(Low, "high complexity")],
        ),
        (
            "dissatisfied and goal missed give two high findings",
            vec![goal_missed, dissatisfied],
            vec![(High, "user dissatisfied"), (High, "goal not achieved")],
        ),
        (
            "complexity and critical come out most severe first",
            vec![complex, critical],
            vec![
                (Critical, "critical issues present"),
                (Low, "high complexity"),
            ],
        ),
        (
            "low confidence and dissatisfied",
            vec![unsure, dissatisfied],
            vec![(High, "user dissatisfied"), (Medium, "low AI confidence")],
        ),
        (
            "every rule fires",
            vec![complex, unsure, goal_missed, dissatisfied, critical],
            vec![
                (Critical, "critical issues present"),
                (High, "user dissatisfied"),
                (High, "goal not achieved"),
                (Medium, "low AI confidence"),
                (Low, "high complexity"),
            ],
        ),
        (
            "near misses fire nothing",
            vec![|a: &mut SessionAssessment| {
                a.satisfaction_level = SatisfactionLevel::Neutral;
                a.goal_completion = GoalCompletion::PartiallyAchieved;
                a.ai_confidence = Level::Medium;
                a.complexity = Level::Medium;
                a.sentiment = Sentiment::Negative;
            }],
            vec![],
        ),
        (
            "unclear goal is not a missed goal",
            vec![|a: &mut SessionAssessment| a.goal_completion = GoalCompletion::Unclear],
            vec![],
        ),
        (
            "follow-up and escalation flags alone fire nothing",
            vec![|a: &mut SessionAssessment| {
                a.requires_follow_up = true;
                a.escalation_needed = true;
            }],
            vec![],
        ),
        (
            "low scores alone fire nothing (only the flags and levels count)",
            vec![|a: &mut SessionAssessment| {
                a.scores.ai_overall = score(5);
                a.scores.goal_achievement = score(0);
            }],
            vec![],
        ),
    ];
    for (name, tweaks, expected) in rows {
        let mut a = calm();
        for t in tweaks {
            t(&mut a);
        }
        let got: Vec<(Severity, &str)> = auto_feedback(&a)
            .into_iter()
            .map(|f| (f.severity, f.reason))
            .collect();
        assert_eq!(got, expected, "{name}");
        assert!(
            got.windows(2).all(|w| w[0].0 >= w[1].0),
            "{name}: findings must come most severe first"
        );
    }
}

fn valid_json() -> Value {
    let s = |n: u8, d: &str| json!({ "score": n, "description": d });
    json!({
        "scores": {
            "goalAchievement": s(40, "partly"),
            "userSatisfaction": s(30, "annoyed"),
            "aiAccuracy": s(70, "mostly right"),
            "aiHelpfulness": s(60, "ok"),
            "aiCommunication": s(80, "clear"),
            "aiEfficiency": s(50, "slow"),
            "aiOverall": s(62, "average"),
            "interactionQuality": s(55, "fine")
        },
        "sentiment": "negative",
        "goalCompletion": "not_achieved",
        "satisfactionLevel": "dissatisfied",
        "requiresFollowUp": true,
        "criticalIssuesPresent": false,
        "escalationNeeded": true,
        "complexity": "high",
        "aiConfidence": "medium",
        "summary": "The user could not export the report."
    })
}

fn assert_is_the_valid_assessment(a: &SessionAssessment) {
    assert_eq!(a.overall_score(), 62);
    assert_eq!(a.scores.goal_achievement.score, 40);
    assert_eq!(a.scores.user_satisfaction.description, "annoyed");
    assert_eq!(a.scores.interaction_quality.score, 55);
    assert_eq!(a.sentiment, Sentiment::Negative);
    assert_eq!(a.goal_completion, GoalCompletion::NotAchieved);
    assert_eq!(a.satisfaction_level, SatisfactionLevel::Dissatisfied);
    assert!(a.requires_follow_up);
    assert!(!a.critical_issues_present);
    assert!(a.escalation_needed);
    assert_eq!(a.complexity, Level::High);
    assert_eq!(a.ai_confidence, Level::Medium);
    assert_eq!(a.summary, "The user could not export the report.");
}

#[test]
fn parse_assessment_reads_plain_camel_case_json() {
    let a = parse_assessment(&valid_json().to_string()).unwrap();
    assert_is_the_valid_assessment(&a);
    // And the rules apply to what was read.
    let severities: Vec<Severity> = auto_feedback(&a).iter().map(|f| f.severity).collect();
    assert_eq!(
        severities,
        vec![Severity::High, Severity::High, Severity::Low]
    );
}

#[test]
fn parse_assessment_reads_pretty_printed_json() {
    let raw = serde_json::to_string_pretty(&valid_json()).unwrap();
    assert_is_the_valid_assessment(&parse_assessment(&raw).unwrap());
}

#[test]
fn parse_assessment_reads_fenced_json() {
    let raw = format!(
        "```json\n{}\n```",
        serde_json::to_string_pretty(&valid_json()).unwrap()
    );
    assert_is_the_valid_assessment(&parse_assessment(&raw).unwrap());
}

#[test]
fn parse_assessment_reads_json_surrounded_by_prose() {
    let raw = format!(
        "Here is my assessment:\n{}\nLet me know if you need more.",
        valid_json()
    );
    assert_is_the_valid_assessment(&parse_assessment(&raw).unwrap());
}

#[test]
fn parse_assessment_defaults_missing_summary_and_descriptions() {
    let mut v = valid_json();
    let obj = v.as_object_mut().unwrap();
    obj.remove("summary");
    obj["scores"]["aiOverall"] = json!({ "score": 10 });
    let a = parse_assessment(&v.to_string()).unwrap();
    assert_eq!(a.summary, "");
    assert_eq!(a.overall_score(), 10);
    assert_eq!(a.scores.ai_overall.description, "");
}

#[test]
fn assessment_round_trips_through_its_camel_case_form() {
    let a = calm();
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["goalCompletion"], json!("achieved"));
    assert_eq!(v["satisfactionLevel"], json!("satisfied"));
    assert_eq!(v["aiConfidence"], json!("high"));
    assert_eq!(v["scores"]["aiOverall"]["score"], json!(91));
    assert_eq!(parse_assessment(&v.to_string()).unwrap(), a);
}

#[test]
fn parse_assessment_rejects_garbage() {
    let mut snake = valid_json();
    let obj = snake.as_object_mut().unwrap();
    let goal = obj.remove("goalCompletion").unwrap();
    obj.insert("goal_completion".to_string(), goal);

    let mut bad_enum = valid_json();
    bad_enum["sentiment"] = json!("ecstatic");

    let mut bad_score = valid_json();
    bad_score["scores"]["aiOverall"]["score"] = json!(300);

    let mut missing_scores = valid_json();
    missing_scores.as_object_mut().unwrap().remove("scores");

    let inputs: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        (
            "prose only",
            "I cannot assess this conversation.".to_string(),
        ),
        ("braces reversed", "} nothing here {".to_string()),
        ("empty object", "{}".to_string()),
        ("truncated", valid_json().to_string()[..60].to_string()),
        (
            "not JSON inside braces",
            "{ sentiment: positive }".to_string(),
        ),
        ("snake_case key", snake.to_string()),
        ("unknown enum value", bad_enum.to_string()),
        ("score out of range for u8", bad_score.to_string()),
        ("scores missing", missing_scores.to_string()),
    ];
    for (name, raw) in inputs {
        let result = parse_assessment(&raw);
        assert!(result.is_err(), "{name}: parsed {result:?}");
        assert!(
            !result.unwrap_err().is_empty(),
            "{name}: error must say why"
        );
    }
}

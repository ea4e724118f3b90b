//! Self-correction scenarios (PIKA.md §8).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::access::AccessRules;
use pika_domain::features::VerifyResponseFeature;
use pika_domain::stream::{TurnEvent, VerificationStage};
use pika_domain::user::UserType;
use pika_domain::verification::{Grade, UNPARSEABLE_EXPLANATION};
use pika_ports::CompletionPurpose;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use support::*;

fn verifying_site(threshold: Option<Grade>) -> pika_domain::site::SiteConfig {
    let mut site = fixtures::site();
    site.features.verify_response = Some(VerifyResponseFeature {
        enabled: true,
        rules: AccessRules::for_types([UserType::ExternalUser, UserType::InternalUser]),
        auto_reprompt_threshold: threshold,
    });
    site
}

async fn platform(threshold: Option<Grade>) -> Platform {
    let p = Platform::with_site(verifying_site(threshold));
    p.seed_app(
        fixtures::chat_app(APP, AGENT),
        fixtures::agent(AGENT, &[]),
        vec![],
    )
    .await;
    p.fakes
        .completions
        .set_default(CompletionPurpose::Title, "A title");
    p
}

fn verifications(events: &[TurnEvent]) -> Vec<(VerificationStage, Grade)> {
    events
        .iter()
        .filter_map(|e| match e {
            TurnEvent::Verification { stage, grade, .. } => Some((*stage, *grade)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn grade_a_needs_no_correction() {
    let p = platform(Some(Grade::C)).await;
    p.fakes.runtime.push(Script::answer("2 + 2 = 4."));
    p.fakes.completions.push(
        CompletionPurpose::Verification,
        r#"{"classification":"A","explanation":"correct"}"#,
    );

    let (stream, events) = p.first_turn(&fixtures::customer("alice"), "2+2?").await;

    assert_eq!(
        verifications(&events),
        vec![(VerificationStage::Main, Grade::A)]
    );
    assert!(!names(&events).contains(&"correction_start"));
    assert_eq!(p.fakes.runtime.calls(), 1);
    let answer = p
        .fakes
        .messages
        .of_session(&stream.session_id)
        .pop()
        .unwrap();
    let v = answer.verifications.unwrap();
    assert_eq!(v.main.grade, Grade::A);
    assert_eq!(v.main.explanation, "correct");
    assert!(v.correction.is_none());
    assert_eq!(answer.content, "2 + 2 = 4.");
    assert_eq!(p.fakes.metrics.values("SelfCorrectionRate"), vec![0.0]);
}

#[tokio::test]
async fn grade_f_over_threshold_c_is_corrected_exactly_once() {
    let p = platform(Some(Grade::C)).await;
    p.fakes
        .runtime
        .push(Script::answer("The Eiffel Tower is in Rome."));
    p.fakes
        .runtime
        .push(Script::answer("Correction: it is in Paris."));
    p.fakes.completions.push(
        CompletionPurpose::Verification,
        r#"{"classification":"F","explanation":"The tower is in Paris"}"#,
    );
    // Even a failing grade of the correction never triggers a second one.
    p.fakes.completions.push(
        CompletionPurpose::Verification,
        r#"{"classification":"F","explanation":"still unsure"}"#,
    );

    let (stream, events) = p
        .first_turn(&fixtures::customer("alice"), "Where is the Eiffel Tower?")
        .await;

    assert_eq!(
        verifications(&events),
        vec![
            (VerificationStage::Main, Grade::F),
            (VerificationStage::Correction, Grade::F)
        ]
    );
    assert_eq!(
        names(&events)
            .iter()
            .filter(|n| **n == "correction_start")
            .count(),
        1
    );
    assert_eq!(
        p.fakes.runtime.calls(),
        2,
        "one main call and one correction, never more"
    );

    // The correction prompt names the problem and carries the explanation.
    let correction_request = p.fakes.runtime.last_request().unwrap();
    let ask = correction_request.messages.last().unwrap().joined_text();
    assert!(ask.contains("not factually correct"), "{ask}");
    assert!(ask.contains("The tower is in Paris"), "{ask}");
    assert_eq!(
        correction_request.messages.len(),
        3,
        "question, first answer, correction prompt"
    );

    // One assistant message holds both texts and both verifications.
    let stored = p.fakes.messages.of_session(&stream.session_id);
    assert_eq!(stored.len(), 2);
    let answer = &stored[1];
    assert!(answer.content.starts_with("The Eiffel Tower is in Rome."));
    assert!(answer.content.contains("### Corrections"));
    assert!(answer.content.ends_with("Correction: it is in Paris."));
    let v = answer.verifications.clone().unwrap();
    assert_eq!(v.main.grade, Grade::F);
    assert_eq!(v.correction.unwrap().grade, Grade::F);

    // Usage of all calls is summed: 2 agent calls (100+20 each), 2 verifier
    // calls and 1 title call (30+10 each).
    let usage = answer.usage.unwrap();
    assert_eq!(usage.input_tokens, 2 * 100 + 3 * 30);
    assert_eq!(usage.output_tokens, 2 * 20 + 3 * 10);
    assert_eq!(p.fakes.metrics.values("SelfCorrectionRate"), vec![1.0]);
}

#[tokio::test]
async fn grade_b_under_threshold_c_is_not_corrected() {
    let p = platform(Some(Grade::C)).await;
    p.fakes
        .runtime
        .push(Script::answer("About 5 km, assuming by road."));
    p.fakes.completions.push(
        CompletionPurpose::Verification,
        r#"{"classification":"B","explanation":"assumed road"}"#,
    );

    let (_, events) = p.first_turn(&fixtures::customer("alice"), "How far?").await;

    assert_eq!(
        verifications(&events),
        vec![(VerificationStage::Main, Grade::B)]
    );
    assert_eq!(p.fakes.runtime.calls(), 1);
}

#[tokio::test]
async fn verifier_garbage_grades_u_and_is_never_corrected() {
    let p = platform(Some(Grade::B)).await;
    p.fakes.runtime.push(Script::answer("Some answer."));
    p.fakes.completions.push(
        CompletionPurpose::Verification,
        "I think it is fine, mostly!",
    );

    let (stream, events) = p
        .first_turn(&fixtures::customer("alice"), "Question?")
        .await;

    assert_eq!(
        verifications(&events),
        vec![(VerificationStage::Main, Grade::U)]
    );
    assert_eq!(p.fakes.runtime.calls(), 1);
    let answer = p
        .fakes
        .messages
        .of_session(&stream.session_id)
        .pop()
        .unwrap();
    let v = answer.verifications.unwrap();
    assert_eq!(v.main.grade, Grade::U);
    assert_eq!(v.main.explanation, UNPARSEABLE_EXPLANATION);
}

#[tokio::test]
async fn users_outside_the_rules_get_no_verification() {
    let mut site = verifying_site(Some(Grade::C));
    site.features.verify_response.as_mut().unwrap().rules =
        AccessRules::for_types([UserType::InternalUser]);
    let p = Platform::with_site(site);
    p.seed_app(
        fixtures::chat_app(APP, AGENT),
        fixtures::agent(AGENT, &[]),
        vec![],
    )
    .await;
    p.fakes
        .completions
        .set_default(CompletionPurpose::Title, "t");
    p.fakes.runtime.push(Script::answer("Answer."));

    let (_, events) = p.first_turn(&fixtures::customer("alice"), "Q").await;

    assert!(verifications(&events).is_empty());
    assert!(p
        .fakes
        .completions
        .requests_for(CompletionPurpose::Verification)
        .is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_slow_verifier_does_not_keep_the_answer_past_the_time_limit() {
    let p = platform(Some(Grade::C)).await;
    p.fakes.runtime.push(Script::answer("2 + 2 = 4."));
    p.fakes.completions.faults().delay(
        pika_testkit::fakes::completions::COMPLETE_OP,
        std::time::Duration::from_secs(600),
    );
    let message = pika_service::SendMessage::new(
        pika_service::TurnTarget::NewSession(fixtures::chat_app_id(APP)),
        "2+2?",
    )
    .with_time_limit(std::time::Duration::from_secs(5));
    let started = tokio::time::Instant::now();

    let (stream, events) = p.send(&fixtures::customer("alice"), message).await;

    assert!(started.elapsed() <= std::time::Duration::from_secs(6));
    assert!(
        matches!(events.last(), Some(TurnEvent::Done { title: None, .. })),
        "{events:?}"
    );
    assert_eq!(
        verifications(&events),
        [(VerificationStage::Main, Grade::U)]
    );
    let stored = p.fakes.messages.of_session(&stream.session_id);
    assert_eq!(stored[1].content, "2 + 2 = 4.");
    assert_eq!(
        stored[1].verifications.as_ref().unwrap().main.grade,
        Grade::U
    );
}

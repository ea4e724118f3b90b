//! Semantic directives (`instructionAugmentation`): directives whose
//! phrases occur in the message are added to the instruction the model
//! gets, and a trace says which; other messages get the plain instruction.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use pika_domain::access::AccessRules;
use pika_domain::features::{SimpleFeature, TracesFeature};
use pika_domain::stream::TurnEvent;
use pika_domain::user::UserType;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::json;
use support::Platform;

async fn platform() -> Platform {
    let mut site = fixtures::site();
    site.features.traces = Some(TracesFeature {
        enabled: true,
        rules: AccessRules::for_types([UserType::ExternalUser, UserType::InternalUser]),
        detailed_traces: None,
    });
    site.features.instruction_augmentation = Some(SimpleFeature {
        enabled: true,
        settings: json!({ "directives": [
            { "id": "refunds", "text": "Cite the 30-day refund policy.", "phrases": ["refund"] },
            { "id": "outage", "text": "Link the status page.", "phrases": ["down"] },
        ]}),
    });
    Platform::standard_with_site(site).await
}

#[tokio::test]
async fn a_directive_joins_the_instruction_of_the_messages_it_concerns() {
    let p = platform().await;
    p.fakes.runtime.push(Script::answer("Sure."));
    let (_, events) = p
        .first_turn(&fixtures::customer("alice"), "Can I get a refund?")
        .await;
    let instruction = p.fakes.runtime.last_request().unwrap().instruction;
    assert!(instruction.starts_with(&fixtures::agent(support::AGENT, &[]).instruction));
    assert!(
        instruction.contains("Cite the 30-day refund policy."),
        "{instruction}"
    );
    assert!(!instruction.contains("status page"), "{instruction}");
    let trace = events
        .iter()
        .find_map(|e| match e {
            TurnEvent::Trace { kind, detail } if kind == "instruction_augmentation" => Some(detail),
            _ => None,
        })
        .expect("a trace names the directives applied");
    assert_eq!(trace["directives"], json!(["refunds"]));

    p.fakes.runtime.push(Script::answer("Hello."));
    let (_, events) = p
        .first_turn(&fixtures::customer("alice"), "Hello there")
        .await;
    let instruction = p.fakes.runtime.last_request().unwrap().instruction;
    assert!(
        !instruction.contains("Directives for this message"),
        "{instruction}"
    );
    assert!(!events
        .iter()
        .any(|e| matches!(e, TurnEvent::Trace { kind, .. } if kind == "instruction_augmentation")));
}

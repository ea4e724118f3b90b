//! Tags (`tags` feature): the site's tag definitions that apply to the chat
//! app are described to the model in its instruction, and an answer that
//! uses them reaches the stream and the store intact, whatever the chunks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use pika_domain::features::SimpleFeature;
use pika_domain::message::Role;
use pika_domain::tag::TagDefinition;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::{json, Value};
use support::{Platform, AGENT, APP};

fn definitions() -> Vec<TagDefinition> {
    serde_json::from_value(json!([
        { "tag": "chart", "description": "A bar chart.", "instructions": "Content: {\"values\": [numbers]}.",
          "component": { "element": "pika-chart", "module": "chart.js" } },
        { "tag": "map", "description": "A map of a place.", "usage": "chatApp" },
        { "tag": "receipt", "description": "A receipt from the billing tool.", "canBeGeneratedByLlm": false },
    ]))
    .unwrap()
}

/// A platform whose site defines the tags; the app's `tags` feature is `app_feature`.
async fn platform(site_on: bool, app_feature: Option<Value>) -> Platform {
    let mut site = fixtures::site();
    site.tags = definitions();
    site.features.tags = Some(SimpleFeature {
        enabled: site_on,
        settings: Value::Null,
    });
    let p = Platform::with_site(site);
    let mut app = fixtures::chat_app(APP, AGENT);
    app.features.tags = app_feature.map(|settings| SimpleFeature {
        enabled: true,
        settings,
    });
    p.seed_app(app, fixtures::agent(AGENT, &[]), vec![]).await;
    p
}

async fn instruction_of_a_turn(p: &Platform) -> String {
    p.fakes.runtime.push(Script::answer("Hi."));
    p.first_turn(&fixtures::customer("alice"), "Hello").await;
    p.fakes.runtime.last_request().unwrap().instruction
}

#[tokio::test]
async fn the_model_is_told_the_tags_it_may_write() {
    let p = platform(true, None).await;
    let instruction = instruction_of_a_turn(&p).await;
    assert!(instruction.starts_with(&fixtures::agent(AGENT, &[]).instruction));
    assert!(
        instruction.contains("<chart>…</chart>: A bar chart. Content: {\"values\": [numbers]}."),
        "{instruction}"
    );
    assert!(
        !instruction.contains("<map>"),
        "a chat-app tag the app does not list: {instruction}"
    );
    assert!(
        !instruction.contains("receipt"),
        "a tag only tools write: {instruction}"
    );
}

#[tokio::test]
async fn a_chat_app_adds_the_tags_it_lists() {
    let p = platform(true, Some(json!({ "tags": ["map"] }))).await;
    let instruction = instruction_of_a_turn(&p).await;
    assert!(
        instruction.contains("<map>…</map>: A map of a place."),
        "{instruction}"
    );
    assert!(instruction.contains("<chart>"), "{instruction}");
}

#[tokio::test]
async fn with_the_feature_off_the_instruction_is_the_agents() {
    let p = platform(false, None).await;
    let instruction = instruction_of_a_turn(&p).await;
    assert_eq!(instruction, fixtures::agent(AGENT, &[]).instruction);
}

#[tokio::test]
async fn an_answer_with_tags_is_streamed_and_stored_intact() {
    let p = platform(true, None).await;
    let answer = "Sales: <chart>{\"values\": [1, 2, 3]}</chart> and <unknown a=\"1\">x</unknown>.";
    // Cut mid-tag, so nothing on the way may rely on a tag arriving whole.
    let script = Script::new()
        .delta(&answer[..12])
        .delta(&answer[12..40])
        .delta(&answer[40..])
        .usage(100, 20)
        .complete(pika_ports::StopReason::EndTurn);
    p.fakes.runtime.push(script);
    let (stream, events) = p.first_turn(&fixtures::customer("alice"), "Sales?").await;
    assert_eq!(support::text_of(&events), answer);
    let stored = p
        .fakes
        .messages
        .of_session(&stream.session_id)
        .into_iter()
        .find(|m| m.role == Role::Assistant)
        .unwrap();
    assert_eq!(stored.content, answer);
}

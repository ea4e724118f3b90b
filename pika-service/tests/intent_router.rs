//! The intent router: with `intentRouter` on, a fast classification call
//! picks the agent for each message among the chat app's intents; the
//! chosen agent answers, is recorded on the answer, and the call's tokens
//! are booked under the router's model. Anything else — no fit, a failed
//! call, the feature off — leaves the chat app's own agent answering.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use pika_domain::cost::TokenUsage;
use pika_domain::features::SimpleFeature;
use pika_domain::ids::AgentId;
use pika_domain::intent::Intent;
use pika_domain::message::Role;
use pika_ports::{AgentStore, CompletionPurpose};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use support::{Platform, AGENT, APP};

const BILLING: &str = "billing-agent";
const BILLING_MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";

async fn platform(router_on: bool) -> Platform {
    let mut site = fixtures::site();
    site.router_model_id = Some("router-model".to_string());
    site.features.intent_router = Some(SimpleFeature {
        enabled: router_on,
        settings: serde_json::Value::Null,
    });
    let p = Platform::with_site(site);
    let mut billing = fixtures::agent(BILLING, &[]);
    billing.model_id = BILLING_MODEL.to_string();
    p.fakes.agents.create(&billing).await.unwrap();
    let mut app = fixtures::chat_app(APP, AGENT);
    app.intents = vec![Intent {
        agent_id: AgentId::parse(BILLING).unwrap(),
        description: "invoices, refunds and payments".to_string(),
        examples: vec!["Why was I charged twice?".to_string()],
    }];
    p.seed_app(app, fixtures::agent(AGENT, &[]), vec![]).await;
    p
}

/// The answer stored for the user's last question, and the model asked.
async fn answered_by(p: &Platform, question: &str) -> (Option<AgentId>, String) {
    p.fakes.runtime.push(Script::answer("Done."));
    let (stream, _) = p.first_turn(&fixtures::customer("alice"), question).await;
    let answer = p
        .fakes
        .messages
        .of_session(&stream.session_id)
        .into_iter()
        .find(|m| m.role == Role::Assistant)
        .unwrap();
    (
        answer.agent_id,
        p.fakes.runtime.last_request().unwrap().model_id,
    )
}

#[tokio::test]
async fn a_message_goes_to_the_agent_of_its_intent() {
    let p = platform(true).await;
    p.fakes.completions.set_usage(TokenUsage {
        input_tokens: 50,
        output_tokens: 2,
    });
    p.fakes
        .completions
        .push(CompletionPurpose::Routing, "billing-agent");
    let (agent, model) = answered_by(&p, "I was charged twice").await;
    assert_eq!(agent, Some(AgentId::parse(BILLING).unwrap()));
    assert_eq!(model, BILLING_MODEL, "the billing agent's model answered");
    let routing = p.fakes.completions.requests_for(CompletionPurpose::Routing);
    assert_eq!(routing.len(), 1);
    assert_eq!(routing[0].model_id, "router-model");
    assert!(routing[0].input.contains("invoices, refunds and payments"));
    assert!(routing[0].input.ends_with("I was charged twice"));
    // The routing call is booked under its model, not as a turn.
    let router_day = p
        .fakes
        .usage
        .all_daily()
        .into_iter()
        .find(|d| d.model_id == "router-model")
        .expect("the router's tokens are booked");
    assert_eq!(
        (router_day.usage.tokens().total(), router_day.turns),
        (52, 0)
    );
}

#[tokio::test]
async fn no_fit_or_a_failed_call_leaves_the_chat_apps_agent() {
    let p = platform(true).await;
    p.fakes.completions.push(CompletionPurpose::Routing, "none");
    let (agent, _) = answered_by(&p, "Tell me a joke").await;
    assert_eq!(agent, Some(AgentId::parse(AGENT).unwrap()));
    // Nothing scripted: the call fails; the turn goes on with the app's agent.
    let (agent, _) = answered_by(&p, "And another").await;
    assert_eq!(agent, Some(AgentId::parse(AGENT).unwrap()));
}

#[tokio::test]
async fn with_the_feature_off_no_routing_call_is_made() {
    let p = platform(false).await;
    let (agent, _) = answered_by(&p, "I was charged twice").await;
    assert_eq!(agent, Some(AgentId::parse(AGENT).unwrap()));
    assert!(p
        .fakes
        .completions
        .requests_for(CompletionPurpose::Routing)
        .is_empty());
}

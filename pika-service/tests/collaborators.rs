//! Collaborators (PIKA.md §5): an agent hands a question to another agent,
//! which answers with its own instruction and model; the caller words the
//! reply, delegation is bounded in depth, and every model is booked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::agent::Agent;
use pika_ports::{AgentStore, ContentBlock};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::json;
use support::*;

fn helper(id: &str, model: &str, collaborators: &[&str]) -> Agent {
    let mut a = fixtures::agent(id, &[]);
    a.model_id = model.to_string();
    a.instruction = format!("You are the {id} specialist. Answer questions about {id}.");
    a.collaborators = collaborators
        .iter()
        .map(|c| fixtures::agent_id(c))
        .collect();
    a
}

async fn platform(main_collaborators: &[&str], helpers: Vec<Agent>) -> Platform {
    let p = Platform::with_site(fixtures::site());
    for h in &helpers {
        p.fakes.agents.create(h).await.unwrap();
    }
    let mut agent = fixtures::agent(AGENT, &[]);
    agent.collaborators = main_collaborators
        .iter()
        .map(|c| fixtures::agent_id(c))
        .collect();
    p.seed_app(fixtures::chat_app(APP, AGENT), agent, vec![])
        .await;
    p
}

#[tokio::test]
async fn a_collaborator_answers_and_the_agent_words_the_reply() {
    let p = platform(&["billing"], vec![helper("billing", "billing-model", &[])]).await;
    p.fakes.runtime.push(Script::tool_call(
        "c1",
        "ask_billing",
        json!({ "question": "What is alice's last invoice?" }),
    ));
    p.fakes
        .runtime
        .push(Script::answer("The last invoice is 42 EUR.").usage(30, 6));
    p.fakes
        .runtime
        .push(Script::answer("Billing says: 42 EUR."));
    let alice = fixtures::customer("alice");

    let (_, events) = p.first_turn(&alice, "How much was my last invoice?").await;

    let requests = p.fakes.runtime.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests[0]
        .tools
        .iter()
        .any(|t| t.name.as_str() == "ask_billing" && t.description.contains("billing specialist")));
    // The collaborator answered with its own model and instruction, on the
    // question alone.
    assert_eq!(requests[1].model_id, "billing-model");
    assert!(requests[1].instruction.contains("billing specialist"));
    assert_eq!(requests[1].messages.len(), 1);
    assert_eq!(
        requests[1].messages[0].joined_text(),
        "What is alice's last invoice?"
    );
    assert_eq!(requests[1].session_attributes["agentId"], json!("billing"));
    // The caller read its answer as the tool's result.
    match &requests[2].messages.last().unwrap().content[0] {
        ContentBlock::ToolResult { ok, output, .. } => {
            assert!(ok);
            assert_eq!(output["answer"], json!("The last invoice is 42 EUR."));
        }
        other => panic!("{other:?}"),
    }
    // Only the caller's words reach the user.
    assert_eq!(text_of(&events), "Billing says: 42 EUR.");

    // The collaborator's tokens are booked under its model.
    let days = p.fakes.usage.all_daily();
    let billing: u64 = days
        .iter()
        .filter(|d| d.model_id == "billing-model")
        .map(|d| d.usage.tokens().total())
        .sum();
    assert!(billing >= 36, "{days:?}");
}

#[tokio::test]
async fn delegation_stops_at_the_depth_bound() {
    let p = platform(
        &["first"],
        vec![
            helper("first", "m1", &["second"]),
            helper("second", "m2", &["third"]),
            helper("third", "m3", &[]),
        ],
    )
    .await;
    p.fakes.runtime.push(Script::tool_call(
        "c1",
        "ask_first",
        json!({ "question": "q1" }),
    ));
    p.fakes.runtime.push(Script::tool_call(
        "c2",
        "ask_second",
        json!({ "question": "q2" }),
    ));
    p.fakes.runtime.push(Script::answer("second's answer"));
    p.fakes.runtime.push(Script::answer("first's answer"));
    p.fakes.runtime.push(Script::answer("the answer"));
    let alice = fixtures::customer("alice");

    let (_, events) = p.first_turn(&alice, "Deep question").await;

    let requests = p.fakes.runtime.requests();
    let models: Vec<&str> = requests.iter().map(|r| r.model_id.as_str()).collect();
    let main_model = fixtures::agent(AGENT, &[]).model_id;
    assert_eq!(
        models,
        vec![main_model.as_str(), "m1", "m2", "m1", main_model.as_str()]
    );
    assert!(
        requests[1]
            .tools
            .iter()
            .any(|t| t.name.as_str() == "ask_second"),
        "level 1 may delegate"
    );
    assert!(
        requests[2]
            .tools
            .iter()
            .all(|t| t.name.as_str() != "ask_third"),
        "level 2 may not: {:?}",
        requests[2].tools
    );
    assert_eq!(text_of(&events), "the answer");
}

#[tokio::test]
async fn an_agent_may_not_collaborate_with_itself() {
    let mut agent = fixtures::agent("solo", &[]);
    agent.collaborators = vec![fixtures::agent_id("solo")];
    assert!(agent.validate().is_err());
}

#[tokio::test]
async fn a_collaborator_in_use_is_deleted_only_with_force_and_then_left_out() {
    let p = platform(&["billing"], vec![helper("billing", "billing-model", &[])]).await;
    let admin = fixtures::site_admin("root");
    let billing = fixtures::agent_id("billing");

    let refused = p.admin().delete_agent(&admin, &billing, false).await;
    match refused {
        Err(pika_service::ServiceError::Conflict(message)) => {
            assert!(
                message.contains("collaborator of agents agent"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    p.admin()
        .delete_agent(&admin, &billing, true)
        .await
        .unwrap();

    p.fakes.runtime.push(Script::answer("On my own."));
    let (_, events) = p
        .first_turn(&fixtures::customer("alice"), "Anything?")
        .await;
    assert_eq!(text_of(&events), "On my own.");
    assert!(p.fakes.runtime.requests()[0].tools.is_empty());
}

#[tokio::test]
async fn a_turn_stopped_while_a_collaborator_answers_still_books_its_calls() {
    let p = platform(&["billing"], vec![helper("billing", "billing-model", &[])]).await;
    p.fakes.runtime.push(Script::tool_call(
        "c1",
        "ask_billing",
        json!({ "question": "A long look-up" }),
    ));
    p.fakes
        .runtime
        .push(Script::new().delta("Looking it up").hang());
    let alice = fixtures::customer("alice");
    let mut stream = p
        .chat
        .send(
            &alice,
            pika_service::SendMessage::new(
                pika_service::TurnTarget::NewSession(fixtures::chat_app_id(APP)),
                "Invoice?",
            ),
        )
        .await
        .unwrap();
    for _ in 0..200 {
        if p.fakes.runtime.calls() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(p.chat.stop(&alice, &stream.session_id).await.unwrap());
    let events = collect(&mut stream).await;

    match events.last().unwrap() {
        pika_domain::stream::TurnEvent::Done { stopped, .. } => assert_eq!(*stopped, Some(true)),
        other => panic!("{other:?}"),
    }
    let billing: u64 = p
        .fakes
        .usage
        .all_daily()
        .iter()
        .filter(|d| d.model_id == "billing-model")
        .map(|d| d.usage.tokens().total())
        .sum();
    assert!(billing > 0, "the collaborator's cut call is charged");
    // The collaborator's text never reached the user.
    assert!(!text_of(&events).contains("Looking it up"));
}

#[tokio::test]
async fn a_runtime_that_collaborates_itself_gets_the_collaborators_and_pika_runs_their_tools() {
    let mut billing = helper("billing", "billing-model", &[]);
    let invoices = fixtures::inline_tool("invoices", "lookup_invoice");
    billing.tool_ids = vec![invoices.tool_id.clone()];
    let p = platform(&["billing"], vec![billing]).await;
    use pika_ports::ToolStore;
    p.fakes.tools.create(&invoices).await.unwrap();
    p.fakes.runtime.collaborate_natively(true);
    p.fakes
        .tool_invoker
        .on("lookup_invoice", |_| Ok(json!({ "amount": "42 EUR" })));
    // The runtime's collaborator asks for its tool (a return of control),
    // then the supervisor answers.
    p.fakes.runtime.push(Script::tool_call(
        "inv#0@BILLING",
        "lookup_invoice",
        json!({ "query": "alice" }),
    ));
    p.fakes
        .runtime
        .push(Script::answer("Your last invoice is 42 EUR."));
    let alice = fixtures::customer("alice");

    let (_, events) = p.first_turn(&alice, "How much was my last invoice?").await;

    let requests = p.fakes.runtime.requests();
    let first = &requests[0];
    // No ask_ tool: the runtime consults the collaborator itself.
    assert!(first
        .tools
        .iter()
        .all(|t| !t.name.as_str().starts_with("ask_")));
    assert_eq!(first.collaborators.len(), 1);
    let c = &first.collaborators[0];
    assert_eq!(c.name, "billing");
    assert_eq!(c.model_id, "billing-model");
    assert!(c.instruction.contains("billing specialist"));
    assert!(c.when_to_ask.contains("billing specialist"));
    let offered: Vec<&str> = c.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(offered, ["lookup_invoice"]);
    // Pika ran the collaborator's tool, and the answer reached the user.
    let calls = p.fakes.tool_invoker.calls_of("lookup_invoice");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].tool.tool_id, invoices.tool_id);
    assert_eq!(text_of(&events), "Your last invoice is 42 EUR.");
    assert!(
        requests[1].collaborators.len() == 1,
        "defined on every call"
    );
}

//! Tools that ask for the user's consent (`requireConfirmation`): the turn
//! pauses with a `confirmation_required` event until the user answers,
//! here or through another process, or the wait times out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use futures::StreamExt;
use pika_domain::site::SiteConfig;
use pika_domain::stream::TurnEvent;
use pika_domain::tool::Tool;
use pika_domain::user::User;
use pika_ports::ContentBlock;
use pika_service::{ChatService, SendMessage, TurnStream, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::{json, Value};
use std::time::Duration;
use support::*;

fn transfer_tool() -> Tool {
    let mut tool = fixtures::inline_tool("bank", "transfer_money");
    tool.function_schema[0].require_confirmation = true;
    tool
}

async fn platform(site: SiteConfig) -> Platform {
    let p = Platform::with_site(site);
    p.seed_app(
        fixtures::chat_app(APP, AGENT),
        fixtures::agent(AGENT, &["bank"]),
        vec![transfer_tool()],
    )
    .await;
    p.fakes
        .tool_invoker
        .on("transfer_money", |_| Ok(json!({ "sent": true })));
    p.fakes.runtime.push(Script::tool_call(
        "t1",
        "transfer_money",
        json!({ "query": "100 EUR to Bob" }),
    ));
    p.fakes.runtime.push(Script::answer("Done."));
    p
}

async fn start(p: &Platform, alice: &User) -> TurnStream {
    p.chat
        .send(
            alice,
            SendMessage::new(
                TurnTarget::NewSession(fixtures::chat_app_id(APP)),
                "Pay Bob",
            ),
        )
        .await
        .unwrap()
}

/// The events up to and including the confirmation request.
async fn until_asked(stream: &mut TurnStream) -> Vec<TurnEvent> {
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(e) = stream.events.next().await {
            let asked = matches!(e.event, TurnEvent::ConfirmationRequired { .. });
            seen.push(e.event);
            if asked {
                return;
            }
        }
        panic!("the turn ended without asking: {seen:?}");
    })
    .await
    .expect("asked within 10 s");
    seen
}

/// What the model heard back about the call.
fn tool_result_seen_by_model(p: &Platform) -> (bool, Value) {
    let second = p.fakes.runtime.requests().pop().unwrap();
    match &second.messages.last().unwrap().content[0] {
        ContentBlock::ToolResult { ok, output, .. } => (*ok, output.clone()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_approved_call_runs_after_the_user_says_yes() {
    let p = platform(fixtures::site()).await;
    let alice = fixtures::customer("alice");
    let mut stream = start(&p, &alice).await;

    let before = until_asked(&mut stream).await;
    match before.last().unwrap() {
        TurnEvent::ConfirmationRequired {
            tool_use_id,
            tool_name,
            input,
        } => {
            assert_eq!(tool_use_id, "t1");
            assert_eq!(tool_name, "transfer_money");
            assert_eq!(input, &json!({ "query": "100 EUR to Bob" }));
        }
        other => panic!("{other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        p.fakes.tool_invoker.calls_of("transfer_money").is_empty(),
        "nothing runs before the user answers"
    );

    assert!(p
        .chat
        .confirm(&alice, &stream.session_id, "t1", true)
        .await
        .unwrap());
    let rest = collect(&mut stream).await;

    assert_eq!(p.fakes.tool_invoker.calls_of("transfer_money").len(), 1);
    assert!(rest
        .iter()
        .any(|e| matches!(e, TurnEvent::ToolResult { ok: true, .. })));
    assert_eq!(text_of(&rest), "Done.");
    assert!(tool_result_seen_by_model(&p).0);
    let answer = p
        .fakes
        .messages
        .of_session(&stream.session_id)
        .pop()
        .unwrap();
    let stored: Vec<&str> = answer
        .stream_events
        .iter()
        .map(|e| e.event.name())
        .collect();
    assert!(
        stored.contains(&"confirmation_required"),
        "the request is part of the stored answer's events: {stored:?}"
    );
}

#[tokio::test]
async fn a_declined_call_never_runs_and_the_model_hears_why() {
    let p = platform(fixtures::site()).await;
    let alice = fixtures::customer("alice");
    let mut stream = start(&p, &alice).await;
    until_asked(&mut stream).await;

    p.chat
        .confirm(&alice, &stream.session_id, "t1", false)
        .await
        .unwrap();
    // A change of mind comes too late: the first answer stands.
    p.chat
        .confirm(&alice, &stream.session_id, "t1", true)
        .await
        .unwrap();
    let rest = collect(&mut stream).await;

    assert!(p.fakes.tool_invoker.calls_of("transfer_money").is_empty());
    assert!(rest
        .iter()
        .any(|e| matches!(e, TurnEvent::ToolResult { ok: false, .. })));
    let (ok, output) = tool_result_seen_by_model(&p);
    assert!(!ok);
    assert_eq!(output["error"], json!("the user declined this call"));
    assert_eq!(names(&rest).last(), Some(&"done"));
}

#[tokio::test]
async fn nobody_answering_declines_after_the_timeout() {
    let mut site = fixtures::site();
    site.turn.confirmation_timeout_ms = 100;
    let p = platform(site).await;
    let alice = fixtures::customer("alice");
    let mut stream = start(&p, &alice).await;

    let events = collect(&mut stream).await;

    assert!(names(&events).contains(&"confirmation_required"));
    assert!(p.fakes.tool_invoker.calls_of("transfer_money").is_empty());
    let (ok, output) = tool_result_seen_by_model(&p);
    assert!(!ok);
    assert_eq!(
        output["error"],
        json!("the user did not confirm this call in time")
    );
}

#[tokio::test]
async fn an_answer_given_to_another_process_reaches_the_turn() {
    let p = platform(fixtures::site()).await;
    // Another container: the same stores, its own running turns (none).
    let elsewhere = ChatService::new(p.ports.clone(), p.settings.clone(), p.config.clone());
    let alice = fixtures::customer("alice");
    let mut stream = start(&p, &alice).await;
    until_asked(&mut stream).await;

    assert!(elsewhere
        .confirm(&alice, &stream.session_id, "t1", true)
        .await
        .unwrap());
    let rest = collect(&mut stream).await;

    assert_eq!(p.fakes.tool_invoker.calls_of("transfer_money").len(), 1);
    assert_eq!(text_of(&rest), "Done.");
}

#[tokio::test]
async fn only_the_owner_answers_and_only_while_a_turn_runs() {
    let p = platform(fixtures::site()).await;
    let alice = fixtures::customer("alice");
    let mut stream = start(&p, &alice).await;
    until_asked(&mut stream).await;
    let session = stream.session_id;

    let bob = fixtures::customer("bob");
    assert_eq!(
        code(p.chat.confirm(&bob, &session, "t1", true).await),
        "not_found"
    );
    assert_eq!(
        code(p.chat.confirm(&alice, &session, "", true).await),
        "invalid_request"
    );
    assert!(p.fakes.tool_invoker.calls_of("transfer_money").is_empty());

    p.chat.confirm(&alice, &session, "t1", true).await.unwrap();
    collect(&mut stream).await;
    assert!(
        !p.chat.confirm(&alice, &session, "t1", true).await.unwrap(),
        "the turn ended: nothing awaits an answer"
    );
}

#[tokio::test]
async fn a_stop_ends_the_wait() {
    let p = platform(fixtures::site()).await;
    let alice = fixtures::customer("alice");
    let mut stream = start(&p, &alice).await;
    until_asked(&mut stream).await;

    assert!(p.chat.stop(&alice, &stream.session_id).await.unwrap());
    let rest = collect(&mut stream).await;

    assert!(p.fakes.tool_invoker.calls_of("transfer_money").is_empty());
    match rest.last().unwrap() {
        TurnEvent::Done { stopped, .. } => assert_eq!(*stopped, Some(true)),
        other => panic!("{other:?}"),
    }
}

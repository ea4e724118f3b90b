//! Scenario tests of the chat turn (PIKA.md §7): given a site and a chat app,
//! when a user sends, then these events and this state.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::features::UserMemoryFeature;
use pika_domain::memory::{MemoryRecord, MemoryStrategy};
use pika_domain::message::Role;
use pika_domain::session::InsightStatus;
use pika_domain::stream::TurnEvent;
use pika_ports::{CompletionPurpose, PortError, StopReason};
use pika_service::{SendMessage, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::json;
use std::time::Duration;
use support::*;

#[tokio::test]
async fn a_normal_turn_streams_stores_and_counts() {
    let p = Platform::standard().await;
    p.fakes
        .runtime
        .push(Script::answer("Paris is the capital of France."));
    p.fakes
        .completions
        .push(CompletionPurpose::Title, "Capital of France");
    let alice = fixtures::customer("alice");

    let (stream, events) = p.first_turn(&alice, "What is the capital of France?").await;

    assert_eq!(names(&events).first(), Some(&"session"));
    assert_eq!(names(&events).last(), Some(&"done"));
    assert_eq!(text_of(&events), "Paris is the capital of France.");
    match events.last().unwrap() {
        TurnEvent::Done { title, stopped, .. } => {
            assert_eq!(title.as_deref(), Some("Capital of France"));
            assert_eq!(*stopped, None);
        }
        other => panic!("last event {other:?}"),
    }

    // Both messages stored, in order, with the answer's usage and cost.
    let stored = p.fakes.messages.of_session(&stream.session_id);
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].role, Role::User);
    assert_eq!(stored[0].content, "What is the capital of France?");
    assert_eq!(stored[1].role, Role::Assistant);
    assert_eq!(stored[1].content, "Paris is the capital of France.");
    let usage = stored[1].usage.unwrap();
    assert_eq!(usage.input_tokens, 100 + 30, "agent call plus title call");
    assert!(usage.total_cost > 0.0);

    // The session carries the owner, entity, totals, newest message and title.
    let session = p.fakes.sessions.find(&stream.session_id).unwrap();
    assert_eq!(session.user_id.as_str(), "alice");
    assert_eq!(session.entity_id.as_str(), "acme");
    assert_eq!(session.last_message_id, Some(stream.assistant_message_id));
    assert_eq!(session.usage.input_tokens, usage.input_tokens);
    assert_eq!(session.title.as_deref(), Some("Capital of France"));

    // Indexed for search, counted in the ledger, metrics emitted.
    let doc = p
        .fakes
        .search
        .document(&stream.assistant_message_id)
        .unwrap();
    assert!(doc.text.contains("capital of France"));
    assert_eq!(
        p.fakes
            .usage
            .total_tokens(pika_domain::quota::QuotaScope::User, "alice"),
        usage.input_tokens + usage.output_tokens
    );
    assert_eq!(
        p.fakes.metrics.values("TokenUsage"),
        vec![(usage.input_tokens + usage.output_tokens) as f64]
    );
    assert_eq!(p.fakes.metrics.values("ResponseLatency").len(), 1);
    assert_eq!(p.fakes.metrics.values("ToolInvocations"), vec![0.0]);

    // The model saw the agent's instruction and the question.
    let request = p.fakes.runtime.last_request().unwrap();
    assert_eq!(request.instruction, "You are a helpful assistant.");
    assert_eq!(request.messages.len(), 1);
    assert_eq!(request.session_attributes["userId"], json!("alice"));
    assert_eq!(request.session_attributes["accountId"], json!("acme"));
}

#[tokio::test]
async fn a_second_turn_sends_history_and_keeps_the_title() {
    let p = Platform::standard().await;
    let alice = fixtures::customer("alice");
    p.fakes.runtime.push(Script::answer("Hello!"));
    p.fakes.runtime.push(Script::answer("You said hi."));
    p.fakes
        .completions
        .push(CompletionPurpose::Title, "Greetings");

    let (first, _) = p.first_turn(&alice, "Hi").await;
    let (_, events) = p
        .send(
            &alice,
            SendMessage::new(TurnTarget::Session(first.session_id), "What did I say?"),
        )
        .await;

    match events.last().unwrap() {
        TurnEvent::Done { title, .. } => assert_eq!(*title, None, "no second title"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        p.fakes
            .completions
            .requests_for(CompletionPurpose::Title)
            .len(),
        1,
        "title asked once"
    );
    let request = p.fakes.runtime.last_request().unwrap();
    let roles: Vec<Role> = request.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, vec![Role::User, Role::Assistant, Role::User]);
    assert_eq!(request.messages[0].joined_text(), "Hi");
    assert_eq!(request.messages[1].joined_text(), "Hello!");
    let session = p.fakes.sessions.find(&first.session_id).unwrap();
    assert_eq!(session.title.as_deref(), Some("Greetings"));
    assert_eq!(p.fakes.messages.of_session(&first.session_id).len(), 4);
}

#[tokio::test]
async fn a_tool_calling_turn_runs_the_tool_and_answers_with_its_result() {
    let p = Platform::with_site(fixtures::site());
    p.seed_app(
        fixtures::chat_app(APP, AGENT),
        fixtures::agent(AGENT, &["weather"]),
        vec![fixtures::inline_tool("weather", "get_weather")],
    )
    .await;
    p.fakes.tool_invoker.on("get_weather", |input| {
        let city = input["query"].as_str().unwrap_or("?").to_string();
        Ok(json!({ "city": city, "tempC": 21 }))
    });
    p.fakes.runtime.push(Script::tool_call(
        "t1",
        "get_weather",
        json!({ "query": "Lyon" }),
    ));
    p.fakes.runtime.push(Script::answer("It is 21 °C in Lyon."));
    let alice = fixtures::customer("alice");

    let (stream, events) = p.first_turn(&alice, "Weather in Lyon?").await;

    let without_text: Vec<&str> = names(&events)
        .into_iter()
        .filter(|n| *n != "delta")
        .collect();
    assert_eq!(
        without_text,
        vec!["session", "tool_call", "tool_result", "usage", "done"]
    );
    let tool_results: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            TurnEvent::ToolResult {
                tool_use_id, ok, ..
            } => Some((tool_use_id.clone(), *ok)),
            _ => None,
        })
        .collect();
    assert_eq!(tool_results, vec![("t1".to_string(), true)]);
    assert_eq!(text_of(&events), "It is 21 °C in Lyon.");

    // The tool got the model's input and the session attributes.
    let calls = p.fakes.tool_invoker.calls_of("get_weather");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].input, json!({ "query": "Lyon" }));
    assert_eq!(
        calls[0].session_attributes["sessionId"],
        json!(stream.session_id.to_string())
    );
    // The files it may open: this session's uploads only.
    assert_eq!(
        calls[0].session_attributes["uploadPrefix"],
        json!(format!("uploads/alice/{}/", stream.session_id))
    );

    // The second model call saw the tool's result.
    let second = p.fakes.runtime.requests().pop().unwrap();
    let last = second.messages.last().unwrap();
    assert!(
        matches!(&last.content[0], pika_ports::ContentBlock::ToolResult { ok: true, output, .. } if output["tempC"] == 21)
    );

    let answer = p
        .fakes
        .messages
        .of_session(&stream.session_id)
        .pop()
        .unwrap();
    assert_eq!(answer.tool_calls.len(), 1);
    assert_eq!(answer.tool_calls[0].output["city"], json!("Lyon"));
    assert_eq!(p.fakes.metrics.values("ToolInvocations"), vec![1.0]);
}

#[tokio::test]
async fn a_tool_that_times_out_is_reported_to_the_model_not_fatal() {
    let mut site = fixtures::site();
    site.turn.tool_timeout_ms = 50;
    let p = Platform::with_site(site);
    p.seed_app(
        fixtures::chat_app(APP, AGENT),
        fixtures::agent(AGENT, &["slow"]),
        vec![fixtures::inline_tool("slow", "slow_lookup")],
    )
    .await;
    p.fakes
        .tool_invoker
        .on_slow("slow_lookup", Duration::from_secs(5), json!({}));
    p.fakes.runtime.push(Script::tool_call(
        "t1",
        "slow_lookup",
        json!({ "query": "x" }),
    ));
    p.fakes
        .runtime
        .push(Script::answer("The lookup timed out."));

    let (_, events) = p
        .first_turn(&fixtures::customer("alice"), "Look it up")
        .await;

    assert!(events
        .iter()
        .any(|e| matches!(e, TurnEvent::ToolResult { ok: false, .. })));
    assert_eq!(names(&events).last(), Some(&"done"));
    let second = p.fakes.runtime.requests().pop().unwrap();
    match &second.messages.last().unwrap().content[0] {
        pika_ports::ContentBlock::ToolResult { ok, output, .. } => {
            assert!(!ok);
            assert!(output["error"]
                .as_str()
                .unwrap()
                .contains("did not answer within 50 ms"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn tool_iterations_are_bounded() {
    let mut site = fixtures::site();
    site.turn.max_tool_iterations = 2;
    let p = Platform::with_site(site);
    p.seed_app(
        fixtures::chat_app(APP, AGENT),
        fixtures::agent(AGENT, &["loop"]),
        vec![fixtures::inline_tool("loop", "again")],
    )
    .await;
    p.fakes.tool_invoker.on("again", |_| Ok(json!("more")));
    for i in 0..5 {
        p.fakes.runtime.push(Script::tool_call(
            &format!("t{i}"),
            "again",
            json!({ "query": "x" }),
        ));
    }

    let (stream, events) = p
        .first_turn(&fixtures::customer("alice"), "Loop forever")
        .await;

    assert_eq!(
        p.fakes.runtime.calls(),
        3,
        "the first call plus two tool iterations"
    );
    assert!(
        matches!(events.last().unwrap(), TurnEvent::Error { code, .. } if code == "tool_iteration_limit")
    );
    let answer = p
        .fakes
        .messages
        .of_session(&stream.session_id)
        .pop()
        .unwrap();
    assert_eq!(answer.error.unwrap().code, "tool_iteration_limit");
}

#[tokio::test]
async fn a_cut_model_stream_keeps_the_user_message_and_records_the_error() {
    let p = Platform::standard().await;
    p.fakes
        .runtime
        .push(Script::new().delta("Half an ans").usage(40, 5).cut());
    let alice = fixtures::customer("alice");

    let (stream, events) = p.first_turn(&alice, "Tell me everything").await;

    // The caller is told plainly.
    match events.last().unwrap() {
        TurnEvent::Error { code, message } => {
            assert_eq!(code, "model_unavailable");
            assert!(
                !message.contains("stream ended"),
                "no internal detail leaks: {message}"
            );
        }
        other => panic!("{other:?}"),
    }
    // The user's message is stored; the partial answer with its error too.
    let stored = p.fakes.messages.of_session(&stream.session_id);
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].content, "Tell me everything");
    assert_eq!(stored[1].content, "Half an ans");
    assert_eq!(stored[1].error.as_ref().unwrap().code, "model_unavailable");
    // The session is consistent: it points at the stored answer, usage counted, no title.
    let session = p.fakes.sessions.find(&stream.session_id).unwrap();
    assert_eq!(session.last_message_id, Some(stream.assistant_message_id));
    assert_eq!(session.usage.input_tokens, 40);
    assert_eq!(session.title, None);
    assert!(
        p.fakes.search.documents().is_empty(),
        "a failed answer is not indexed"
    );
}

#[tokio::test]
async fn a_model_that_refuses_the_call_fails_the_turn_after_the_message_is_stored() {
    let p = Platform::standard().await;
    p.fakes
        .runtime
        .push(Script::new().fail_on_invoke(PortError::transient("throttled")));

    let (stream, events) = p.first_turn(&fixtures::customer("alice"), "Hello?").await;

    assert_eq!(names(&events), vec!["session", "usage", "error"]);
    let stored = p.fakes.messages.of_session(&stream.session_id);
    assert_eq!(stored[0].content, "Hello?");
    assert!(stored[1].error.is_some());
}

#[tokio::test]
async fn the_turn_completes_and_is_stored_when_the_client_goes_away() {
    let p = Platform::standard().await;
    p.fakes.runtime.push(
        Script::new()
            .delta("First part. ")
            .delay(Duration::from_millis(50))
            .delta("Second part.")
            .usage(10, 4)
            .complete(StopReason::EndTurn),
    );
    let alice = fixtures::customer("alice");
    let stream = p
        .chat
        .send(
            &alice,
            SendMessage::new(TurnTarget::NewSession(fixtures::chat_app_id(APP)), "Go"),
        )
        .await
        .unwrap();
    let session = stream.session_id;
    let answer_id = stream.assistant_message_id;
    drop(stream); // the client disconnects before any answer text

    assert!(
        p.chat.drain(Duration::from_secs(5)).await,
        "the turn ended by itself"
    );
    let stored = p.fakes.messages.of_session(&session);
    let answer = stored.iter().find(|m| m.message_id == answer_id).unwrap();
    assert_eq!(answer.content, "First part. Second part.");
    assert!(!answer.stopped);
    // Resuming from the store replays the whole answer.
    let events = futures::StreamExt::collect::<Vec<_>>(
        p.chat
            .events(&alice, &session, &answer_id, Some(0))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(events.first().unwrap().seq, 1);
    assert!(matches!(
        events.last().unwrap().event,
        TurnEvent::Done { .. }
    ));
}

#[tokio::test]
async fn an_explicit_stop_stores_the_partial_answer_marked_stopped() {
    let p = Platform::standard().await;
    p.fakes
        .runtime
        .push(Script::new().delta("Partial ").usage(12, 2).hang());
    let alice = fixtures::customer("alice");
    let mut stream = p
        .chat
        .send(
            &alice,
            SendMessage::new(
                TurnTarget::NewSession(fixtures::chat_app_id(APP)),
                "Long story",
            ),
        )
        .await
        .unwrap();
    // Wait for the first text, then stop.
    let mut seen = Vec::new();
    while let Some(e) = futures::StreamExt::next(&mut stream.events).await {
        let is_delta = matches!(e.event, TurnEvent::Delta { .. });
        seen.push(e.event);
        if is_delta {
            break;
        }
    }
    // Another user cannot stop it; the owner can.
    assert!(p
        .chat
        .stop(&fixtures::customer("mallory"), &stream.session_id)
        .await
        .is_err());
    assert!(p.chat.stop(&alice, &stream.session_id).await.unwrap());
    seen.extend(collect(&mut stream).await);

    match seen.last().unwrap() {
        TurnEvent::Done { stopped, .. } => assert_eq!(*stopped, Some(true)),
        other => panic!("{other:?}"),
    }
    let answer = p
        .fakes
        .messages
        .of_session(&stream.session_id)
        .pop()
        .unwrap();
    assert!(answer.stopped);
    assert_eq!(answer.content, "Partial ");
    assert_eq!(answer.usage.unwrap().input_tokens, 12);
    assert!(
        !p.chat.stop(&alice, &stream.session_id).await.unwrap(),
        "nothing runs any more"
    );
}

#[tokio::test]
async fn first_turn_memory_is_retrieved_and_every_turn_is_recorded() {
    let mut site = fixtures::site();
    site.features.user_memory = Some(UserMemoryFeature { enabled: true });
    let p = Platform::standard_with_site(site).await;
    p.fakes.memory.seed(MemoryRecord {
        record_id: "m1".into(),
        user_id: fixtures::user_id("alice"),
        strategy: MemoryStrategy::Preferences,
        content: "Prefers answers in metric units".into(),
        created_at: fixtures::t0(),
        source_session_id: None,
    });
    p.fakes.runtime.push(Script::answer("It is 20 km."));
    p.fakes.runtime.push(Script::answer("About 12 miles."));
    let alice = fixtures::customer("alice");

    let (first, _) = p.first_turn(&alice, "How far is it?").await;
    let first_request = p.fakes.runtime.last_request().unwrap();
    assert!(first_request
        .instruction
        .contains("Prefers answers in metric units"));

    p.send(
        &alice,
        SendMessage::new(TurnTarget::Session(first.session_id), "In miles?"),
    )
    .await;
    let second_request = p.fakes.runtime.last_request().unwrap();
    assert!(
        !second_request.instruction.contains("metric units"),
        "memory only on the first turn"
    );

    let exchanges = p.fakes.memory.exchanges();
    assert_eq!(exchanges.len(), 2, "each turn is recorded");
    assert_eq!(exchanges[1].assistant_text, "About 12 miles.");

    // Bob's memory is not Alice's.
    p.fakes.runtime.push(Script::answer("Hi Bob."));
    p.first_turn(&fixtures::customer("bob"), "Hello").await;
    assert!(!p
        .fakes
        .runtime
        .last_request()
        .unwrap()
        .instruction
        .contains("metric"));
}

#[tokio::test]
async fn sessions_are_marked_for_insights_when_the_feature_is_on() {
    let mut site = fixtures::site();
    site.features.session_insights = Some(pika_domain::features::SimpleFeature {
        enabled: true,
        settings: serde_json::Value::Null,
    });
    let p = Platform::standard_with_site(site).await;
    p.fakes.runtime.push(Script::answer("ok"));
    let (stream, _) = p.first_turn(&fixtures::customer("alice"), "hi").await;
    let session = p.fakes.sessions.find(&stream.session_id).unwrap();
    assert_eq!(session.insight_status, InsightStatus::Pending);
}

/// A turn stopped before its model reported any usage is charged an
/// estimate (prompt and what was said), not nothing: stopping every turn
/// just before its end is no way around the quota.
#[tokio::test]
async fn a_stop_before_the_model_reports_usage_is_charged_an_estimate() {
    let p = Platform::standard().await;
    let said = "word ".repeat(200);
    p.fakes
        .runtime
        .push(Script::new().delta(said.clone()).hang());
    let alice = fixtures::customer("alice");
    let mut stream = p
        .chat
        .send(
            &alice,
            SendMessage::new(
                TurnTarget::NewSession(fixtures::chat_app_id(APP)),
                "Tell me a very long story",
            ),
        )
        .await
        .unwrap();
    while let Some(e) = futures::StreamExt::next(&mut stream.events).await {
        if matches!(e.event, TurnEvent::Delta { .. }) {
            break;
        }
    }
    assert!(p.chat.stop(&alice, &stream.session_id).await.unwrap());
    collect(&mut stream).await;

    let answer = p
        .fakes
        .messages
        .of_session(&stream.session_id)
        .pop()
        .unwrap();
    assert!(answer.stopped);
    let usage = answer.usage.unwrap();
    assert_eq!(
        usage.output_tokens, 250,
        "1000 characters said, about 4 per token"
    );
    assert!(usage.input_tokens > 0, "the prompt is charged: {usage:?}");
    assert_eq!(
        p.fakes
            .usage
            .total_tokens(pika_domain::quota::QuotaScope::User, "alice"),
        usage.input_tokens + usage.output_tokens,
        "and counted against the quota"
    );
}

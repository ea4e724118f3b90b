//! A large answer on the fakes (see `large_answer_support`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod large_answer_support;

use pika_testkit::FakePorts;

#[tokio::test]
async fn a_large_answer_is_stored_and_replayed_whole_on_the_fakes() {
    let fakes = FakePorts::new();
    large_answer_support::a_large_answer_is_stored_and_replayed_whole(fakes.ports(), &fakes).await;
}

/// A tool output past the site's cap reaches the model and the store cut,
/// marked as cut, with its size.
#[tokio::test]
async fn a_tool_output_past_the_cap_is_cut_and_marked() {
    use futures::StreamExt;
    use pika_ports::{CompletionPurpose, ContentBlock};
    use pika_service::{SendMessage, TurnTarget};
    use pika_testkit::fakes::runtime::Script;
    use pika_testkit::fixtures;
    use serde_json::json;

    let fakes = FakePorts::new();
    let ports = fakes.ports();
    let mut site = fixtures::site();
    site.turn.max_tool_output_bytes = 4096;
    let chat = large_answer_support::reader_app(&ports, site).await;
    let full = json!({ "rows": "r".repeat(10_000) });
    let answer = full.clone();
    fakes.tool_invoker.on("fetch", move |_| Ok(answer.clone()));
    fakes
        .runtime
        .push(Script::tool_call("t1", "fetch", json!({})));
    fakes.runtime.push(Script::answer("Done."));
    fakes.completions.push(CompletionPurpose::Title, "Fetch");
    let mut turn = chat
        .send(
            &fixtures::customer("alice"),
            SendMessage::new(TurnTarget::NewSession(fixtures::chat_app_id("reads")), "Go"),
        )
        .await
        .unwrap();
    while turn.events.next().await.is_some() {}

    let stored = ports
        .messages
        .get(&turn.session_id, &turn.assistant_message_id)
        .await
        .unwrap()
        .unwrap();
    let output = &stored.tool_calls[0].output;
    assert_eq!(output["truncated"], json!(true));
    assert_eq!(output["originalBytes"], json!(full.to_string().len()));
    let head = output["head"].as_str().unwrap();
    assert!(head.len() <= 4096 && full.to_string().starts_with(head));
    let seen_by_model = fakes.runtime.last_request().unwrap();
    let result = seen_by_model
        .messages
        .iter()
        .flat_map(|m| m.content.iter())
        .find_map(|b| match b {
            ContentBlock::ToolResult { output, .. } => Some(output.clone()),
            _ => None,
        })
        .expect("the tool result went back to the model");
    assert_eq!(&result, output, "the model reads the same cut output");
}

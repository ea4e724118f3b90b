//! A long answer with large tool outputs: 2 MB of text streamed in 2 000
//! deltas after two tool calls whose outputs are 300 KB each, with `1e200`
//! in a tool's input. It is stored whole (not shortened), read back with
//! its tool calls exactly, and a retry of the same client message replays
//! exactly the events the first client saw.
//!
//! One scenario for every store: the fakes (pika-service), SQLite
//! (pika-local) and DynamoDB on moto (pika-aws-adapters) include this file.

#![allow(dead_code)]

use futures::StreamExt;
use pika_domain::ids::ClientMessageId;
use pika_domain::site::{SiteConfig, SiteRecord};
use pika_domain::stream::TurnEvent;
use pika_ports::{CompletionPurpose, Ports, StopReason};
use pika_service::{ChatService, ConfigCache, SendMessage, ServiceSettings, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::{fixtures, FakePorts};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// The deltas of the answer: 2 000 of about 1 KB.
pub fn deltas() -> Vec<String> {
    let piece = "All work and no play makes Jack a dull boy. Ünïcode ✓ ".repeat(20);
    (0..2_000).map(|i| format!("{i}: {piece}")).collect()
}

/// The `reads` chat app (agent `reader`, tool function `fetch`) and `site`
/// stored on `ports`, and a chat service over them.
pub async fn reader_app(ports: &Ports, site: SiteConfig) -> ChatService {
    ports
        .tools
        .create(&fixtures::inline_tool("fetcher", "fetch"))
        .await
        .unwrap();
    ports
        .agents
        .create(&fixtures::agent("reader", &["fetcher"]))
        .await
        .unwrap();
    ports
        .chat_apps
        .create(&fixtures::chat_app("reads", "reader"))
        .await
        .unwrap();
    ports
        .site
        .create(&SiteRecord::seed(site, fixtures::t0()))
        .await
        .unwrap();
    let settings = ServiceSettings::default();
    let config = Arc::new(ConfigCache::new(ports.clone(), settings.config_ttl));
    ChatService::new(ports.clone(), settings, config)
}

/// Runs the scenario on `ports` (the model and the tool are `fakes`').
pub async fn a_large_answer_is_stored_and_replayed_whole(ports: Ports, fakes: &FakePorts) {
    let chat = reader_app(&ports, fixtures::site()).await;

    let input = json!({ "query": "everything", "huge": 1e200 });
    let rows = "r".repeat(300 * 1024);
    fakes
        .tool_invoker
        .on("fetch", move |_| Ok(json!({ "rows": rows.clone() })));
    fakes
        .runtime
        .push(Script::tool_call("t1", "fetch", input.clone()));
    fakes
        .runtime
        .push(Script::tool_call("t2", "fetch", input.clone()));
    let answer = deltas()
        .into_iter()
        .fold(Script::new(), Script::delta)
        .usage(900, 600_000)
        .complete(StopReason::EndTurn);
    fakes.runtime.push(answer);
    fakes
        .completions
        .push(CompletionPurpose::Title, "Everything");

    let user = fixtures::customer("alice");
    let send = || {
        SendMessage::new(
            TurnTarget::NewSession(fixtures::chat_app_id("reads")),
            "Fetch everything and write it all down",
        )
        .with_client_id(ClientMessageId::parse("client-large").unwrap())
    };
    let run = |message: SendMessage| {
        let chat = chat.clone();
        let user = user.clone();
        async move {
            let mut turn = chat.send(&user, message).await.expect("turn accepted");
            let mut events = Vec::new();
            tokio::time::timeout(Duration::from_secs(60), async {
                while let Some(e) = turn.events.next().await {
                    events.push(e.event);
                }
            })
            .await
            .expect("the turn ends");
            (turn, events)
        }
    };

    let (first, seen) = run(send()).await;
    assert!(
        matches!(seen.last(), Some(TurnEvent::Done { .. })),
        "stored whole, not shortened: {:?}",
        seen.last()
    );
    let stored = ports
        .messages
        .get(&first.session_id, &first.assistant_message_id)
        .await
        .unwrap()
        .expect("the answer is stored");
    assert!(stored.error.is_none(), "{:?}", stored.error);
    assert_eq!(stored.content, deltas().concat(), "the whole text");
    assert_eq!(stored.tool_calls.len(), 2);
    for call in &stored.tool_calls {
        assert_eq!(call.input, input, "1e200 and all");
        assert_eq!(call.output["rows"].as_str().map(str::len), Some(300 * 1024));
    }
    let events: Vec<TurnEvent> = stored
        .stream_events
        .iter()
        .map(|e| e.event.clone())
        .collect();
    assert!(events == seen, "the stored events are the ones streamed");

    let (again, replayed) = run(send()).await;
    assert!(again.replayed, "the retry is a replay");
    assert!(
        replayed == seen,
        "the replay is exactly what the first client saw"
    );
    assert_eq!(fakes.runtime.calls(), 3, "no model call for the replay");
}

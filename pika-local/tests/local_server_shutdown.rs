#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The real local server (`server::build` + `serve_on`) on a loopback port,
//! with the embedded adapters on a temporary data directory and a fake
//! OpenAI-compatible model server, driven over HTTP the way a newcomer with
//! curl would: graceful shutdown and restart.

mod local_server_support;
mod local_support;

use local_server_support::*;
use local_support::*;
use pika_domain::ids::SessionId;
use pika_local_adapters::sqlite::{SqliteDb, SqliteStores};
use pika_ports::{MessageStore, PageRequest, SessionStore};
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_a_running_turn_and_stores_its_partial_answer() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let model = FakeModel::start(Duration::from_millis(1)).await;
        let mut server = LocalServer::start(config(dir.path(), Some(&model.base_url))).await;
        let http = client();
        let token = sign_in(&http, &server, "grace").await;

        let question = format!("Tell me a very long story {STALL}");
        let response = http
            .post(server.url("/chat/demo/messages"))
            .bearer_auth(&token)
            .json(&json!({ "message": question }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let session = response
            .headers()
            .get("x-chatbot-session-id")
            .and_then(|v| v.to_str().ok())
            .unwrap()
            .to_string();

        // Read the stream on its own task, handing over what arrives.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let reader = tokio::spawn(async move {
            use futures::StreamExt;
            let mut body = response.bytes_stream();
            while let Some(chunk) = body.next().await {
                let Ok(chunk) = chunk else { break };
                let _ = tx.send(String::from_utf8_lossy(&chunk).into_owned());
            }
        });

        // Wait (bounded) for the first delta: the model now stalls.
        let mut seen = String::new();
        tokio::time::timeout(Duration::from_secs(15), async {
            while !seen.contains("event: delta") {
                seen.push_str(&rx.recv().await.expect("the stream ended before a delta"));
            }
        })
        .await
        .expect("no delta within 15 s");
        assert_eq!(model.stalled_open(), 1);

        // Shut down while the turn runs and the client still listens.
        server.trigger_shutdown();
        server.stop().await;

        // The client got the end of the turn: done, marked stopped.
        tokio::time::timeout(Duration::from_secs(10), reader)
            .await
            .expect("the client stream did not end after shutdown")
            .unwrap();
        while let Ok(more) = rx.try_recv() {
            seen.push_str(&more);
        }
        let events = events(&seen);
        assert_eq!(events.first().map(|e| e.name.as_str()), Some("session"));
        let done = events.last().unwrap();
        assert_eq!(done.name, "done", "events: {:?}", names(&events));
        assert_eq!(done.data["stopped"], true);
        assert_eq!(streamed_text(&events), STALL_DELTA);

        // The model server's stalled answer was let go.
        tokio::time::timeout(Duration::from_secs(5), async {
            while model.stalled_open() > 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the stalled model request was never closed");

        // Both messages are in the database.
        let db = SqliteDb::open(dir.path().join("pika.db")).unwrap();
        let stores = SqliteStores::new(db);
        let id = SessionId::parse(&session).unwrap();
        let stored = stores
            .sessions
            .get(&id)
            .await
            .unwrap()
            .expect("the session");
        assert_eq!(stored.user_id.to_string(), "grace");
        let messages = stores
            .messages
            .list(&id, PageRequest::first(10))
            .await
            .unwrap();
        assert_eq!(messages.items.len(), 2, "{:?}", messages.items);
        let (user, answer) = (&messages.items[0], &messages.items[1]);
        assert_eq!(user.role, pika_domain::message::Role::User);
        assert_eq!(user.content, question);
        assert_eq!(answer.role, pika_domain::message::Role::Assistant);
        assert_eq!(answer.content, STALL_DELTA);
        assert!(answer.stopped, "the partial answer is marked stopped");
        assert!(answer.error.is_none(), "{:?}", answer.error);
        assert_eq!(
            Some(answer.message_id.to_string().as_str()),
            done.data["assistantMessageId"].as_str()
        );
        assert_eq!(stored.last_message_id, Some(answer.message_id));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_arriving_during_shutdown_is_refused_and_nothing_is_stored() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let model = FakeModel::start(Duration::from_millis(1)).await;
        let mut server = LocalServer::start(config(dir.path(), Some(&model.base_url))).await;
        let http = client();
        let token = sign_in(&http, &server, "kate").await;

        // The body arrives in two parts; shutdown begins between them, so
        // the turn starts after the running turns were told to stop.
        let (part_tx, part_rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
        let body = futures::stream::unfold(part_rx, |mut rx| async move {
            rx.recv().await.map(|part| (part, rx))
        });
        let request = http
            .post(server.url("/chat/demo/messages"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(body));
        let client_side = tokio::spawn(exchange(request));
        let question = format!("Late arrival {STALL}");
        let (head, tail) = {
            let whole = json!({ "message": question }).to_string();
            let (a, b) = whole.split_at(whole.len() / 2);
            (a.as_bytes().to_vec(), b.as_bytes().to_vec())
        };
        part_tx.send(Ok(head)).await.unwrap();
        // Let the server take the connection and start reading the request.
        tokio::time::sleep(Duration::from_millis(300)).await;
        server.trigger_shutdown();
        tokio::time::sleep(Duration::from_millis(100)).await;
        part_tx.send(Ok(tail)).await.unwrap();
        drop(part_tx);

        // The server still returns promptly …
        server.stop().await;

        // … and the request that arrived during shutdown was refused before
        // anything was stored: a clear 503 the client may retry elsewhere,
        // never a turn that nothing would stop.
        let reply = tokio::time::timeout(Duration::from_secs(10), client_side)
            .await
            .expect("the client got an answer")
            .unwrap();
        assert_eq!(reply.status, 503, "{}", reply.body);
        let problem: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(problem["code"], "model_unavailable");

        let db = SqliteDb::open(dir.path().join("pika.db")).unwrap();
        let stores = SqliteStores::new(db);
        let sessions = stores
            .sessions
            .list_by_user(
                &pika_domain::ids::UserId::parse("kate").unwrap(),
                None,
                PageRequest::first(10),
            )
            .await
            .unwrap();
        assert!(
            sessions.items.is_empty(),
            "nothing stored: {:?}",
            sessions.items
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_finds_earlier_sessions_and_searches_them() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let model = FakeModel::start(Duration::from_millis(1)).await;
        let http = client();

        let first = LocalServer::start(config(dir.path(), Some(&model.base_url))).await;
        let token = sign_in(&http, &first, "heidi").await;
        let question = "Tell me about marsupials";
        let reply = chat_new(&http, &first, &token, &json!({ "message": question })).await;
        let events = finished_turn(&reply);
        let session = events[0].data["sessionId"].as_str().unwrap().to_string();
        let done = events.last().unwrap().data.clone();
        first.stop().await;

        // Same data directory, new process state; the old token still works
        // (the generated JWT secret was kept).
        let second = LocalServer::start(config(dir.path(), Some(&model.base_url))).await;
        let sessions = get(&http, &second, &token, "/sessions").await;
        assert_eq!(sessions.status, 200, "{}", sessions.body);
        let sessions = sessions.json();
        let items = sessions["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{sessions}");
        assert_eq!(items[0]["sessionId"], json!(session));
        assert_eq!(items[0]["title"], TITLE);

        let messages = get(
            &http,
            &second,
            &token,
            &format!("/sessions/{session}/messages"),
        )
        .await;
        let messages = messages.json();
        let items = messages["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{messages}");
        assert_eq!(items[0]["content"], question);
        assert_eq!(items[0]["messageId"], done["userMessageId"]);
        assert_eq!(items[1]["content"], json!(answer_for(question)));
        assert_eq!(items[1]["messageId"], done["assistantMessageId"]);

        // The answer's stream can still be replayed, whole or after an event.
        let assistant = done["assistantMessageId"].as_str().unwrap();
        let events_path = format!("/sessions/{session}/messages/{assistant}/events");
        let replay = get(&http, &second, &token, &events_path).await;
        assert_eq!(replay.status, 200, "{}", replay.body);
        let replayed = replay.events();
        assert_eq!(names(&replayed), names(&events));
        for (again, original) in replayed.iter().zip(&events) {
            assert_eq!(again.data, original.data, "{}", again.name);
        }
        let resumed = exchange(
            http.get(second.url(&events_path))
                .bearer_auth(&token)
                .header("last-event-id", format!("{assistant}:1")),
        )
        .await;
        assert_eq!(resumed.status, 200, "{}", resumed.body);
        assert_eq!(names(&resumed.events()), names(&events[2..]));

        // The search index came back too: a word of the answer finds the session.
        let found = get(&http, &second, &token, "/search?q=quokka").await;
        assert_eq!(found.status, 200, "{}", found.body);
        let found = found.json();
        let hits = found["items"].as_array().unwrap();
        assert_eq!(hits.len(), 1, "{found}");
        assert_eq!(hits[0]["document"]["sessionId"], json!(session));
        assert_eq!(hits[0]["document"]["messageId"], done["assistantMessageId"]);
        // … and only the owner's: someone else finds nothing.
        let other = sign_in(&http, &second, "ivan").await;
        let none = get(&http, &second, &other, "/search?q=quokka").await;
        assert_eq!(none.status, 200);
        assert_eq!(none.json()["items"], json!([]));

        // The restarted server still answers.
        let reply = post(
            &http,
            &second,
            &token,
            &format!("/sessions/{session}/messages"),
            &json!({ "message": "And kangaroos?" }),
        )
        .await;
        let events = finished_turn(&reply);
        assert_eq!(streamed_text(&events), answer_for("And kangaroos?"));

        second.stop().await;
    })
    .await;
}

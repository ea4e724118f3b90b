#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The real local server (`server::build` + `serve_on`) on a loopback port,
//! with the embedded adapters on a temporary data directory and a fake
//! OpenAI-compatible model server, driven over HTTP the way a newcomer with
//! curl would: tokens, chat apps, streamed turns, tools, files, the missing
//! model, rate limits, CORS, graceful shutdown and restart.
#![cfg(feature = "local")]

mod local_support;

use local_support::*;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::SessionId;
use pika_local_adapters::files::LocalFileStore;
use pika_local_adapters::sqlite::{SqliteDb, SqliteStores};
use pika_ports::{FileStore, MessageStore, PageRequest, SessionStore};
use serde_json::json;
use std::future::Future;
use std::time::Duration;

/// Every test ends by itself: a hang fails it instead of blocking the run.
async fn bounded<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), test)
        .await
        .expect("the test did not finish within 60 s")
}

fn names(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.name.as_str()).collect()
}

fn only<'a>(events: &'a [Event], name: &str) -> &'a Event {
    let found: Vec<&Event> = events.iter().filter(|e| e.name == name).collect();
    assert_eq!(found.len(), 1, "one {name} event in {:?}", names(events));
    found[0]
}

/// Checks that a reply is a finished turn and returns its events.
fn finished_turn(reply: &Reply) -> Vec<Event> {
    assert_eq!(reply.status, 200, "turn refused: {}", reply.body);
    assert!(
        reply.content_type.starts_with("text/event-stream"),
        "content type {}",
        reply.content_type
    );
    let events = reply.events();
    assert_eq!(events.first().map(|e| e.name.as_str()), Some("session"));
    assert_eq!(
        events.last().map(|e| e.name.as_str()),
        Some("done"),
        "events: {:?}",
        names(&events)
    );
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_gets_a_token_chats_and_the_demo_tool_really_runs() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let model = FakeModel::start(Duration::from_millis(1)).await;
        let server = LocalServer::start(config(dir.path(), Some(&model.base_url))).await;
        let http = client();

        let health = exchange(http.get(server.url("/health"))).await;
        assert_eq!(health.status, 200);
        assert_eq!(health.json()["status"], "ok");

        // Without a token the API refuses, with a problem document.
        let anonymous = exchange(http.get(server.url("/sessions"))).await;
        assert_eq!(anonymous.status, 401);
        assert_eq!(anonymous.json()["code"], "unauthenticated");

        let token = sign_in(&http, &server, "alice").await;

        let apps = get(&http, &server, &token, "/chatapps").await;
        assert_eq!(apps.status, 200);
        let apps = apps.json();
        let ids: Vec<&str> = apps["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["chatAppId"].as_str())
            .collect();
        assert!(ids.contains(&"demo"), "chat apps: {apps}");

        // The first message streams SSE frames ending in `done`.
        let question = "Hello from curl";
        let reply = chat_new(&http, &server, &token, &json!({ "message": question })).await;
        let events = finished_turn(&reply);
        let session = events[0].data["sessionId"].as_str().unwrap().to_string();
        assert_eq!(reply.session_header.as_deref(), Some(session.as_str()));
        assert_eq!(streamed_text(&events), answer_for(question));
        let done = &events.last().unwrap().data;
        assert_eq!(done["title"], TITLE);
        assert!(done.get("stopped").is_none());
        let usage = only(&events, "usage");
        assert_eq!(
            usage.data["inputTokens"],
            json!(STREAM_PROMPT_TOKENS + TITLE_PROMPT_TOKENS)
        );
        assert_eq!(
            usage.data["outputTokens"],
            json!(STREAM_COMPLETION_TOKENS + TITLE_COMPLETION_TOKENS)
        );

        // The session is listed with its generated title.
        let sessions = get(&http, &server, &token, "/sessions").await;
        assert_eq!(sessions.status, 200);
        let sessions = sessions.json();
        let items = sessions["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "sessions: {sessions}");
        assert_eq!(items[0]["sessionId"], json!(session));
        assert_eq!(items[0]["chatAppId"], "demo");
        assert_eq!(items[0]["title"], TITLE);

        // Both messages are stored, with the ids the stream announced.
        let messages = get(
            &http,
            &server,
            &token,
            &format!("/sessions/{session}/messages"),
        )
        .await;
        assert_eq!(messages.status, 200);
        let messages = messages.json();
        let items = messages["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "messages: {messages}");
        assert_eq!(items[0]["role"], "user");
        assert_eq!(items[0]["content"], question);
        assert_eq!(items[0]["messageId"], done["userMessageId"]);
        assert_eq!(items[1]["role"], "assistant");
        assert_eq!(items[1]["content"], json!(answer_for(question)));
        assert_eq!(items[1]["messageId"], done["assistantMessageId"]);
        assert!(items[1].get("streamEvents").is_none(), "{}", items[1]);

        // The demo tool runs for real when the model asks for it.
        let asked_at = Utc::now();
        let reply = post(
            &http,
            &server,
            &token,
            &format!("/sessions/{session}/messages"),
            &json!({ "message": ASK_TIME }),
        )
        .await;
        let events = finished_turn(&reply);
        let call = only(&events, "tool_call");
        assert_eq!(call.data["toolName"], "current_time");
        assert_eq!(call.data["toolUseId"], "call_tokyo_1");
        assert_eq!(call.data["input"], json!({ "timeZone": "Asia/Tokyo" }));
        let result = only(&events, "tool_result");
        assert_eq!(result.data["toolUseId"], "call_tokyo_1");
        assert_eq!(result.data["ok"], true, "tool result: {}", result.data);
        let output = &result.data["output"];
        assert_eq!(output["timeZone"], "Asia/Tokyo");
        assert_eq!(output["utcOffset"], "+09:00");
        let iso = output["iso"].as_str().unwrap();
        let told = DateTime::parse_from_rfc3339(iso).unwrap();
        assert_eq!(told.offset().local_minus_utc(), 9 * 3600);
        let skew = (told.with_timezone(&Utc) - asked_at).num_seconds().abs();
        assert!(skew < 120, "the tool told {iso}, asked at {asked_at}");
        let time = output["time"].as_str().unwrap();
        assert_eq!(time.len(), 8, "HH:MM:SS, got {time}");
        assert_eq!(
            streamed_text(&events),
            format!("It is {time} in Asia/Tokyo right now.")
        );
        // The call comes before its result, and both before `done`.
        let position = |name: &str| events.iter().position(|e| e.name == name).unwrap();
        assert!(position("tool_call") < position("tool_result"));
        assert!(position("tool_result") < position("done"));
        // No new title after the first turn.
        assert!(events.last().unwrap().data.get("title").is_none());

        // The model got the tool's real output back in a `tool` message.
        let streamed = model.streamed_requests();
        let second_call = streamed.last().unwrap();
        let tool_message = second_call["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["role"] == "tool")
            .expect("a tool message in the follow-up call");
        assert_eq!(tool_message["tool_call_id"], "call_tokyo_1");
        assert!(tool_message["content"].as_str().unwrap().contains(iso));
        assert!(second_call["tools"]
            .as_array()
            .is_some_and(|t| !t.is_empty()));

        let messages = get(
            &http,
            &server,
            &token,
            &format!("/sessions/{session}/messages"),
        )
        .await;
        let messages = messages.json();
        let items = messages["items"].as_array().unwrap();
        assert_eq!(items.len(), 4, "messages: {messages}");
        let answer = &items[3];
        assert_eq!(answer["role"], "assistant");
        assert_eq!(answer["toolCalls"][0]["toolName"], "current_time");
        assert_eq!(answer["toolCalls"][0]["ok"], true);
        assert_eq!(answer["toolCalls"][0]["output"]["iso"], iso);

        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_file_goes_through_its_signed_url_and_reaches_the_model() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let model = FakeModel::start(Duration::from_millis(1)).await;
        let server = LocalServer::start(config(dir.path(), Some(&model.base_url))).await;
        let http = client();
        let token = sign_in(&http, &server, "carol").await;

        let created = post(&http, &server, &token, "/sessions", &json!({ "chatAppId": "demo" })).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let session = created.json()["sessionId"].as_str().unwrap().to_string();

        let bytes = b"Meeting notes: the quokka count is 42.\n".to_vec();
        let ticket = post(
            &http,
            &server,
            &token,
            &format!("/sessions/{session}/files"),
            &json!({ "name": "notes.txt", "contentType": "text/plain", "size": bytes.len() }),
        )
        .await;
        assert_eq!(ticket.status, 201, "{}", ticket.body);
        let ticket = ticket.json();
        let file_ref = ticket["fileRef"].as_str().unwrap().to_string();
        let key = ticket["key"].as_str().unwrap().to_string();
        assert!(file_ref.ends_with("/notes.txt"), "fileRef {file_ref}");
        let upload = &ticket["upload"];
        assert_eq!(upload["method"], "PUT");
        let url = upload["url"].as_str().unwrap().to_string();
        assert!(url.starts_with(&server.base), "upload URL {url} is not on {}", server.base);
        let headers: Vec<(String, String)> =
            serde_json::from_value(upload["headers"].clone()).unwrap();
        let content_type = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
            .map(|(_, value)| value.clone())
            .expect("the signed content type is among the headers to send");
        assert_eq!(content_type, "text/plain");

        let put = |url: String, content_type: &str, body: Vec<u8>| {
            exchange(
                http.put(url)
                    .header("content-type", content_type)
                    .body(body),
            )
        };
        let mut tampered = reqwest::Url::parse(&url).unwrap();
        let pairs: Vec<(String, String)> = tampered
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "sig" {
                    let mut sig: Vec<char> = v.chars().collect();
                    sig[0] = if sig[0] == 'A' { 'B' } else { 'A' };
                    sig.into_iter().collect()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        assert!(pairs.iter().any(|(k, _)| k == "sig"), "a sig in {url}");
        tampered.query_pairs_mut().clear().extend_pairs(&pairs);

        // Refused before the upload: another length, another type, a tampered signature.
        let mut longer = bytes.clone();
        longer.extend_from_slice(b"and more");
        for (what, reply) in [
            ("other length", put(url.clone(), &content_type, longer.clone()).await),
            ("other type", put(url.clone(), "text/html", bytes.clone()).await),
            ("tampered sig", put(tampered.to_string(), &content_type, bytes.clone()).await),
        ] {
            assert_eq!(reply.status, 403, "{what}: {}", reply.body);
            assert_eq!(reply.json()["code"], "forbidden", "{what}");
        }

        // The real upload.
        let uploaded = put(url.clone(), &content_type, bytes.clone()).await;
        assert_eq!(uploaded.status, 200, "{}", uploaded.body);

        // The same URL with other bytes of another length, or a tampered signature: refused.
        for (what, reply) in [
            ("other bytes", put(url.clone(), &content_type, b"short".to_vec()).await),
            ("other length", put(url.clone(), &content_type, longer.clone()).await),
            ("tampered sig", put(tampered.to_string(), &content_type, b"x".repeat(bytes.len())).await),
        ] {
            assert_eq!(reply.status, 403, "{what}: {}", reply.body);
        }
        // What is stored is what was uploaded.
        let signing_key = std::fs::read_to_string(dir.path().join("file-signing-key")).unwrap();
        let files = LocalFileStore::new(
            dir.path().join("files"),
            server.base.clone(),
            signing_key.trim().as_bytes().to_vec(),
        );
        assert_eq!(files.get(&key).await.unwrap(), Some(bytes.clone()));

        // A message with the file: stored on the user message, named to the model.
        let reply = post(
            &http,
            &server,
            &token,
            &format!("/sessions/{session}/messages"),
            &json!({ "message": "Summarise my notes", "fileIds": [file_ref] }),
        )
        .await;
        let events = finished_turn(&reply);
        assert_eq!(streamed_text(&events), answer_for("Summarise my notes"));

        let messages = get(&http, &server, &token, &format!("/sessions/{session}/messages")).await;
        let messages = messages.json();
        let items = messages["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "messages: {messages}");
        let files_of_user = items[0]["files"].as_array().expect("files on the user message");
        assert_eq!(files_of_user.len(), 1);
        assert_eq!(files_of_user[0]["name"], "notes.txt");
        assert_eq!(files_of_user[0]["contentType"], "text/plain");
        assert_eq!(files_of_user[0]["key"], json!(key));
        assert_eq!(
            format!("{}/notes.txt", files_of_user[0]["fileId"].as_str().unwrap()),
            file_ref
        );

        let streamed = model.streamed_requests();
        let request = streamed.last().unwrap();
        let user_text = request["messages"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|m| m["role"] == "user")
            .and_then(|m| m["content"].as_str())
            .unwrap()
            .to_string();
        assert!(user_text.contains("notes.txt"), "the model saw: {user_text}");
        assert!(user_text.contains("text/plain"), "the model saw: {user_text}");

        // A file reference of nothing uploaded is refused before anything is stored.
        let unknown = post(
            &http,
            &server,
            &token,
            &format!("/sessions/{session}/messages"),
            &json!({ "message": "And this one?", "fileIds": ["0190a5d0-0000-7000-8000-000000000000/ghost.txt"] }),
        )
        .await;
        assert_eq!(unknown.status, 400, "{}", unknown.body);
        let messages = get(&http, &server, &token, &format!("/sessions/{session}/messages")).await;
        assert_eq!(messages.json()["items"].as_array().unwrap().len(), 2);

        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_model_turns_are_refused_naming_the_setting_and_nothing_is_stored() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let server = LocalServer::start(config(dir.path(), None)).await;
        let http = client();
        let token = sign_in(&http, &server, "dave").await;

        // Everything but turns works.
        let apps = get(&http, &server, &token, "/chatapps").await;
        assert_eq!(apps.status, 200);

        let reply = chat_new(
            &http,
            &server,
            &token,
            &json!({ "message": "Anyone there?" }),
        )
        .await;
        assert_eq!(reply.status, 503, "{}", reply.body);
        assert!(reply.content_type.starts_with("application/problem+json"));
        let problem = reply.json();
        assert_eq!(problem["code"], "model_unavailable");
        assert_eq!(problem["status"], 503);
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("PIKA_MODEL_BASE_URL"), "detail: {detail}");

        let sessions = get(&http, &server, &token, "/sessions").await;
        assert_eq!(sessions.status, 200);
        assert_eq!(sessions.json()["items"], json!([]), "{}", sessions.body);

        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_is_per_user() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path(), None);
        config.server.rate_limit_per_minute = 5;
        config.server.rate_limit_burst = 5;
        let server = LocalServer::start(config).await;
        let http = client();
        let erin = sign_in(&http, &server, "erin").await;
        let frank = sign_in(&http, &server, "frank").await;

        let mut statuses = Vec::new();
        for _ in 0..9 {
            let reply = get(&http, &server, &erin, "/sessions").await;
            if reply.status == 429 {
                assert_eq!(reply.json()["code"], "rate_limited", "{}", reply.body);
            }
            statuses.push(reply.status);
        }
        assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429, 429, 429]);

        // Another user still has their own allowance.
        let other = get(&http, &server, &frank, "/sessions").await;
        assert_eq!(other.status, 200, "{}", other.body);
        // Public routes are not counted against anyone.
        let health = exchange(http.get(server.url("/health"))).await;
        assert_eq!(health.status, 200);

        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_preflights_from_configured_origins_only() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path(), None);
        config.server.cors_origins = vec!["http://example.test".to_string()];
        let server = LocalServer::start(config).await;
        let http = client();

        let preflight = |origin: &'static str| {
            http.request(reqwest::Method::OPTIONS, server.url("/chat/demo/messages"))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "authorization,content-type",
                )
                .send()
        };

        let allowed = preflight("http://example.test").await.unwrap();
        assert!(allowed.status().is_success(), "status {}", allowed.status());
        let headers = allowed.headers();
        assert_eq!(
            headers
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some("http://example.test")
        );
        let methods = headers
            .get("access-control-allow-methods")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_uppercase();
        assert!(methods.contains("POST"), "allowed methods: {methods}");
        let allowed_headers = headers
            .get("access-control-allow-headers")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            allowed_headers.contains("authorization"),
            "{allowed_headers}"
        );

        let refused = preflight("http://elsewhere.test").await.unwrap();
        assert!(
            refused
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "headers: {:?}",
            refused.headers()
        );

        // Simple requests from the allowed origin are tagged too.
        let simple = http
            .get(server.url("/health"))
            .header("origin", "http://example.test")
            .send()
            .await
            .unwrap();
        assert_eq!(
            simple
                .headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some("http://example.test")
        );

        // A page on the allowed origin uploads straight to the signed file
        // URL the API handed out: that URL answers the preflight of its PUT
        // and tags the upload itself, like the API does.
        let token = sign_in(&http, &server, "judy").await;
        let created = post(
            &http,
            &server,
            &token,
            "/sessions",
            &json!({ "chatAppId": "demo" }),
        )
        .await;
        let session = created.json()["sessionId"].as_str().unwrap().to_string();
        let ticket = post(
            &http,
            &server,
            &token,
            &format!("/sessions/{session}/files"),
            &json!({ "name": "a.txt", "contentType": "text/plain", "size": 3 }),
        )
        .await;
        assert_eq!(ticket.status, 201, "{}", ticket.body);
        let url = ticket.json()["upload"]["url"].as_str().unwrap().to_string();
        let upload_preflight = |origin: &'static str| {
            http.request(reqwest::Method::OPTIONS, &url)
                .header("origin", origin)
                .header("access-control-request-method", "PUT")
                .header("access-control-request-headers", "content-type")
                .send()
        };
        let allowed = upload_preflight("http://example.test").await.unwrap();
        assert!(allowed.status().is_success(), "status {}", allowed.status());
        assert_eq!(
            allowed
                .headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some("http://example.test"),
            "headers: {:?}",
            allowed.headers()
        );
        let refused = upload_preflight("http://elsewhere.test").await.unwrap();
        assert!(refused
            .headers()
            .get("access-control-allow-origin")
            .is_none());
        let uploaded = http
            .put(&url)
            .header("origin", "http://example.test")
            .header("content-type", "text/plain")
            .body("abc")
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), 200);
        let tags: Vec<_> = uploaded
            .headers()
            .get_all("access-control-allow-origin")
            .iter()
            .collect();
        assert_eq!(tags, ["http://example.test"]);

        server.stop().await;
    })
    .await;
}

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

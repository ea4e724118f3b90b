#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The real local server (`server::build` + `serve_on`) on a loopback port,
//! with the embedded adapters on a temporary data directory and a fake
//! OpenAI-compatible model server, driven over HTTP the way a newcomer with
//! curl would: tokens, chat apps, streamed turns, tools and files.

mod local_server_support;
mod local_support;

use local_server_support::*;
use local_support::*;
use pika_domain::chrono::{DateTime, Utc};
use pika_local_adapters::files::LocalFileStore;
use pika_ports::FileStore;
use serde_json::json;
use std::time::Duration;

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
        // Where the file is stored is the server's business: the message
        // names the file, the download route hands it out.
        assert!(files_of_user[0].get("key").is_none(), "{}", files_of_user[0]);
        assert!(key.ends_with("/notes.txt"), "{key}");
        assert_eq!(
            format!("{}/notes.txt", files_of_user[0]["fileId"].as_str().unwrap()),
            file_ref
        );

        // The file comes back through a short-lived download URL.
        let file_id = files_of_user[0]["fileId"].as_str().unwrap();
        let grant = get(&http, &server, &token, &format!("/sessions/{session}/files/{file_id}")).await;
        assert_eq!(grant.status, 200, "{}", grant.body);
        let download_url = grant.json()["url"].as_str().unwrap().to_string();
        assert!(download_url.starts_with(&server.base), "{download_url}");
        let downloaded = http.get(&download_url).send().await.unwrap();
        assert_eq!(downloaded.status(), 200);
        assert_eq!(downloaded.bytes().await.unwrap().to_vec(), bytes);
        let (path, _) = download_url.split_once('?').unwrap();
        let unsigned = http.get(path).send().await.unwrap();
        assert!(unsigned.status().is_client_error(), "an unsigned download: {}", unsigned.status());

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

        // A file reference of nothing uploaded names nothing: 404 before
        // anything is stored.
        let unknown = post(
            &http,
            &server,
            &token,
            &format!("/sessions/{session}/messages"),
            &json!({ "message": "And this one?", "fileIds": ["0190a5d0-0000-7000-8000-000000000000/ghost.txt"] }),
        )
        .await;
        assert_eq!(unknown.status, 404, "{}", unknown.body);
        let messages = get(&http, &server, &token, &format!("/sessions/{session}/messages")).await;
        assert_eq!(messages.json()["items"].as_array().unwrap().len(), 2);

        server.stop().await;
    })
    .await;
}

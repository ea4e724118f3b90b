//! Knowledge bases on the local server, built as `main` builds it: a
//! corpus directory under the data directory, an agent naming it with a
//! filter from the caller's custom data, a model that searches it, and the
//! citations on the stream and on the stored answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod local_server_support;
mod local_support;

use local_server_support::*;
use local_support::*;
use serde_json::json;
use std::time::Duration;

fn write_doc(dir: &std::path::Path, path: &str, text: &str, account: &str) {
    let file = dir.join("knowledge").join("handbook").join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, text).unwrap();
    let mut meta = file.as_os_str().to_owned();
    meta.push(".metadata.json");
    std::fs::write(
        meta,
        json!({ "metadataAttributes": { "account": account } }).to_string(),
    )
    .unwrap();
}

#[tokio::test]
async fn an_agent_answers_from_its_knowledge_base_with_citations() {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        write_doc(
            dir.path(),
            "acme/router.md",
            "Falcon routers reset when the button is held for ten seconds.",
            "acme",
        );
        write_doc(
            dir.path(),
            "globex/router.md",
            "Globex routers reset from the admin console.",
            "globex",
        );
        let model = FakeModel::start(Duration::ZERO).await;
        let server = LocalServer::start(config(dir.path(), Some(&model.base_url))).await;
        let http = client();
        let admin = token(&http, &server, "root", "operator", &["pika:site-admin"]).await;

        // The admin gives the demo agent the handbook, filtered by account.
        let agent = get(&http, &server, &admin, "/admin/agents/demo-agent").await;
        assert_eq!(agent.status, 200, "{}", agent.body);
        let mut agent = agent.json();
        agent["knowledgeBases"] = json!([{
            "knowledgeBaseId": "handbook",
            "description": "Router handbook",
            "filters": [{ "key": "account", "attributePath": "accountId" }],
        }]);
        let saved = exchange(
            http.put(server.url("/admin/agents/demo-agent"))
                .bearer_auth(&admin)
                .json(&agent),
        )
        .await;
        assert_eq!(saved.status, 200, "{}", saved.body);

        let alice = token(&http, &server, "alice", "acme", &[]).await;
        let reply = chat_new(
            &http,
            &server,
            &alice,
            &json!({ "message": "[kb] reset router" }),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let events = finished_turn(&reply);
        let cited = events
            .iter()
            .find(|e| e.name == "trace" && e.data["kind"] == "citations")
            .expect("a citations event");
        let sources: Vec<&str> = cited.data["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["source"].as_str().unwrap())
            .collect();
        assert_eq!(sources, vec!["acme/router.md"], "alice's account only");
        assert!(streamed_text(&events).starts_with("According to acme/router.md:"));

        let session = only(&events, "session").data["sessionId"]
            .as_str()
            .unwrap()
            .to_string();
        let stored = get(
            &http,
            &server,
            &alice,
            &format!("/sessions/{session}/messages"),
        )
        .await;
        let items = stored.json()["items"].as_array().unwrap().clone();
        let answer = items.iter().find(|m| m["role"] == "assistant").unwrap();
        assert_eq!(answer["citations"][0]["source"], "acme/router.md");
        assert_eq!(answer["citations"][0]["knowledgeBaseId"], "handbook");
        server.stop().await;
    })
    .await;
}

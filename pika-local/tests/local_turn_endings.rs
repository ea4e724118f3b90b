#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The local server (SQLite, which has no foreign keys) when a session is
//! deleted, or its owner erased, while its answer streams: the stream ends
//! with `not_found`, nothing of the session is left in the database, and
//! the turn's tokens are counted in the usage ledger all the same (no
//! quota bypass).

mod local_server_support;
mod local_support;

use local_server_support::*;
use local_support::*;
use pika_domain::chrono::{Duration as Span, Utc};
use pika_domain::ids::SessionId;
use pika_domain::quota::QuotaScope;
use pika_local_adapters::sqlite::{SqliteDb, SqliteStores};
use pika_ports::{MessageStore, PageRequest, SessionStore, UsageLedger};
use serde_json::json;
use std::time::Duration;

/// How a turn's session goes away while the turn runs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Removal {
    /// `DELETE /sessions/{id}` by its owner.
    DeleteSession,
    /// `DELETE /admin/users/{id}/data` by a site admin.
    EraseUser,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_session_while_it_answers_leaves_nothing_and_counts_the_tokens() {
    removed_while_it_answers(Removal::DeleteSession).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasing_a_user_while_their_session_answers_leaves_nothing_and_counts_the_tokens() {
    removed_while_it_answers(Removal::EraseUser).await;
}

async fn removed_while_it_answers(removal: Removal) {
    bounded(async {
        let dir = tempfile::tempdir().unwrap();
        // Each streamed word 150 ms apart: the answer takes over a second.
        let model = FakeModel::start(Duration::from_millis(150)).await;
        let mut config = config(dir.path(), Some(&model.base_url));
        config.jobs.enabled = false;
        let server = LocalServer::start(config).await;
        let http = client();
        let token = sign_in(&http, &server, "dora").await;

        let response = http
            .post(server.url("/chat/demo/messages"))
            .bearer_auth(&token)
            .json(&json!({ "message": "Tell me a long story" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let session = response.headers()["x-chatbot-session-id"]
            .to_str()
            .unwrap()
            .to_string();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let removed = match removal {
            Removal::DeleteSession => {
                exchange(
                    http.delete(server.url(&format!("/sessions/{session}")))
                        .bearer_auth(&token),
                )
                .await
            }
            Removal::EraseUser => {
                let admin =
                    local_support::token(&http, &server, "root", "ops", &["pika:site-admin"]).await;
                exchange(
                    http.delete(server.url("/admin/users/dora/data"))
                        .bearer_auth(&admin),
                )
                .await
            }
        };
        assert!(
            removed.status == 204 || removed.status == 200,
            "{removal:?}: {} {}",
            removed.status,
            removed.body
        );
        let body = response.text().await.unwrap();
        let ended = events(&body);
        let last = ended.last().unwrap();
        match removal {
            // The turn finds its session gone.
            Removal::DeleteSession => {
                assert_eq!(last.name, "error", "{body}");
                assert_eq!(last.data["code"], "not_found", "{body}");
            }
            // The erasure stops the user's turns and waits for them to end.
            Removal::EraseUser => assert_eq!(last.name, "done", "{body}"),
        }

        let db = SqliteDb::open(dir.path().join("pika.db")).unwrap();
        let stores = SqliteStores::new(db);
        let id = SessionId::parse(&session).unwrap();
        assert!(stores.sessions.get(&id).await.unwrap().is_none());
        let left = stores
            .messages
            .list(&id, PageRequest::first(10))
            .await
            .unwrap();
        assert!(left.items.is_empty(), "{:?}", left.items);
        let since = Utc::now() - Span::hours(2);
        // An erased user's own counters go with them; the entity's stay.
        let (scope, key) = match removal {
            Removal::DeleteSession => (QuotaScope::User, "dora"),
            Removal::EraseUser => (QuotaScope::Entity, "chat-app-global"),
        };
        let counted: u64 = stores
            .usage
            .buckets(scope, key, since)
            .await
            .unwrap()
            .iter()
            .map(|b| b.tokens)
            .sum();
        assert!(
            counted >= STREAM_PROMPT_TOKENS + STREAM_COMPLETION_TOKENS,
            "counted {counted}"
        );
        let search = get(&http, &server, &token, "/search?q=story").await;
        assert_eq!(search.status, 200, "{}", search.body);
        assert_eq!(search.json()["items"], json!([]), "{}", search.body);
        if removal == Removal::EraseUser {
            // The erased user's own counters are gone and stay gone.
            let left = stores
                .usage
                .buckets(QuotaScope::User, "dora", since)
                .await
                .unwrap();
            assert!(left.is_empty(), "{left:?}");
        }
        server.stop().await;
    })
    .await;
}

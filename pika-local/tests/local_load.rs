#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! A bounded load test of the real local server (SQLite, tantivy, files,
//! the OpenAI-compatible client) against a fake model that streams with a
//! small delay per chunk: 200 concurrent streamed turns, all answered and
//! each stored exactly once; then a retry race on client message ids.

mod local_support;

use futures::future::join_all;
use local_support::*;
use pika_domain::chrono::{Duration as Span, Utc};
use pika_domain::quota::QuotaScope;
use pika_local_adapters::sqlite::{SqliteDb, SqliteStores};
use pika_ports::UsageLedger;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::time::{Duration, Instant};

const USERS: usize = 50;
const SESSIONS_PER_USER: usize = 4;
const CHUNK_DELAY: Duration = Duration::from_millis(3);

/// Tokens one plain first turn records: the streamed answer and the title.
const TOKENS_PER_TURN: u64 =
    STREAM_PROMPT_TOKENS + STREAM_COMPLETION_TOKENS + TITLE_PROMPT_TOKENS + TITLE_COMPLETION_TOKENS;

async fn bounded<T>(what: &str, test: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(55), test)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within 55 s"));
    eprintln!("{what}: {:.1} s", started.elapsed().as_secs_f64());
    out
}

fn user_name(u: usize) -> String {
    format!("load-user-{u}")
}

/// Tokens for every user, fetched concurrently.
async fn tokens(http: &reqwest::Client, server: &LocalServer, users: usize) -> Vec<String> {
    join_all((0..users).map(|u| {
        let name = user_name(u);
        async move { sign_in(http, server, &name).await }
    }))
    .await
}

/// What one streamed turn showed its client.
#[derive(Debug)]
struct Seen {
    user: usize,
    question: String,
    status: u16,
    session_header: Option<String>,
    events: Vec<Event>,
    body: String,
}

impl Seen {
    fn session(&self) -> Option<String> {
        self.events
            .first()
            .filter(|e| e.name == "session")
            .and_then(|e| e.data["sessionId"].as_str())
            .map(str::to_string)
    }

    fn done(&self) -> Option<&Value> {
        self.events
            .last()
            .filter(|e| e.name == "done")
            .map(|e| &e.data)
    }
}

/// Sends the first message of a new session and reads the whole stream.
async fn turn(
    http: reqwest::Client,
    base: String,
    token: String,
    user: usize,
    question: String,
    client_message_id: Option<String>,
) -> Seen {
    let mut body = json!({ "message": question });
    if let Some(id) = client_message_id {
        body["clientMessageId"] = json!(id);
    }
    let reply = exchange(
        http.post(format!("{base}/chat/demo/messages"))
            .bearer_auth(token)
            .json(&body),
    )
    .await;
    Seen {
        user,
        question,
        status: reply.status,
        session_header: reply.session_header.clone(),
        events: if reply.status == 200 {
            reply.events()
        } else {
            Vec::new()
        },
        body: reply.body,
    }
}

/// Every session of `token`'s user (at most 100; the tests stay below).
async fn sessions_of(http: &reqwest::Client, server: &LocalServer, token: &str) -> Vec<Value> {
    let reply = get(http, server, token, "/sessions?limit=100").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let page = reply.json();
    assert!(page["nextCursor"].is_null(), "more than one page: {page}");
    page["items"].as_array().unwrap().clone()
}

async fn messages_of(
    http: &reqwest::Client,
    server: &LocalServer,
    token: &str,
    session: &str,
) -> Vec<Value> {
    let reply = get(
        http,
        server,
        token,
        &format!("/sessions/{session}/messages?limit=100"),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["items"].as_array().unwrap().clone()
}

/// The user's ledger total over the last hours, read from SQLite.
async fn ledger_totals(dir: &std::path::Path, users: usize) -> Vec<u64> {
    let db = SqliteDb::open(dir.join("pika.db")).unwrap();
    let stores = SqliteStores::new(db);
    let since = pika_domain::quota::window_start(Utc::now(), 3) - Span::hours(1);
    let mut totals = Vec::with_capacity(users);
    for u in 0..users {
        let buckets = stores
            .usage
            .buckets(QuotaScope::User, &user_name(u), since)
            .await
            .unwrap();
        totals.push(buckets.iter().map(|b| b.tokens).sum());
    }
    totals
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_turns_are_answered_and_each_stored_once() {
    bounded("200 concurrent turns", async {
        let dir = tempfile::tempdir().unwrap();
        let model = FakeModel::start(CHUNK_DELAY).await;
        let server = LocalServer::start(config(dir.path(), Some(&model.base_url))).await;
        let http = client();
        let tokens = tokens(&http, &server, USERS).await;

        let started = Instant::now();
        let tasks: Vec<_> = (0..USERS)
            .flat_map(|u| (0..SESSIONS_PER_USER).map(move |s| (u, s)))
            .map(|(u, s)| {
                let question = format!("Load question u{u} s{s}");
                tokio::spawn(turn(
                    http.clone(),
                    server.base.clone(),
                    tokens[u].clone(),
                    u,
                    question,
                    None,
                ))
            })
            .collect();
        let mut seen = Vec::with_capacity(tasks.len());
        for task in join_all(tasks).await {
            seen.push(task.unwrap());
        }
        eprintln!(
            "200 turns streamed in {:.1} s",
            started.elapsed().as_secs_f64()
        );

        // Zero errors: every answer 200, every stream ends with `done`.
        let failures: Vec<String> = seen
            .iter()
            .filter(|t| t.status != 200 || t.done().is_none())
            .map(|t| format!("u{} {:?}: {} {}", t.user, t.question, t.status, t.body))
            .collect();
        assert!(
            failures.is_empty(),
            "{} of 200 failed: {failures:#?}",
            failures.len()
        );
        for t in &seen {
            assert_eq!(streamed_text(&t.events), answer_for(&t.question));
            assert_eq!(t.session_header, t.session());
            assert!(t.events.iter().all(|e| e.name != "error"));
        }
        let sessions: HashSet<String> = seen.iter().filter_map(Seen::session).collect();
        assert_eq!(sessions.len(), 200, "distinct sessions");

        // Every turn persisted exactly once, with the ids its stream announced.
        let by_session: HashMap<String, &Seen> =
            seen.iter().map(|t| (t.session().unwrap(), t)).collect();
        let mut message_ids = HashSet::new();
        let mut stored_sessions = 0;
        for (u, token) in tokens.iter().enumerate() {
            let listed = sessions_of(&http, &server, token).await;
            assert_eq!(listed.len(), SESSIONS_PER_USER, "sessions of user {u}");
            for session in listed {
                stored_sessions += 1;
                let id = session["sessionId"].as_str().unwrap().to_string();
                let t = by_session
                    .get(&id)
                    .unwrap_or_else(|| panic!("unknown session {id}"));
                assert_eq!(t.user, u, "session {id} listed for the wrong user");
                assert_eq!(session["title"], TITLE);
                assert_eq!(
                    session["usage"]["inputTokens"],
                    json!(STREAM_PROMPT_TOKENS + TITLE_PROMPT_TOKENS)
                );
                let messages = messages_of(&http, &server, token, &id).await;
                assert_eq!(messages.len(), 2, "messages of {id}: {messages:?}");
                let done = t.done().unwrap();
                assert_eq!(messages[0]["role"], "user");
                assert_eq!(messages[0]["content"], json!(t.question));
                assert_eq!(messages[0]["messageId"], done["userMessageId"]);
                assert_eq!(messages[1]["role"], "assistant");
                assert_eq!(messages[1]["content"], json!(answer_for(&t.question)));
                assert_eq!(messages[1]["messageId"], done["assistantMessageId"]);
                assert_eq!(session["lastMessageId"], done["assistantMessageId"]);
                for m in &messages {
                    assert!(
                        message_ids.insert(m["messageId"].as_str().unwrap().to_string()),
                        "duplicate message id {}",
                        m["messageId"]
                    );
                }
            }
        }
        assert_eq!(stored_sessions, 200);
        assert_eq!(message_ids.len(), 400);

        // The model answered each turn once, and wrote each title once.
        let received = model.received();
        let streamed = received
            .iter()
            .filter(|b| b["stream"] == json!(true))
            .count();
        assert_eq!(streamed, 200);
        assert_eq!(received.len(), 400);

        server.stop().await;

        // The usage ledger counted every turn of every user.
        let totals = ledger_totals(dir.path(), USERS).await;
        let expected = vec![SESSIONS_PER_USER as u64 * TOKENS_PER_TURN; USERS];
        assert_eq!(totals, expected, "ledger tokens per user");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_message_id_sent_twice_at_once_starts_one_turn() {
    const RETRY_USERS: usize = 50;
    const IDS_PER_USER: usize = 2;
    bounded("retry race", async {
        let dir = tempfile::tempdir().unwrap();
        let model = FakeModel::start(CHUNK_DELAY).await;
        let server = LocalServer::start(config(dir.path(), Some(&model.base_url))).await;
        let http = client();
        let tokens = tokens(&http, &server, RETRY_USERS).await;

        // Each (user, clientMessageId) twice, all at once: 200 requests.
        let mut tasks = Vec::new();
        for (u, token) in tokens.iter().enumerate() {
            for i in 0..IDS_PER_USER {
                for _copy in 0..2 {
                    let question = format!("Retried question u{u} i{i}");
                    tasks.push(tokio::spawn(turn(
                        http.clone(),
                        server.base.clone(),
                        token.clone(),
                        u,
                        question,
                        Some(format!("cmid-{u}-{i}")),
                    )));
                }
            }
        }
        let mut pairs: BTreeMap<(usize, String), Vec<Seen>> = BTreeMap::new();
        for task in join_all(tasks).await {
            let t = task.unwrap();
            pairs
                .entry((t.user, t.question.clone()))
                .or_default()
                .push(t);
        }
        assert_eq!(pairs.len(), RETRY_USERS * IDS_PER_USER);

        let mut session_of: HashMap<(usize, String), String> = HashMap::new();
        let (mut conflicts, mut replays) = (0, 0);
        for ((u, question), copies) in &pairs {
            assert_eq!(copies.len(), 2);
            let mut answered = Vec::new();
            for c in copies {
                match c.status {
                    200 => {
                        let done = c.done().unwrap_or_else(|| {
                            panic!("u{u} {question:?}: stream without done: {}", c.body)
                        });
                        assert_eq!(streamed_text(&c.events), answer_for(question));
                        answered.push((c.session().unwrap(), done.clone()));
                    }
                    409 => {
                        let problem: Value = serde_json::from_str(&c.body).unwrap();
                        assert_eq!(problem["code"], "conflict", "{}", c.body);
                        conflicts += 1;
                    }
                    other => panic!("u{u} {question:?}: unexpected {other}: {}", c.body),
                }
            }
            assert!(
                !answered.is_empty(),
                "u{u} {question:?}: both copies refused"
            );
            if answered.len() == 2 {
                // The second is a replay of the same turn.
                replays += 1;
                assert_eq!(answered[0], answered[1], "u{u} {question:?}");
            }
            session_of.insert((*u, question.clone()), answered[0].0.clone());
        }
        eprintln!("retry race: {conflicts} conflicts, {replays} replays");

        // One session per client message id, two messages each; never a second turn.
        let mut all_messages = HashSet::new();
        for (u, token) in tokens.iter().enumerate() {
            let listed = sessions_of(&http, &server, token).await;
            assert_eq!(
                listed.len(),
                IDS_PER_USER,
                "sessions of user {u}: {listed:?}"
            );
            for i in 0..IDS_PER_USER {
                let question = format!("Retried question u{u} i{i}");
                let session = &session_of[&(u, question.clone())];
                assert!(listed.iter().any(|s| s["sessionId"] == json!(session)));
                let messages = messages_of(&http, &server, token, session).await;
                assert_eq!(messages.len(), 2, "{messages:?}");
                assert_eq!(messages[0]["content"], json!(question));
                assert_eq!(
                    messages[0]["clientMessageId"],
                    json!(format!("cmid-{u}-{i}"))
                );
                assert_eq!(messages[1]["content"], json!(answer_for(&question)));
                for m in &messages {
                    assert!(all_messages.insert(m["messageId"].as_str().unwrap().to_string()));
                }
            }
        }
        assert_eq!(all_messages.len(), RETRY_USERS * IDS_PER_USER * 2);
        let streamed = model.streamed_requests().len();
        assert_eq!(streamed, RETRY_USERS * IDS_PER_USER, "model calls");

        // A later retry replays the stored turn: same ids, no new model call.
        let later = turn(
            http.clone(),
            server.base.clone(),
            tokens[0].clone(),
            0,
            "Retried question u0 i0".to_string(),
            Some("cmid-0-0".to_string()),
        )
        .await;
        assert_eq!(later.status, 200, "{}", later.body);
        let first = &session_of[&(0, "Retried question u0 i0".to_string())];
        assert_eq!(later.session().as_ref(), Some(first));
        assert_eq!(later.session_header.as_ref(), Some(first));
        let messages = messages_of(&http, &server, &tokens[0], first).await;
        assert_eq!(
            later.done().unwrap()["assistantMessageId"],
            messages[1]["messageId"]
        );
        assert_eq!(model.streamed_requests().len(), streamed);
        assert_eq!(
            sessions_of(&http, &server, &tokens[0]).await.len(),
            IDS_PER_USER
        );

        server.stop().await;

        let totals = ledger_totals(dir.path(), RETRY_USERS).await;
        let expected = vec![IDS_PER_USER as u64 * TOKENS_PER_TURN; RETRY_USERS];
        assert_eq!(totals, expected, "ledger tokens per user");
    })
    .await;
}

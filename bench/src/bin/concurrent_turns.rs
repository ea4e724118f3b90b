//! Row 7: TURNS streamed turns started at once on pika-local (model
//! stand-in), spread over USERS users; then every turn's two messages
//! looked up through the API.
//!
//! `concurrent_turns PIKA_BASE`

use futures::future::join_all;
use pika_bench::http::{client, ms, sign_in, timed, turn_finished, BoxError};
use pika_bench::{cell, tiny, RowResult, Samples};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Instant;

/// Turns per user: the default fair use lets a user run 4 turns at once.
const TURNS_PER_USER: usize = 4;

/// What one turn showed its client.
struct Seen {
    user: usize,
    question: String,
    session: Option<String>,
    ok: bool,
    failure: String,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let base = std::env::args()
        .nth(1)
        .ok_or("usage: concurrent_turns PIKA_BASE")?;
    let users = if tiny() { 5 } else { 50 };
    let turns = users * TURNS_PER_USER;
    let http = client(turns)?;
    let mut tokens = Vec::with_capacity(users);
    for u in 0..users {
        tokens.push(sign_in(&http, &base, &format!("bench-concurrent-{u}")).await?);
    }

    let started = Instant::now();
    let tasks = (0..turns).map(|t| {
        let user = t % users;
        let question = format!("Concurrent question {t} of user {user}");
        let request = http
            .post(format!("{base}/chat/demo/messages"))
            .bearer_auth(&tokens[user])
            .json(&json!({ "message": question }));
        async move {
            let result = timed(request, "event: delta").await;
            (user, question, result)
        }
    });
    let results = join_all(tasks).await;
    let wall = started.elapsed();

    let mut first_byte = Samples::default();
    let mut first_delta = Samples::default();
    let mut last_byte = Samples::default();
    let mut seen = Vec::with_capacity(turns);
    for (user, question, result) in results {
        match result {
            Ok(t) => {
                let ok = t.status == 200 && turn_finished(&t.body);
                if ok {
                    first_byte.push_micros(t.first_byte);
                    first_delta.push_micros(t.first_marker);
                    last_byte.push_micros(t.last_byte);
                }
                seen.push(Seen {
                    user,
                    question,
                    session: t.session,
                    ok,
                    failure: format!(
                        "{} {}",
                        t.status,
                        t.body.chars().take(300).collect::<String>()
                    ),
                });
            }
            Err(e) => seen.push(Seen {
                user,
                question,
                session: None,
                ok: false,
                failure: e.to_string(),
            }),
        }
    }
    let errors = seen.iter().filter(|s| !s.ok).count();
    for s in seen.iter().filter(|s| !s.ok).take(5) {
        eprintln!("failed turn of user {}: {}", s.user, s.failure);
    }

    // Afterwards: each answered turn's session listed for its user, with
    // the question and an answer stored.
    let mut listed: HashMap<usize, Vec<String>> = HashMap::new();
    for (u, token) in tokens.iter().enumerate() {
        let page: Value = http
            .get(format!("{base}/sessions?limit=100"))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        let ids = page["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|s| s["sessionId"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        listed.insert(u, ids);
    }
    let mut persisted = 0;
    for s in &seen {
        let Some(session) = &s.session else { continue };
        if !listed.get(&s.user).is_some_and(|ids| ids.contains(session)) {
            continue;
        }
        let page: Value = http
            .get(format!("{base}/sessions/{session}/messages?limit=100"))
            .bearer_auth(&tokens[s.user])
            .send()
            .await?
            .json()
            .await?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        let whole = items.len() == 2
            && items[0]["role"] == "user"
            && items[0]["content"] == json!(s.question)
            && items[1]["role"] == "assistant"
            && items[1]["content"].as_str().is_some_and(|c| !c.is_empty());
        if whole {
            persisted += 1;
        } else {
            eprintln!("session {session}: {items:?}");
        }
    }
    let lost = turns - persisted;

    let throughput = turns as f64 / wall.as_secs_f64();
    RowResult {
        row: 7,
        title: format!("{turns} concurrent streamed turns (model stand-in)"),
        command: "bash bench/run.sh 07".into(),
        columns: vec![
            "turns".into(),
            "wall (s)".into(),
            "turns/s".into(),
            "first byte p50 / p99 (ms)".into(),
            "first answer text p99 (ms)".into(),
            "last byte p99 (ms)".into(),
            "errors".into(),
            "turns persisted".into(),
        ],
        rows: vec![vec![
            turns.to_string(),
            cell(wall.as_secs_f64(), 2),
            cell(throughput, 0),
            format!(
                "{} / {}",
                ms(first_byte.median()),
                ms(first_byte.quantile(0.99))
            ),
            ms(first_delta.quantile(0.99)),
            ms(last_byte.quantile(0.99)),
            errors.to_string(),
            format!("{persisted} of {turns}"),
        ]],
        goal: "0 errors, every turn's two messages persisted".into(),
        met: errors == 0 && lost == 0,
        summary: format!(
            "{turns} turns at once: {} turns/s, first byte p99 {} ms, {errors} errors, {lost} lost",
            cell(throughput, 0),
            ms(first_byte.quantile(0.99)),
        ),
        notes: format!(
            "Release pika-local (SQLite, no embedded model) on loopback, its model \
             bench/src/bin/model_standin.rs (a fixed streamed answer at once, titles \
             non-streamed). {users} users x {TURNS_PER_USER} first turns \
             (`POST /chat/demo/messages`), all sent at once by one reqwest client and read \
             to their end; the site's default fair use (4 turns running per user) holds, the \
             server's per-user request rate limit is raised. Afterwards each user's \
             `GET /sessions` must list the turn's session and its \
             `GET /sessions/{{id}}/messages` hold exactly the question and an answer."
        ),
    }
    .write()?;
    Ok(())
}

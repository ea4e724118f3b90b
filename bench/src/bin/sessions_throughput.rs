//! Row 4: `GET /sessions` throughput on pika-local beside a bare axum
//! handler answering the same bytes from memory (`bare_sessions`), both
//! under the same `wrk` load.
//!
//! `sessions_throughput setup PIKA_BASE SESSIONS BODY_FILE` signs in a
//! user, creates SESSIONS sessions through the API, writes the body of its
//! `GET /sessions` to BODY_FILE and prints the user's token.
//!
//! `sessions_throughput report PIKA_WRK BARE_WRK LOAD` reads the two `wrk
//! --latency` outputs and writes the row (LOAD: the wrk settings, in words).

use pika_bench::http::{client, sign_in, BoxError};
use pika_bench::{cell, RowResult};
use serde_json::{json, Value};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["setup", base, sessions, body_file] => setup(base, sessions.parse()?, body_file).await,
        ["report", pika, bare, load] => report(pika, bare, load),
        _ => Err(
            "usage: sessions_throughput setup PIKA_BASE SESSIONS BODY_FILE | \
                  report PIKA_WRK BARE_WRK LOAD"
                .into(),
        ),
    }
}

async fn setup(base: &str, sessions: usize, body_file: &str) -> Result<(), BoxError> {
    let http = client(2)?;
    let token = sign_in(&http, base, "bench-sessions").await?;
    for _ in 0..sessions {
        let response = http
            .post(format!("{base}/sessions"))
            .bearer_auth(&token)
            .json(&json!({ "chatAppId": "demo" }))
            .send()
            .await?;
        if response.status() != 201 {
            let status = response.status();
            return Err(format!("POST /sessions: {status} {}", response.text().await?).into());
        }
    }
    let response = http
        .get(format!("{base}/sessions"))
        .bearer_auth(&token)
        .send()
        .await?;
    let status = response.status();
    let body = response.bytes().await?;
    let page: Value = serde_json::from_slice(&body)?;
    let listed = page["items"].as_array().map_or(0, Vec::len);
    if status != 200 || listed != sessions {
        return Err(
            format!("GET /sessions: {status}, {listed} of {sessions} sessions listed").into(),
        );
    }
    std::fs::write(body_file, &body)?;
    println!("{token}");
    Ok(())
}

/// What `wrk --latency` reported.
#[derive(Debug, Default)]
struct Wrk {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: u64,
    errors: u64,
}

/// A wrk duration (`812.00us`, `1.20ms`, `1.02s`) in milliseconds.
fn duration_ms(text: &str) -> Option<f64> {
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * factor)
}

fn parse_wrk(path: &str) -> Result<Wrk, BoxError> {
    let text = std::fs::read_to_string(path)?;
    let mut wrk = Wrk::default();
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", d] => wrk.p50_ms = duration_ms(d).ok_or("p50")?,
            ["99%", d] => wrk.p99_ms = duration_ms(d).ok_or("p99")?,
            ["Requests/sec:", r] => wrk.requests_per_second = r.parse()?,
            [n, "requests", "in", ..] => wrk.requests = n.parse()?,
            ["Non-2xx", "or", "3xx", "responses:", n] => wrk.errors += n.parse::<u64>()?,
            ["Socket", "errors:", rest @ ..] => {
                // connect 0, read 0, write 0, timeout 0
                for pair in rest.chunks(2) {
                    if let [_, n] = pair {
                        wrk.errors += n.trim_end_matches(',').parse::<u64>()?;
                    }
                }
            }
            _ => {}
        }
    }
    if wrk.requests == 0 {
        return Err(format!("no requests in {path}:\n{text}").into());
    }
    Ok(wrk)
}

fn report(pika_path: &str, bare_path: &str, load: &str) -> Result<(), BoxError> {
    let pika = parse_wrk(pika_path)?;
    let bare = parse_wrk(bare_path)?;
    let ratio = pika.requests_per_second / bare.requests_per_second;
    let line = |name: &str, w: &Wrk| {
        vec![
            name.to_string(),
            cell(w.requests_per_second, 0),
            cell(w.p50_ms, 3),
            cell(w.p99_ms, 3),
            w.errors.to_string(),
        ]
    };
    RowResult {
        row: 4,
        title: "`GET /sessions` throughput over loopback (a user with 20 sessions)".into(),
        command: "bash bench/run.sh 04".into(),
        columns: vec![
            "server".into(),
            "requests/s".into(),
            "p50 (ms)".into(),
            "p99 (ms)".into(),
            "errors".into(),
        ],
        rows: vec![
            line("pika-local (SQLite)", &pika),
            line("bare axum handler, same body from memory", &bare),
        ],
        goal: ">= 50 % of the bare handler's requests/s".into(),
        met: ratio >= 0.5 && pika.errors == 0,
        summary: format!(
            "{} requests/s, {} % of the bare handler's {} (p99 {} ms vs {} ms)",
            cell(pika.requests_per_second, 0),
            cell(ratio * 100.0, 0),
            cell(bare.requests_per_second, 0),
            cell(pika.p99_ms, 2),
            cell(bare.p99_ms, 2),
        ),
        notes: format!(
            "Release pika-local (SQLite, no embedded model; server rate limit raised, jobs off) \
             and the anchor bench/src/bin/bare_sessions.rs (axum, no auth, no store, serving \
             the bytes pika-local answered) on the same machine, one after the other, under \
             the same load: {load}, each request with the user's bearer token (signature \
             checked by pika-local, ignored by the anchor). Errors: non-2xx answers and socket \
             errors."
        ),
    }
    .write()?;
    Ok(())
}

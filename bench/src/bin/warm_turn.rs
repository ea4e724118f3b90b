//! Row 5: the platform's time in a warm turn. N sequential turns
//! (`POST /sessions/{id}/messages`, streamed) on pika-local whose model is
//! the stand-in that answers at once, timed to the first byte, the first
//! `delta` event and the last byte; each beside the same kind of request
//! (a streamed chat completion) sent to the stand-in directly. The
//! difference of the medians is what the platform adds.
//!
//! `warm_turn PIKA_BASE MODEL_BASE` (MODEL_BASE: `http://127.0.0.1:PORT/v1`).

use pika_bench::http::{client, ms, sign_in, timed, turn_finished, BoxError, Timed};
use pika_bench::{cell, tiny, RowResult, Samples};
use serde_json::json;

struct Sizes {
    sessions: usize,
    warmup: usize,
    turns: usize,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: warm_turn PIKA_BASE MODEL_BASE";
    let base = args.next().ok_or(usage)?;
    let model = args.next().ok_or(usage)?;
    let sizes = if tiny() {
        Sizes {
            sessions: 2,
            warmup: 4,
            turns: 10,
        }
    } else {
        Sizes {
            sessions: 20,
            warmup: 40,
            turns: 300,
        }
    };
    let http = client(4)?;
    let token = sign_in(&http, &base, "bench-warm-turn").await?;

    // The sessions, each with a first turn behind it (its title written).
    let mut sessions = Vec::new();
    for s in 0..sizes.sessions {
        let first = timed(
            http.post(format!("{base}/chat/demo/messages"))
                .bearer_auth(&token)
                .json(&json!({ "message": format!("First question of session {s}") })),
            "event: done",
        )
        .await?;
        if first.status != 200 || !turn_finished(&first.body) {
            return Err(format!("first turn: {} {}", first.status, first.body).into());
        }
        sessions.push(first.session.ok_or("no x-chatbot-session-id")?);
    }

    let pika_turn = |i: usize| {
        let request = http
            .post(format!(
                "{base}/sessions/{}/messages",
                sessions[i % sessions.len()]
            ))
            .bearer_auth(&token)
            .json(&json!({ "message": format!("Warm question {i}") }));
        timed(request, "event: delta")
    };
    let direct_turn = |i: usize| {
        let request = http.post(format!("{model}/chat/completions")).json(&json!({
            "model": "standin",
            "stream": true,
            "stream_options": { "include_usage": true },
            "messages": [
                { "role": "system", "content": "You are Pika's demo agent." },
                { "role": "user", "content": format!("Warm question {i}") },
            ],
        }));
        timed(request, "\"content\":\"Pika")
    };

    for i in 0..sizes.warmup {
        check(&pika_turn(i).await?, true)?;
        check(&direct_turn(i).await?, false)?;
    }
    let (mut pika, mut direct) = (Measures::default(), Measures::default());
    for i in 0..sizes.turns {
        // Alternated, so drift in the machine's load falls on both alike.
        pika.add(&check(&pika_turn(sizes.warmup + i).await?, true)?);
        direct.add(&check(&direct_turn(sizes.warmup + i).await?, false)?);
    }

    let added_first = pika.first_byte.median() - direct.first_byte.median();
    let added_delta = pika.first_delta.median() - direct.first_delta.median();
    let added_last = pika.last_byte.median() - direct.last_byte.median();
    let met = added_first <= 1000.0 && added_last <= 1000.0;
    let line = |name: &str, p: &Samples, d: &Samples| {
        vec![
            name.to_string(),
            ms(p.median()),
            ms(p.quantile(0.99)),
            ms(d.median()),
            ms(p.median() - d.median()),
        ]
    };
    RowResult {
        row: 5,
        title: "Warm turn over HTTP: platform time (model stand-in answering at once)".into(),
        command: "bash bench/run.sh 05".into(),
        columns: vec![
            "measure".into(),
            "pika-local p50 (ms)".into(),
            "pika-local p99 (ms)".into(),
            "stand-in direct p50 (ms)".into(),
            "added by pika p50 (ms)".into(),
        ],
        rows: vec![
            line("first byte", &pika.first_byte, &direct.first_byte),
            line("first answer text", &pika.first_delta, &direct.first_delta),
            line("last byte", &pika.last_byte, &direct.last_byte),
        ],
        goal: "<= 1 ms added at p50 (first and last byte)".into(),
        met,
        summary: format!(
            "pika-local adds {} ms to the first byte, {} ms to the first answer text and {} ms to the \
             last byte at p50 ({} sequential warm turns)",
            cell(added_first / 1000.0, 3),
            cell(added_delta / 1000.0, 3),
            cell(added_last / 1000.0, 3),
            sizes.turns,
        ),
        notes: format!(
            "Release pika-local (SQLite, no embedded model) on loopback; its model is \
             bench/src/bin/model_standin.rs, an OpenAI-compatible server streaming a fixed \
             5-piece answer at once (the anchor is the same streamed request sent to it \
             directly, so the model's time cancels out). {} turns after {} warm-up turns, \
             round-robin over {} sessions whose first turn (and title) came before; each turn is \
             `POST /sessions/{{id}}/messages` read to its end (`done`) with reqwest. \
             First answer text: the first `delta` event (pika) / the first content chunk (direct). \
             Fair-use turn limits and the server rate limit are off for the run; jobs off.",
            sizes.turns, sizes.warmup, sizes.sessions
        ),
    }
    .write()?;
    Ok(())
}

/// The measures of one side.
#[derive(Default)]
struct Measures {
    first_byte: Samples,
    first_delta: Samples,
    last_byte: Samples,
}

impl Measures {
    fn add(&mut self, t: &Timed) {
        self.first_byte.push_micros(t.first_byte);
        self.first_delta.push_micros(t.first_marker);
        self.last_byte.push_micros(t.last_byte);
    }
}

/// The turn, when it was answered in full.
fn check(t: &Timed, platform: bool) -> Result<Timed, BoxError> {
    let ok = t.status == 200
        && if platform {
            turn_finished(&t.body)
        } else {
            t.body.contains("[DONE]")
        };
    if ok {
        Ok(t.clone())
    } else {
        Err(format!("turn failed: {} {}", t.status, t.body).into())
    }
}

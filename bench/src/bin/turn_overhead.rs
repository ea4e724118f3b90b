//! Row 2: the orchestration overhead of a whole turn on the in-memory
//! fakes, with a scripted model that answers at once (so the model costs
//! nothing): each turn opens a session, stores the question, runs the
//! model, streams the answer and stores it. p50 and p99 over many turns
//! after a warm-up.

use pika_bench::turns::timed_turn;
use pika_bench::{cell, tiny, RowResult, Samples};
use pika_service::{PlatformBuilder, TurnTarget};
use pika_testkit::{fixtures, FakePorts};
use std::error::Error;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn Error>> {
    let (warm_up, turns) = if tiny() { (5, 20) } else { (500, 5000) };
    let fakes = FakePorts::with_site(pika_bench::turns::bench_site());
    let (app, agent) = (
        fixtures::chat_app("bench", "agent"),
        fixtures::agent("agent", &[]),
    );
    fakes.seed_app(&app, &agent, &[]).await?;
    let platform = PlatformBuilder::from_ports(fakes.ports()).build()?;
    let user = fixtures::customer("alice");

    let mut new_session = Samples::default();
    let mut in_session = Samples::default();
    let mut session = None;
    for i in 0..warm_up + turns {
        // Every tenth turn opens a session; the others continue it (a
        // history of at most 20 messages).
        let target = match session {
            Some(id) if i % 10 != 0 => TurnTarget::Session(id),
            _ => TurnTarget::NewSession(fixtures::chat_app_id("bench")),
        };
        let opens = matches!(target, TurnTarget::NewSession(_));
        let (id, took) = timed_turn(&platform, &fakes.runtime, &user, target).await?;
        session = Some(id);
        if i >= warm_up {
            if opens {
                new_session.push_micros(took);
            } else {
                in_session.push_micros(took);
            }
        }
    }

    let p50 = in_session.median();
    let row = |name: &str, s: &Samples| {
        vec![
            name.to_string(),
            s.0.len().to_string(),
            cell(s.min(), 1),
            cell(s.median(), 1),
            cell(s.quantile(0.99), 1),
            cell(s.max(), 1),
        ]
    };
    RowResult {
        row: 2,
        title: "Orchestration overhead of a whole turn (fakes, scripted model)".into(),
        command: "bash bench/run.sh 02".into(),
        columns: ["turn", "turns", "min µs", "p50 µs", "p99 µs", "max µs"]
            .map(String::from)
            .to_vec(),
        rows: vec![
            row("in an open session", &in_session),
            row("opening a session", &new_session),
        ],
        goal: "≤ 50 µs p50".into(),
        met: p50 <= 50.0,
        summary: format!(
            "p50 {} µs, p99 {} µs in an open session",
            cell(p50, 1),
            cell(in_session.quantile(0.99), 1)
        ),
        notes: "The model is `pika-testkit`'s scripted runtime answering `ok` at once; \
                every store is an in-memory fake. Time runs from `ChatService::send` \
                to the turn's last event (its answer stored). No anchor: the figure \
                is the platform's own cost."
            .into(),
    }
    .write()?;
    Ok(())
}

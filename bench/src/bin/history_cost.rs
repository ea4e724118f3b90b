//! Row 3: the cost of history. A turn in a session of 10 messages against
//! a turn in a session of 10 000, on the in-memory fakes, on SQLite and on
//! DynamoDB (moto); turns of the two sessions alternate so drift hits both
//! alike. Goal: ratio ≤ 1.2.

use pika_bench::turns::timed_turn;
use pika_bench::{cell, tiny, RowResult, Samples};
use pika_domain::ids::SessionId;
use pika_domain::message::Message;
use pika_local_adapters::sqlite::{SqliteDb, SqliteStores};
use pika_ports::{IdGeneratorExt, Ports};
use pika_service::{PlatformBuilder, TurnTarget};
use pika_testkit::{fixtures, FakePorts};
use std::error::Error;
use std::sync::Arc;

const SHORT: usize = 10;

/// Turns in a short and a long session on `ports`: the two medians in µs.
async fn measure(
    fakes: &FakePorts,
    ports: Ports,
    long: usize,
    turns: usize,
) -> Result<(Samples, Samples), Box<dyn Error>> {
    let platform = PlatformBuilder::from_ports(ports.clone()).build()?;
    let user = fixtures::customer("alice");
    let open = || TurnTarget::NewSession(fixtures::chat_app_id("bench"));
    let (short_id, _) = timed_turn(&platform, &fakes.runtime, &user, open()).await?;
    let (long_id, _) = timed_turn(&platform, &fakes.runtime, &user, open()).await?;
    fill(&ports, short_id, SHORT - 2).await?;
    fill(&ports, long_id, long - 2).await?;
    let (mut short, mut long) = (Samples::default(), Samples::default());
    for i in 0..turns * 2 {
        let (id, samples) = if i % 2 == 0 {
            (short_id, &mut short)
        } else {
            (long_id, &mut long)
        };
        let (_, took) =
            timed_turn(&platform, &fakes.runtime, &user, TurnTarget::Session(id)).await?;
        // The first turn of each warms caches and prepared statements.
        if i >= 2 {
            samples.push_micros(took);
        }
    }
    Ok((short, long))
}

/// Adds `n` messages to `session`, questions and answers in turn.
async fn fill(ports: &Ports, session: SessionId, n: usize) -> Result<(), Box<dyn Error>> {
    let now = ports.clock.now();
    for i in 0..n {
        let id = ports.ids.message_id();
        let message = if i % 2 == 0 {
            Message::user(session, id, format!("question {i} about the order"), now)
        } else {
            let mut m = Message::assistant(session, id, now);
            m.content = format!("answer {i}: it has shipped and arrives on Tuesday");
            m
        };
        ports.messages.put(&message).await?;
    }
    Ok(())
}

fn seeded() -> FakePorts {
    FakePorts::with_site(pika_bench::turns::bench_site())
}

async fn seed(fakes: &FakePorts) -> Result<(), Box<dyn Error>> {
    let (app, agent) = (
        fixtures::chat_app("bench", "agent"),
        fixtures::agent("agent", &[]),
    );
    fakes.seed_app(&app, &agent, &[]).await?;
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn Error>> {
    let (long, turns) = if tiny() { (100, 5) } else { (10_000, 200) };
    let mut rows = Vec::new();
    let mut worst: f64 = 0.0;

    let fakes = seeded();
    seed(&fakes).await?;
    let on_fakes = measure(&fakes, fakes.ports(), long, turns).await?;

    let dir = tempfile::tempdir()?;
    let sqlite = SqliteStores::new(SqliteDb::open(dir.path().join("bench.db"))?);
    let fakes_for_sqlite = seeded();
    seed(&fakes_for_sqlite).await?;
    let ports = Ports {
        sessions: Arc::new(sqlite.sessions.clone()),
        messages: Arc::new(sqlite.messages.clone()),
        usage: Arc::new(sqlite.usage.clone()),
        turns: Arc::new(sqlite.turns.clone()),
        allowances: Arc::new(sqlite.allowances.clone()),
        ..fakes_for_sqlite.ports()
    };
    let on_sqlite = measure(&fakes_for_sqlite, ports, long, turns).await?;

    // moto answers each request in Python, and its Query reads the whole
    // partition before it applies the limit: fewer turns, and the figure
    // says what moto costs, not what DynamoDB does.
    let (sdk, _moto) = pika_bench::dynamo::moto_sdk_config().await?;
    let fakes_for_dynamo = seeded();
    let ports = pika_bench::dynamo::dynamo_ports(
        aws_sdk_dynamodb::Client::new(&sdk),
        "history",
        &fakes_for_dynamo,
        pika_bench::turns::bench_site(),
    )
    .await?;
    let on_moto = measure(&fakes_for_dynamo, ports, long, turns.min(20)).await?;

    for (store, (short, long_s)) in [
        ("in-memory fakes", on_fakes),
        ("SQLite (file, WAL)", on_sqlite),
        ("DynamoDB on moto (not judged)", on_moto),
    ] {
        let ratio = long_s.median() / short.median().max(f64::MIN_POSITIVE);
        if !store.contains("moto") {
            worst = worst.max(ratio);
        }
        rows.push(vec![
            store.to_string(),
            cell(short.median(), 1),
            cell(long_s.median(), 1),
            cell(long_s.quantile(0.99), 1),
            cell(ratio, 2),
        ]);
    }
    RowResult {
        row: 3,
        title: format!("History cost: a turn in a {SHORT}-message vs a {long}-message session"),
        command: "bash bench/run.sh 03".into(),
        columns: [
            "store",
            "p50 µs, 10 messages",
            "p50 µs, long session",
            "p99 µs, long session",
            "ratio",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        goal: "ratio ≤ 1.2".into(),
        met: worst <= 1.2,
        summary: format!("worst ratio {}", cell(worst, 2)),
        notes: "Scripted model answering at once; on SQLite the sessions, messages, usage, \
                turn control and allowances are SQLite's, the configuration stays in memory; \
                on moto every store, the journal and turn control are DynamoDB's. The goal is \
                judged on the fakes and SQLite: moto serves each request in Python and its \
                Query reads the whole partition before the limit, where DynamoDB reads only \
                the page (the history read is one Query, newest first, with a limit), so its \
                ratio is moto's cost. Fewer turns on moto (at most 20 a session)."
            .into(),
    }
    .write()?;
    Ok(())
}

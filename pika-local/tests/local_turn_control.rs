#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Turns on the local server's SQLite stores: turn control across
//! processes on one SQLite file (two `ChatService`s, as two `pika-local`
//! instances on one database), the scenario of
//! `pika-service/tests/turn_control_support`; and the large answer of
//! `large_answer_support`.

#[path = "../../pika-service/tests/turn_control_support/mod.rs"]
mod turn_control_support;

#[path = "../../pika-service/tests/large_answer_support/mod.rs"]
mod large_answer_support;

use pika_local_adapters::sqlite::{SqliteDb, SqliteStores};
use pika_ports::Ports;
use pika_testkit::FakePorts;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_over_one_sqlite_file_share_one_turn() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pika.db");
    // Two openings of the file, as two processes would have.
    let (one, two) = (
        SqliteStores::new(SqliteDb::open(&path).unwrap()),
        SqliteStores::new(SqliteDb::open(&path).unwrap()),
    );
    let fakes = FakePorts::new();
    turn_control_support::two_processes_share_one_turn_across(
        ports(&one, &fakes),
        ports(&two, &fakes),
        &fakes,
    )
    .await;
}

#[tokio::test]
async fn a_large_answer_is_stored_and_replayed_whole_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let stores = SqliteStores::new(SqliteDb::open(dir.path().join("pika.db")).unwrap());
    let fakes = FakePorts::new();
    large_answer_support::a_large_answer_is_stored_and_replayed_whole(
        ports(&stores, &fakes),
        &fakes,
    )
    .await;
}

/// The SQLite stores, over `fakes` for the rest (the model, the tools).
fn ports(s: &SqliteStores, fakes: &FakePorts) -> Ports {
    Ports {
        sessions: Arc::new(s.sessions.clone()),
        messages: Arc::new(s.messages.clone()),
        chat_apps: Arc::new(s.chat_apps.clone()),
        site: Arc::new(s.site.clone()),
        agents: Arc::new(s.agents.clone()),
        tools: Arc::new(s.tools.clone()),
        users: Arc::new(s.users.clone()),
        feedback: Arc::new(s.feedback.clone()),
        usage: Arc::new(s.usage.clone()),
        job_lock: Arc::new(s.job_lock.clone()),
        memory: Arc::new(s.memory.clone()),
        turns: Arc::new(s.turns.clone()),
        allowances: Arc::new(s.allowances.clone()),
        ..fakes.ports()
    }
}

//! The SQLite stores against every store contract suite of the testkit,
//! each case on a fresh database file; then reopening a database, and a
//! burst of 200 concurrent turns on a multi-thread runtime.

#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pika_domain::chrono::Duration;
use pika_domain::cost::Usage;
use pika_domain::message::Message;
use pika_domain::quota::{bucket_start, QuotaScope};
use pika_local_adapters::sqlite::{
    SqliteAgentStore, SqliteAllowances, SqliteChatAppStore, SqliteDb, SqliteFeedbackStore,
    SqliteJobLock, SqliteMessageStore, SqliteSessionStore, SqliteSiteStore, SqliteStores,
    SqliteToolStore, SqliteTurnControl, SqliteUsageLedger, SqliteUserMemory, SqliteUserStore,
    SCHEMA_VERSION,
};
use pika_ports::{
    ChatAppStore, IdGeneratorExt, MessageStore, PageRequest, PortError, SessionStore, TurnRecord,
    UsageLedger, UsageRecord,
};
use pika_testkit::contracts::{
    allowances, config, feedback, job_lock, memory, messages, sessions, site, turns, usage, users,
};
use pika_testkit::fakes::clock::SequentialIds;
use pika_testkit::fixtures::{chat_app, chat_app_id, entity_id, session, t0, user_id};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tempfile::TempDir;

/// Fresh database files in one temporary directory, removed at the end.
struct Fresh {
    dir: TempDir,
    next: AtomicUsize,
}

impl Fresh {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
            next: AtomicUsize::new(0),
        }
    }

    fn path(&self) -> PathBuf {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        self.dir.path().join(format!("pika-{n}.sqlite3"))
    }

    /// A new, empty database of its own.
    fn db(&self) -> SqliteDb {
        SqliteDb::open(self.path()).expect("open a fresh database")
    }
}

/// A test running `suite` with a fresh database file per factory call.
macro_rules! contract {
    ($($name:ident: $suite:path => $store:ident;)*) => {$(
        #[tokio::test]
        async fn $name() {
            let fresh = Fresh::new();
            $suite(|| {
                let db = fresh.db();
                async move { $store::new(db) }
            })
            .await;
        }
    )*};
}

contract! {
    session_store_honours_its_contract: sessions::session_store_contract => SqliteSessionStore;
    message_store_honours_its_contract: messages::message_store_contract => SqliteMessageStore;
    chat_app_store_honours_its_contract: config::chat_app_store_contract => SqliteChatAppStore;
    agent_store_honours_its_contract: config::agent_store_contract => SqliteAgentStore;
    site_store_honours_its_contract: site::site_store_contract => SqliteSiteStore;
    allowance_store_honours_its_contract: allowances::allowance_store_contract => SqliteAllowances;
    turn_control_honours_its_contract: turns::turn_control_contract => SqliteTurnControl;
    tool_store_honours_its_contract: config::tool_store_contract => SqliteToolStore;
    user_store_honours_its_contract: users::user_store_contract => SqliteUserStore;
    feedback_store_honours_its_contract: feedback::feedback_store_contract => SqliteFeedbackStore;
    usage_ledger_honours_its_contract: usage::usage_ledger_contract => SqliteUsageLedger;
    job_lock_honours_its_contract: job_lock::job_lock_contract => SqliteJobLock;
    user_memory_honours_its_contract: memory::user_memory_contract => SqliteUserMemory;
}

#[tokio::test]
async fn in_memory_databases_honour_the_contracts_too() {
    let memory_db = || SqliteDb::open_in_memory().expect("an in-memory database");
    sessions::session_store_contract(|| {
        let db = memory_db();
        async move { SqliteSessionStore::new(db) }
    })
    .await;
    messages::message_store_contract(|| {
        let db = memory_db();
        async move { SqliteMessageStore::new(db) }
    })
    .await;
    usage::usage_ledger_contract(|| {
        let db = memory_db();
        async move { SqliteUsageLedger::new(db) }
    })
    .await;
}

fn usage_of(input: u64, output: u64) -> Usage {
    let input_cost = input as f64 * 3.0 / 1e6;
    let output_cost = output as f64 * 15.0 / 1e6;
    Usage {
        input_tokens: input,
        output_tokens: output,
        input_cost,
        output_cost,
        total_cost: input_cost + output_cost,
    }
}

#[tokio::test]
async fn reopening_keeps_the_data_and_the_schema() {
    let fresh = Fresh::new();
    let path = fresh.path();
    let ids = SequentialIds::new();
    let s = session(&ids, "alice", "app-a", "acme");
    let m = Message::user(s.session_id, ids.message_id(), "hello".to_string(), t0());
    let app = chat_app("app-a", "agent");
    {
        let db = SqliteDb::open(&path).unwrap();
        assert_eq!(db.schema_version().await.unwrap(), SCHEMA_VERSION);
        let stores = SqliteStores::new(db);
        stores.sessions.create(&s).await.unwrap();
        stores.messages.put(&m).await.unwrap();
        stores.chat_apps.create(&app).await.unwrap();
    }
    // Reopened twice, and once while another handle is open.
    let first = SqliteDb::open(&path).unwrap();
    let second = SqliteDb::open(&path).unwrap();
    for db in [first, second] {
        assert_eq!(db.schema_version().await.unwrap(), SCHEMA_VERSION);
        assert_eq!(db.path(), Some(path.as_path()));
        let stores = SqliteStores::new(db);
        assert_eq!(
            stores.sessions.get(&s.session_id).await.unwrap(),
            Some(s.clone())
        );
        assert_eq!(
            stores
                .messages
                .get(&s.session_id, &m.message_id)
                .await
                .unwrap(),
            Some(m.clone())
        );
        assert_eq!(
            stores.chat_apps.get(&app.chat_app_id).await.unwrap(),
            Some(app.clone())
        );
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let applied: i64 = conn
        .query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        applied,
        i64::from(SCHEMA_VERSION),
        "each migration ran once"
    );
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal", "the database is in WAL mode");
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    let fresh = Fresh::new();
    let path = fresh.path();
    drop(SqliteDb::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO schema_version (version, name, applied_at) VALUES (?1, 'future', '')",
        [SCHEMA_VERSION + 1],
    )
    .unwrap();
    drop(conn);
    let err = SqliteDb::open(&path).unwrap_err();
    assert_eq!(err.kind, pika_ports::ErrorKind::Permanent, "{err}");
}

const TURNS: usize = 200;
const USERS: usize = 10;

/// One turn as the chat service stores it, plus reads racing the writes.
async fn one_turn(
    stores: SqliteStores,
    ids: Arc<SequentialIds>,
    hot: pika_domain::ids::SessionId,
    i: usize,
) -> Result<(), PortError> {
    let user = format!("user-{}", i % USERS);
    let s = session(&*ids, &user, "app-a", "acme");
    let at = t0() + Duration::seconds(i as i64);
    stores.sessions.create(&s).await?;
    let question = Message::user(s.session_id, ids.message_id(), format!("question {i}"), at);
    let mut answer = Message::assistant(s.session_id, ids.message_id(), at);
    answer.content = format!("answer {i}");
    answer.usage = Some(usage_of(100, 20));
    stores.messages.put(&question).await?;
    stores.messages.put(&answer).await?;
    let turn = TurnRecord {
        usage: usage_of(100, 20),
        last_message_id: answer.message_id,
        at,
        mark_for_insights: true,
    };
    stores.sessions.record_turn(&s.session_id, &turn).await?;
    stores.sessions.record_turn(&hot, &turn).await?;
    stores
        .usage
        .record(&UsageRecord {
            also: Vec::new(),
            counts_turn: true,
            at,
            user_id: user_id(&user),
            entity_id: entity_id("acme"),
            chat_app_id: chat_app_id("app-a"),
            model_id: "model-x".to_string(),
            usage: usage_of(100, 20),
        })
        .await?;
    let history = stores.messages.latest(&s.session_id, 10).await?;
    assert_eq!(history, vec![question, answer], "the turn's history");
    stores
        .sessions
        .list_by_user(&user_id(&user), None, PageRequest::first(5))
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn two_hundred_concurrent_turns_all_succeed() {
    let fresh = Fresh::new();
    let stores = SqliteStores::new(fresh.db());
    let ids = Arc::new(SequentialIds::new());
    let hot = session(&*ids, "hot", "app-a", "acme");
    stores.sessions.create(&hot).await.unwrap();

    let tasks: Vec<_> = (0..TURNS)
        .map(|i| {
            tokio::spawn(one_turn(
                stores.clone(),
                Arc::clone(&ids),
                hot.session_id,
                i,
            ))
        })
        .collect();
    let mut errors = Vec::new();
    for task in tasks {
        if let Err(e) = task.await.expect("a turn task panicked") {
            errors.push(e);
        }
    }
    assert!(
        errors.is_empty(),
        "{} turns failed: {errors:?}",
        errors.len()
    );

    // Every session, in pages, newest first.
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = stores
            .sessions
            .list_by_entity(&entity_id("acme"), PageRequest::after(37, cursor))
            .await
            .unwrap();
        all.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(all.len(), TURNS + 1, "every session plus the hot one");
    assert!(all.windows(2).all(|w| w[0].session_id > w[1].session_id));
    for s in all.iter().filter(|s| s.session_id != hot.session_id) {
        assert_eq!(s.usage.tokens().total(), 120, "one turn of usage each");
        let messages = stores
            .messages
            .list(&s.session_id, PageRequest::first(10))
            .await
            .unwrap();
        assert_eq!(messages.items.len(), 2, "two messages per session");
    }
    let per_user = stores
        .sessions
        .list_by_user(&user_id("user-3"), None, PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(per_user.items.len(), TURNS / USERS);

    let hot_after = stores.sessions.get(&hot.session_id).await.unwrap().unwrap();
    let turns = TURNS as u64;
    assert_eq!(hot_after.usage.input_tokens, 100 * turns, "no lost add");
    assert_eq!(hot_after.usage.output_tokens, 20 * turns, "no lost add");
    assert!((hot_after.usage.total_cost - 0.0006 * TURNS as f64).abs() < 1e-6);

    let since = bucket_start(t0());
    let entity = stores
        .usage
        .buckets(QuotaScope::Entity, "acme", since)
        .await
        .unwrap();
    assert_eq!(entity.iter().map(|b| b.tokens).sum::<u64>(), 120 * turns);
    let user = stores
        .usage
        .buckets(QuotaScope::User, "user-3", since)
        .await
        .unwrap();
    assert_eq!(
        user.iter().map(|b| b.tokens).sum::<u64>(),
        120 * (TURNS / USERS) as u64
    );
    let daily = stores
        .usage
        .daily(t0().date_naive(), t0().date_naive())
        .await
        .unwrap();
    assert_eq!(daily.len(), 1);
    assert_eq!(daily[0].turns, turns, "every turn counted once");

    let pending = stores
        .sessions
        .list_needing_insights(t0() + Duration::days(1), 1000)
        .await
        .unwrap();
    assert_eq!(
        pending.len(),
        TURNS + 1,
        "every session is marked for insights"
    );
}

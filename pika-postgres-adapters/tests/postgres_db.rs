//! The database handle on a real server: migrations applied once however
//! many servers start together, data kept across connections, a newer
//! schema refused, bad settings and an unreachable server reported by
//! kind; then 200 concurrent turns through one pool.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use pika_domain::chrono::Duration;
use pika_domain::cost::Usage;
use pika_domain::message::Message;
use pika_domain::quota::{bucket_start, QuotaScope};
use pika_ports::{
    ErrorKind, IdGeneratorExt, MessageStore, PageRequest, PortError, SessionStore, TurnRecord,
    UsageLedger, UsageRecord,
};
use pika_postgres_adapters::{PostgresDb, PostgresOptions, PostgresStores, SCHEMA_VERSION};
use pika_testkit::fakes::clock::SequentialIds;
use pika_testkit::fixtures::{chat_app_id, entity_id, session, t0, user_id};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn servers_starting_together_migrate_once_and_share_the_data() {
    let Some(url) = support::server() else { return };
    let options = support::fresh_options(&url);
    let opened = futures_join(
        (0..4)
            .map(|_| {
                let options = options.clone();
                tokio::spawn(async move { PostgresDb::connect(&options).await })
            })
            .collect(),
    )
    .await;
    let dbs: Vec<PostgresDb> = opened.into_iter().map(|r| r.unwrap()).collect();
    for db in &dbs {
        assert_eq!(db.schema_version().await.unwrap(), SCHEMA_VERSION);
    }
    let ids = SequentialIds::new();
    let s = session(&ids, "alice", "app-a", "acme");
    let m = Message::user(s.session_id, ids.message_id(), "hello".to_string(), t0());
    let first = PostgresStores::new(dbs[0].clone());
    first.sessions.create(&s).await.unwrap();
    first.messages.put(&m).await.unwrap();
    // A connection opened afterwards, as a restarted server's.
    let later = PostgresStores::new(PostgresDb::connect(&options).await.unwrap());
    assert_eq!(
        later.sessions.get(&s.session_id).await.unwrap(),
        Some(s.clone())
    );
    assert_eq!(
        later
            .messages
            .get(&s.session_id, &m.message_id)
            .await
            .unwrap(),
        Some(m)
    );
}

async fn futures_join<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.expect("a task panicked"));
    }
    out
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    let Some(url) = support::server() else { return };
    let options = support::fresh_options(&url);
    drop(PostgresDb::connect(&options).await.unwrap());
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let schema = options.schema.clone().unwrap();
    client
        .execute(
            &format!(
                "INSERT INTO {schema}.schema_version (version, name, applied_at) \
                 VALUES ($1, 'future', '')"
            ),
            &[&i64::from(SCHEMA_VERSION + 1)],
        )
        .await
        .unwrap();
    let err = PostgresDb::connect(&options).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent, "{err}");
}

#[tokio::test]
async fn bad_settings_and_a_missing_server_say_what_is_wrong() {
    let err = PostgresDb::connect(&PostgresOptions::new("postgres://pika@127.0.0.1:1/pika"))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind,
        ErrorKind::Transient,
        "no server: try again later ({err})"
    );
    let err = PostgresDb::connect(&PostgresOptions::new("postgres://[::1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid, "{err}");
    let err = PostgresDb::connect(
        &PostgresOptions::new("postgres://pika@127.0.0.1:1/pika").with_schema("x; DROP TABLE y"),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid, "{err}");
}

const TURNS: usize = 200;
const USERS: usize = 10;

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

/// One turn as the chat service stores it, plus reads racing the writes.
async fn one_turn(
    stores: PostgresStores,
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
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn two_hundred_concurrent_turns_all_succeed_and_add_up() {
    let Some(url) = support::server() else { return };
    let stores = PostgresStores::new(support::fresh_db(&url).await);
    let ids = Arc::new(SequentialIds::new());
    let hot = session(&*ids, "hot", "app-a", "acme");
    stores.sessions.create(&hot).await.unwrap();
    let tasks = (0..TURNS)
        .map(|i| {
            tokio::spawn(one_turn(
                stores.clone(),
                Arc::clone(&ids),
                hot.session_id,
                i,
            ))
        })
        .collect();
    let errors: Vec<PortError> = futures_join(tasks)
        .await
        .into_iter()
        .filter_map(Result::err)
        .collect();
    assert!(
        errors.is_empty(),
        "{} turns failed: {errors:?}",
        errors.len()
    );

    let hot_after = stores.sessions.get(&hot.session_id).await.unwrap().unwrap();
    let turns = TURNS as u64;
    assert_eq!(hot_after.usage.input_tokens, 100 * turns, "no lost add");
    assert_eq!(hot_after.usage.output_tokens, 20 * turns, "no lost add");
    let per_user = stores
        .sessions
        .list_by_user(&user_id("user-3"), None, PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(per_user.items.len(), TURNS / USERS);
    let entity = stores
        .usage
        .buckets(QuotaScope::Entity, "acme", bucket_start(t0()))
        .await
        .unwrap();
    assert_eq!(entity.iter().map(|b| b.tokens).sum::<u64>(), 120 * turns);
    let daily = stores
        .usage
        .daily(t0().date_naive(), t0().date_naive())
        .await
        .unwrap();
    assert_eq!(daily.len(), 1);
    assert_eq!(daily[0].turns, turns, "every turn counted once");
}

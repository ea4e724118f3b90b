//! A chat turn on the DynamoDB stores, its requests counted by an SDK
//! interceptor: a warm turn (existing session, configuration cached, no
//! quotas) costs 3 reads (the session, the history page, the user's
//! fair-use record) and 6 writes (the start and the finish transactions of
//! the turn journal, the session's hold taken and freed, the user's
//! fair-use record at admission and release); a retry is replayed; two
//! processes share a turn;
//! a turn whose process died is closed by a retry.
#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod dynamo_turn_support;
mod moto_support;

use aws_sdk_dynamodb::Client;
use dynamo_turn_support::{count, platform, run, READS, WRITES};
use pika_aws_adapters::dynamodb::messages::DynamoMessageStore;
use pika_aws_adapters::dynamodb::sessions::DynamoSessionStore;
use pika_aws_adapters::dynamodb::usage::DynamoUsageLedger;
use pika_aws_adapters::dynamodb::{create_tables, Dynamo, DynamoStores};
use pika_domain::message::Role;
use pika_domain::quota::QuotaScope;
use pika_domain::stream::TurnEvent;
use pika_ports::{
    Clock, CompletionPurpose, IdGeneratorExt, MessageStore, SessionStore, UsageLedger,
};
use pika_service::{SendMessage, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::{fixtures, FakePorts};

#[tokio::test]
async fn a_warm_turn_costs_three_reads_and_six_writes() {
    let p = platform().await;
    p.fakes
        .runtime
        .push(Script::answer("Paris.").usage(100, 20));
    p.fakes
        .completions
        .push(CompletionPurpose::Title, "Capital");
    let first = SendMessage::new(
        TurnTarget::NewSession(fixtures::chat_app_id("support")),
        "Capital of France?",
    );
    let (stream, events) = run(&p, first).await;
    assert!(
        matches!(events.last(), Some(TurnEvent::Done { .. })),
        "{events:?}"
    );
    let session = stream.session_id;
    let cold = p.requests.take();

    p.fakes
        .runtime
        .push(Script::answer("About two million.").usage(150, 30));
    let (_, events) = run(
        &p,
        SendMessage::new(TurnTarget::Session(session), "How many people?"),
    )
    .await;
    assert!(
        matches!(events.last(), Some(TurnEvent::Done { .. })),
        "{events:?}"
    );
    let warm = p.requests.take();

    assert_eq!(count(&warm, READS), 3, "reads of a warm turn: {warm:?}");
    // The journal's two transactions, the session's hold taken and freed
    // (turn control across containers), the user's fair-use record at
    // admission and release (the release names the version written: no read).
    assert_eq!(count(&warm, WRITES), 6, "writes of a warm turn: {warm:?}");
    assert_eq!(
        warm.iter()
            .filter(|o| ["PutItem", "DeleteItem"].contains(&o.as_str()))
            .count(),
        4,
        "{warm:?}"
    );
    assert_eq!(
        warm.iter()
            .filter(|o| o.as_str() == "TransactWriteItems")
            .count(),
        2,
        "{warm:?}"
    );
    assert!(
        count(&cold, READS) >= 2,
        "the cold turn also read the configuration: {cold:?}"
    );

    // What the two transactions stored.
    let messages = DynamoMessageStore::new(p.dynamo.clone());
    let history = messages.latest(&session, 10).await.unwrap();
    let roles: Vec<Role> = history.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::User, Role::Assistant, Role::User, Role::Assistant]
    );
    assert_eq!(history[3].content, "About two million.");
    let stored = DynamoSessionStore::new(p.dynamo.clone())
        .get(&session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.last_message_id, Some(history[3].message_id));
    let answered: u64 = history
        .iter()
        .filter_map(|m| m.usage)
        .map(|u| u.input_tokens + u.output_tokens)
        .sum();
    assert_eq!(
        stored.usage.input_tokens + stored.usage.output_tokens,
        answered
    );
    let since = fixtures::t0() - pika_domain::chrono::Duration::hours(2);
    let buckets = DynamoUsageLedger::new(p.dynamo.clone())
        .buckets(QuotaScope::User, "alice", since)
        .await
        .unwrap();
    assert_eq!(buckets.iter().map(|b| b.tokens).sum::<u64>(), answered);
}

#[tokio::test]
async fn a_retried_message_is_replayed_from_the_start_transaction() {
    let p = platform().await;
    p.fakes.runtime.push(Script::answer("Only once."));
    p.fakes.completions.push(CompletionPurpose::Title, "Once");
    let cid = pika_domain::ids::ClientMessageId::parse("client-7").unwrap();
    let send = || {
        SendMessage::new(
            TurnTarget::NewSession(fixtures::chat_app_id("support")),
            "Hi",
        )
        .with_client_id(cid.clone())
    };
    let (first, first_events) = run(&p, send()).await;
    let (again, again_events) = run(&p, send()).await;

    assert!(again.replayed);
    assert_eq!(again.session_id, first.session_id);
    assert_eq!(again_events, first_events);
    let messages = DynamoMessageStore::new(p.dynamo.clone());
    assert_eq!(
        messages.latest(&first.session_id, 10).await.unwrap().len(),
        2
    );
    assert_eq!(p.fakes.runtime.calls(), 1, "no second model call");
}

#[tokio::test]
async fn a_turn_whose_process_died_is_closed_by_a_retry_once_its_hold_ran_out() {
    let p = platform().await;
    p.fakes.runtime.push(Script::answer("First."));
    p.fakes.completions.push(CompletionPurpose::Title, "Chat");
    let (first, _) = run(
        &p,
        SendMessage::new(
            TurnTarget::NewSession(fixtures::chat_app_id("support")),
            "Hi",
        ),
    )
    .await;
    let session = first.session_id;

    // What a process that died mid-turn leaves: its hold on the session
    // (running out 30 s later), the client id claimed, the question stored,
    // no answer.
    let alice = fixtures::customer("alice");
    let cid = pika_domain::ids::ClientMessageId::parse("crash-9").unwrap();
    let messages = DynamoMessageStore::new(p.dynamo.clone());
    let claim = pika_ports::TurnClaim {
        session_id: session,
        user_message_id: p.ports.ids.message_id(),
        assistant_message_id: p.ports.ids.message_id(),
        claimed_at: p.fakes.clock.now(),
    };
    messages
        .claim_client_message(&alice.user_id, &cid, &claim)
        .await
        .unwrap();
    let question = pika_domain::message::Message::user(
        session,
        claim.user_message_id,
        "Still there?".into(),
        p.fakes.clock.now(),
    );
    messages.put(&question).await.unwrap();
    let lease = pika_ports::TurnLease {
        session_id: session,
        assistant_message_id: claim.assistant_message_id,
        expires_at: p.fakes.clock.now() + pika_domain::chrono::Duration::seconds(30),
    };
    p.ports
        .turns
        .begin(&lease, p.fakes.clock.now())
        .await
        .unwrap();

    let retry = || {
        SendMessage::new(TurnTarget::Session(session), "Still there?").with_client_id(cid.clone())
    };
    let user = fixtures::customer("alice");
    assert!(matches!(
        p.chat.send(&user, retry()).await,
        Err(pika_service::ServiceError::Conflict(_))
    ));
    p.fakes
        .clock
        .advance(pika_domain::chrono::Duration::seconds(31));
    p.fakes.runtime.push(Script::answer("Yes."));
    let (again, events) = run(&p, retry()).await;
    assert!(!again.replayed);
    assert!(
        matches!(events.last(), Some(TurnEvent::Done { .. })),
        "{events:?}"
    );
    let history = messages.latest(&session, 10).await.unwrap();
    let roles: Vec<Role> = history.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Role::User,
            Role::Assistant,
            Role::User,
            Role::Assistant,
            Role::User,
            Role::Assistant
        ]
    );
    assert_eq!(history[3].message_id, claim.assistant_message_id);
    assert_eq!(history[3].error.as_ref().unwrap().code, "internal");
    assert_eq!(history[5].content, "Yes.");
}

// Turn control across processes on DynamoDB: the scenario of
// `pika-service/tests/turn_control_support`, two `ChatService`s over the
// same tables (with the turn journal, as on Lambda).
#[path = "../../pika-service/tests/turn_control_support/mod.rs"]
mod turn_control_support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_over_one_dynamodb_share_one_turn() {
    let sdk = moto_support::sdk_config().await;
    let prefix = moto_support::unique_name("turns");
    let client = Client::new(&sdk);
    create_tables(&client, &prefix).await.unwrap();
    let dynamo = Dynamo::new(client, prefix);
    let fakes = FakePorts::new();
    let stores = DynamoStores::new(&dynamo);
    let ports = stores.into_ports(fakes.ports());
    turn_control_support::two_processes_share_one_turn(ports, &fakes).await;
}

//! A chat turn on the DynamoDB stores, its requests counted by an SDK
//! interceptor: a warm turn (existing session, configuration cached, no
//! quotas) costs 2 reads (the session, the history page) and 4 writes (the
//! start and the finish transactions of the turn journal, the session's
//! hold taken and freed). Then the turns
//! that end badly: a session deleted under a turn, a turn whose process
//! died before it finished.
#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod moto_support;

use aws_sdk_dynamodb::config::Intercept;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use futures::StreamExt;
use pika_aws_adapters::dynamodb::messages::DynamoMessageStore;
use pika_aws_adapters::dynamodb::sessions::DynamoSessionStore;
use pika_aws_adapters::dynamodb::usage::DynamoUsageLedger;
use pika_aws_adapters::dynamodb::{create_tables, table_name, tables, Dynamo, DynamoStores};
use pika_domain::message::Role;
use pika_domain::quota::QuotaScope;
use pika_domain::site::SiteRecord;
use pika_domain::stream::TurnEvent;
use pika_ports::{
    Clock, CompletionPurpose, IdGeneratorExt, MessageStore, Ports, SessionStore, UsageLedger,
};
use pika_service::{ChatService, ConfigCache, SendMessage, ServiceSettings, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::{fixtures, FakePorts};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Records the name of every DynamoDB operation the client executes.
#[derive(Debug, Clone, Default)]
struct Requests(Arc<Mutex<Vec<String>>>);

impl Requests {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Intercept for Requests {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    /// Every request sent (retries included), named by its `x-amz-target`
    /// header (`DynamoDB_20120810.GetItem`).
    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or_default();
        let operation = target.rsplit('.').next().unwrap_or_default();
        self.0.lock().unwrap().push(operation.to_string());
        Ok(())
    }
}

const READS: &[&str] = &["GetItem", "BatchGetItem", "Query", "Scan"];
const WRITES: &[&str] = &[
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
];

fn count(ops: &[String], kinds: &[&str]) -> usize {
    ops.iter().filter(|o| kinds.contains(&o.as_str())).count()
}

struct Platform {
    fakes: FakePorts,
    dynamo: Dynamo,
    ports: Ports,
    chat: ChatService,
    requests: Requests,
}

async fn platform() -> Platform {
    let requests = Requests::default();
    let sdk = moto_support::sdk_config().await;
    let conf = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .interceptor(requests.clone())
        .build();
    let client = Client::from_conf(conf);
    let prefix = moto_support::unique_name("warm");
    create_tables(&client, &prefix).await.unwrap();
    let dynamo = Dynamo::new(client, prefix);

    let fakes = FakePorts::new();
    let stores = DynamoStores::new(&dynamo);
    let ports = stores.into_ports(fakes.ports());
    ports
        .agents
        .create(&fixtures::agent("agent", &[]))
        .await
        .unwrap();
    ports
        .chat_apps
        .create(&fixtures::chat_app("support", "agent"))
        .await
        .unwrap();
    ports
        .site
        .create(&SiteRecord::seed(fixtures::site(), fixtures::t0()))
        .await
        .unwrap();
    let settings = ServiceSettings::default();
    let config = Arc::new(ConfigCache::new(ports.clone(), settings.config_ttl));
    let chat = ChatService::new(ports.clone(), settings, config);
    requests.take();
    Platform {
        fakes,
        dynamo,
        ports,
        chat,
        requests,
    }
}

async fn run(p: &Platform, message: SendMessage) -> (pika_service::TurnStream, Vec<TurnEvent>) {
    let user = fixtures::customer("alice");
    let mut stream = p.chat.send(&user, message).await.expect("turn accepted");
    let mut events = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(e) = stream.events.next().await {
            events.push(e.event);
        }
    })
    .await
    .expect("the turn ends");
    (stream, events)
}

#[tokio::test]
async fn a_warm_turn_costs_two_reads_and_four_writes() {
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

    assert_eq!(count(&warm, READS), 2, "reads of a warm turn: {warm:?}");
    // The journal's two transactions, and the session's hold taken and
    // freed (turn control across containers).
    assert_eq!(count(&warm, WRITES), 4, "writes of a warm turn: {warm:?}");
    assert_eq!(
        warm.iter()
            .filter(|o| ["PutItem", "DeleteItem"].contains(&o.as_str()))
            .count(),
        2,
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

/// How a turn's session goes away while the turn runs.
#[derive(Clone, Copy, Debug)]
enum Removal {
    /// Its owner deletes it.
    DeleteSession,
    /// A site admin erases its owner.
    EraseUser,
}

/// A turn whose session goes (`removal`) while it answers: the stream ends
/// `not_found`, nothing of the session is left on DynamoDB, and the turn's
/// tokens are counted (no quota bypass by deleting).
async fn removed_during_its_turn(removal: Removal) {
    let p = platform().await;
    p.fakes.runtime.push(
        Script::new()
            .delta("The answer begins")
            .delay(Duration::from_millis(400))
            .delta(" and ends.")
            .usage(40, 5)
            .complete(pika_ports::StopReason::EndTurn),
    );
    let alice = fixtures::customer("alice");
    let mut stream = p
        .chat
        .send(
            &alice,
            SendMessage::new(
                TurnTarget::NewSession(fixtures::chat_app_id("support")),
                "Hi",
            ),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    match removal {
        Removal::DeleteSession => {
            let sessions = pika_service::SessionService::new(
                p.ports.clone(),
                Arc::new(ConfigCache::new(p.ports.clone(), Duration::from_secs(60))),
            );
            sessions.delete(&alice, &stream.session_id).await.unwrap();
        }
        Removal::EraseUser => {
            pika_service::CleanupService::new(p.ports.clone())
                .erase_user(&fixtures::site_admin("root"), &alice.user_id)
                .await
                .unwrap();
        }
    }
    let mut events = Vec::new();
    while let Some(e) = stream.events.next().await {
        events.push(e.event);
    }
    // A deleted session's turn finds it gone; an erasure stops the user's
    // turns and waits for them to end before it deletes.
    match removal {
        Removal::DeleteSession => assert!(
            matches!(events.last(), Some(TurnEvent::Error { code, .. }) if code == "not_found"),
            "{events:?}"
        ),
        Removal::EraseUser => assert!(
            matches!(events.last(), Some(TurnEvent::Done { .. })),
            "{events:?}"
        ),
    }
    assert!(
        p.ports
            .sessions
            .get(&stream.session_id)
            .await
            .unwrap()
            .is_none(),
        "{removal:?}: the session is gone"
    );
    let messages = DynamoMessageStore::new(p.dynamo.clone());
    assert!(
        messages
            .latest(&stream.session_id, 10)
            .await
            .unwrap()
            .is_empty(),
        "{removal:?}: no message is left"
    );
    let since = fixtures::t0() - pika_domain::chrono::Duration::hours(2);
    let buckets = DynamoUsageLedger::new(p.dynamo.clone())
        .buckets(QuotaScope::Entity, "acme", since)
        .await
        .unwrap();
    assert!(
        buckets.iter().map(|b| b.tokens).sum::<u64>() >= 45,
        "{removal:?}: the turn's tokens are counted: {buckets:?}"
    );
    if let Removal::EraseUser = removal {
        let own = DynamoUsageLedger::new(p.dynamo.clone())
            .buckets(QuotaScope::User, "alice", since)
            .await
            .unwrap();
        assert!(
            own.is_empty(),
            "the erased user's counters stay gone: {own:?}"
        );
    }
}

#[tokio::test]
async fn a_session_deleted_during_its_turn_keeps_nothing_and_counts_the_tokens() {
    removed_during_its_turn(Removal::DeleteSession).await;
}

#[tokio::test]
async fn a_user_erased_during_their_turn_keeps_nothing_and_counts_the_tokens() {
    removed_during_its_turn(Removal::EraseUser).await;
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

#[tokio::test]
async fn an_answer_past_what_a_message_holds_is_kept_shortened_and_its_tokens_counted() {
    let p = platform().await;
    // Past the 16 MB any store holds: the finish write is refused.
    let long = "All work and no play. ".repeat(pika_ports::MAX_MESSAGE_BYTES / 20);
    p.fakes.runtime.push(
        Script::new()
            .delta(&long)
            .usage(300, 150_000)
            .complete(pika_ports::StopReason::EndTurn),
    );
    p.fakes.completions.push(CompletionPurpose::Title, "Long");
    let (stream, events) = run(
        &p,
        SendMessage::new(
            TurnTarget::NewSession(fixtures::chat_app_id("support")),
            "Write a lot",
        ),
    )
    .await;
    assert!(
        matches!(events.last(), Some(TurnEvent::Error { code, .. }) if code == "internal"),
        "{:?}",
        events.last()
    );
    let messages = DynamoMessageStore::new(p.dynamo.clone());
    let history = messages.latest(&stream.session_id, 10).await.unwrap();
    assert_eq!(history.len(), 2, "the question and the shortened answer");
    let answer = &history[1];
    assert!(long.starts_with(answer.content.trim_end_matches("\n\n[…]")));
    assert!(answer.content.len() < 200 * 1024);
    assert_eq!(answer.error.as_ref().unwrap().code, "internal");
    let since = fixtures::t0() - pika_domain::chrono::Duration::hours(2);
    let counted: u64 = DynamoUsageLedger::new(p.dynamo.clone())
        .buckets(QuotaScope::User, "alice", since)
        .await
        .unwrap()
        .iter()
        .map(|b| b.tokens)
        .sum();
    assert!(counted >= 150_300, "counted {counted}");
}

// A 2 MB answer with 300 KB tool outputs, past DynamoDB's 400 KB item
// limit: the scenario of `pika-service/tests/large_answer_support`.
#[path = "../../pika-service/tests/large_answer_support/mod.rs"]
mod large_answer_support;

#[tokio::test]
async fn a_large_answer_is_stored_and_replayed_whole_on_dynamodb() {
    let sdk = moto_support::sdk_config().await;
    let prefix = moto_support::unique_name("large");
    let client = Client::new(&sdk);
    create_tables(&client, &prefix).await.unwrap();
    let dynamo = Dynamo::new(client, prefix);
    let fakes = FakePorts::new();
    let ports = DynamoStores::new(&dynamo).into_ports(fakes.ports());
    large_answer_support::a_large_answer_is_stored_and_replayed_whole(ports, &fakes).await;
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

/// JSON nested `depth` levels deep.
fn nested(depth: usize) -> serde_json::Value {
    (0..depth).fold(
        serde_json::json!("bottom"),
        |inner, _| serde_json::json!({ "down": inner }),
    )
}

#[tokio::test]
async fn tool_json_past_dynamodbs_number_range_and_depth_is_stored_whole() {
    let p = platform().await;
    p.ports
        .tools
        .create(&fixtures::inline_tool("deep", "dig"))
        .await
        .unwrap();
    p.ports
        .agents
        .create(&fixtures::agent("digger", &["deep"]))
        .await
        .unwrap();
    p.ports
        .chat_apps
        .create(&fixtures::chat_app("digs", "digger"))
        .await
        .unwrap();
    let input = serde_json::json!({ "query": "x", "huge": 1e200, "tree": nested(40) });
    p.fakes
        .runtime
        .push(Script::tool_call("t1", "dig", input.clone()));
    p.fakes.runtime.push(Script::answer("Dug."));
    p.fakes.tool_invoker.on("dig", |input| {
        Ok(serde_json::json!({ "echo": input, "tiny": 1e-200, "tree": nested(45) }))
    });
    p.fakes
        .completions
        .push(CompletionPurpose::Title, "Digging");
    let (stream, events) = run(
        &p,
        SendMessage::new(TurnTarget::NewSession(fixtures::chat_app_id("digs")), "Dig"),
    )
    .await;
    assert!(
        matches!(events.last(), Some(TurnEvent::Done { .. })),
        "stored whole, not shortened: {:?}",
        events.last()
    );
    let answer = DynamoMessageStore::new(p.dynamo.clone())
        .get(&stream.session_id, &stream.assistant_message_id)
        .await
        .unwrap()
        .unwrap();
    assert!(answer.error.is_none());
    assert_eq!(answer.tool_calls.len(), 1);
    assert_eq!(answer.tool_calls[0].input, input);
    assert_eq!(answer.tool_calls[0].output["tree"], nested(45));
    assert_eq!(
        answer.tool_calls[0].output["tiny"],
        serde_json::json!(1e-200)
    );
    // What DynamoDB itself refuses (moto does not check): no number past
    // its range or precision, no maps or lists nested past 32 levels.
    let raw = p
        .dynamo
        .client()
        .get_item()
        .table_name(table_name(p.dynamo.prefix(), &tables::MESSAGES))
        .key(
            "sessionId",
            AttributeValue::S(stream.session_id.to_string()),
        )
        .key(
            "messageId",
            AttributeValue::S(stream.assistant_message_id.to_string()),
        )
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    for value in raw.values() {
        within_dynamodb_limits(value, 1).unwrap();
    }
    // The stored events replay exactly what the client saw.
    let stored: Vec<TurnEvent> = answer
        .stream_events
        .iter()
        .map(|e| e.event.clone())
        .collect();
    assert_eq!(stored, events);
}

/// DynamoDB's documented limits on one attribute value: numbers of at most
/// 38 significant digits between 1e-130 and 1e126 in magnitude, documents
/// nested at most 32 levels.
fn within_dynamodb_limits(value: &AttributeValue, depth: usize) -> Result<(), String> {
    match value {
        AttributeValue::N(text) => {
            let number: f64 = text.parse().map_err(|_| format!("N {text}"))?;
            let digits = text
                .split(['e', 'E'])
                .next()
                .unwrap_or_default()
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>();
            let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
            let magnitude = number.abs();
            if significant > 38 || (magnitude != 0.0 && !(1e-130..1e126).contains(&magnitude)) {
                return Err(format!("number {text} is outside DynamoDB's range"));
            }
            Ok(())
        }
        AttributeValue::M(map) => {
            if depth > 32 {
                return Err("nested past 32 levels".to_string());
            }
            map.values()
                .try_for_each(|v| within_dynamodb_limits(v, depth + 1))
        }
        AttributeValue::L(list) => {
            if depth > 32 {
                return Err("nested past 32 levels".to_string());
            }
            list.iter()
                .try_for_each(|v| within_dynamodb_limits(v, depth + 1))
        }
        _ => Ok(()),
    }
}

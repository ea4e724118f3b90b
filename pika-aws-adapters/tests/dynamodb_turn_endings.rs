//! Turns on the DynamoDB stores that end unusually: the session deleted
//! or its owner erased under the turn, an answer past DynamoDB's item
//! limit (stored whole in parts), one past what any store holds (kept
//! shortened), tool JSON past DynamoDB's number range and nesting.
#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod dynamo_turn_support;
mod moto_support;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use dynamo_turn_support::{platform, run};
use futures::StreamExt;
use pika_aws_adapters::dynamodb::messages::DynamoMessageStore;
use pika_aws_adapters::dynamodb::usage::DynamoUsageLedger;
use pika_aws_adapters::dynamodb::{create_tables, table_name, tables, Dynamo, DynamoStores};
use pika_domain::quota::QuotaScope;
use pika_domain::stream::TurnEvent;
use pika_ports::{CompletionPurpose, MessageStore, UsageLedger};
use pika_service::{ConfigCache, SendMessage, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::{fixtures, FakePorts};
use std::sync::Arc;
use std::time::Duration;

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

//! The store fakes against their contract suites.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pika_domain::cost::Usage;
use pika_domain::ids::ClientMessageId;
use pika_ports::{ClaimOutcome, IdGeneratorExt, MessageStore, SessionStore, TurnClaim, TurnRecord};
use pika_testkit::contracts::{config, feedback, job_lock, messages, sessions, usage, users};
use pika_testkit::fakes::clock::SequentialIds;
use pika_testkit::fakes::config::{InMemoryAgentStore, InMemoryChatAppStore, InMemoryToolStore};
use pika_testkit::fakes::feedback::InMemoryFeedbackStore;
use pika_testkit::fakes::job_lock::InMemoryJobLock;
use pika_testkit::fakes::messages::InMemoryMessageStore;
use pika_testkit::fakes::sessions::InMemorySessionStore;
use pika_testkit::fakes::usage::InMemoryUsageLedger;
use pika_testkit::fakes::users::InMemoryUserStore;
use pika_testkit::fixtures::{session, t0, user_id};
use std::sync::Arc;

#[tokio::test]
async fn session_store_fake_meets_the_contract() {
    sessions::session_store_contract(|| async { InMemorySessionStore::new() }).await;
}

#[tokio::test]
async fn message_store_fake_meets_the_contract() {
    messages::message_store_contract(|| async { InMemoryMessageStore::new() }).await;
}

#[tokio::test]
async fn chat_app_store_fake_meets_the_contract() {
    config::chat_app_store_contract(|| async { InMemoryChatAppStore::new() }).await;
}

#[tokio::test]
async fn agent_store_fake_meets_the_contract() {
    config::agent_store_contract(|| async { InMemoryAgentStore::new() }).await;
}

#[tokio::test]
async fn tool_store_fake_meets_the_contract() {
    config::tool_store_contract(|| async { InMemoryToolStore::new() }).await;
}

#[tokio::test]
async fn site_store_fake_meets_the_contract() {
    pika_testkit::contracts::site::site_store_contract(|| async {
        pika_testkit::fakes::site::InMemorySiteStore::new()
    })
    .await;
}

#[tokio::test]
async fn allowance_store_fake_meets_the_contract() {
    pika_testkit::contracts::allowances::allowance_store_contract(|| async {
        pika_testkit::fakes::allowances::InMemoryAllowances::new()
    })
    .await;
}

#[tokio::test]
async fn turn_control_fake_meets_the_contract() {
    pika_testkit::contracts::turns::turn_control_contract(|| async {
        pika_testkit::fakes::turns::InMemoryTurnControl::new()
    })
    .await;
}

#[tokio::test]
async fn user_store_fake_meets_the_contract() {
    users::user_store_contract(|| async { InMemoryUserStore::new() }).await;
}

#[tokio::test]
async fn feedback_store_fake_meets_the_contract() {
    feedback::feedback_store_contract(|| async { InMemoryFeedbackStore::new() }).await;
}

#[tokio::test]
async fn usage_ledger_fake_meets_the_contract() {
    usage::usage_ledger_contract(|| async { InMemoryUsageLedger::new() }).await;
}

#[tokio::test]
async fn job_lock_fake_meets_the_contract() {
    job_lock::job_lock_contract(|| async { InMemoryJobLock::new() }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fakes_lose_nothing_to_threads() {
    let sessions = Arc::new(InMemorySessionStore::new());
    let messages = Arc::new(InMemoryMessageStore::new());
    let ids = Arc::new(SequentialIds::new());
    let s = session(ids.as_ref(), "alice", "app-a", "acme");
    sessions.create(&s).await.unwrap();
    let client = ClientMessageId::parse("double-click").unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (sessions, messages, ids, client) = (
                sessions.clone(),
                messages.clone(),
                ids.clone(),
                client.clone(),
            );
            tokio::spawn(async move {
                let turn = TurnRecord {
                    usage: Usage {
                        input_tokens: 3,
                        output_tokens: 1,
                        ..Usage::default()
                    },
                    last_message_id: ids.message_id(),
                    at: t0(),
                    mark_for_insights: true,
                };
                sessions.record_turn(&s.session_id, &turn).await.unwrap();
                let claim = TurnClaim {
                    session_id: s.session_id,
                    user_message_id: ids.message_id(),
                    assistant_message_id: ids.message_id(),
                    claimed_at: t0(),
                };
                messages
                    .claim_client_message(&user_id("alice"), &client, &claim)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut claimed = 0;
    for t in tasks {
        if t.await.unwrap() == ClaimOutcome::Claimed {
            claimed += 1;
        }
    }
    let after = sessions.find(&s.session_id).unwrap();
    assert_eq!(
        (after.usage.input_tokens, after.usage.output_tokens),
        (96, 32)
    );
    assert_eq!(claimed, 1, "one claim wins across threads");
    assert_eq!(messages.claims().len(), 1);
}

#[tokio::test]
async fn knowledge_fake_meets_the_contract() {
    pika_testkit::contracts::knowledge::knowledge_contract(|docs| async move {
        pika_testkit::fakes::knowledge::InMemoryKnowledge::with(docs)
    })
    .await;
}

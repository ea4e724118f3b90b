//! The DynamoDB turn journal on moto: both transactions all-or-nothing,
//! retries of a landed request count as done, a foreign claim is reported,
//! and contention is sent again.
#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod dynamo_canned;
mod dynamo_support;
mod moto_support;

use axum::http::StatusCode;
use pika_aws_adapters::dynamodb::{Dynamo, DynamoStores};
use pika_domain::cost::Usage;
use pika_domain::ids::{ClientMessageId, UserId};
use pika_domain::message::Message;
use pika_domain::quota::QuotaScope;
use pika_ports::IdGeneratorExt;
use pika_ports::{
    ClientClaim, ErrorKind, MessageStore, SessionStore, StartOutcome, TurnClaim, TurnFinish,
    TurnJournal, TurnRecord, TurnStart, UsageLedger, UsageRecord,
};
use pika_testkit::fakes::clock::SequentialIds;
use pika_testkit::fixtures::{self, t0};

struct Turn {
    start: TurnStart,
    finish: TurnFinish,
}

fn turn(ids: &SequentialIds, client: Option<&str>) -> Turn {
    let session = fixtures::session(ids, "alice", "support", "acme");
    let user_message = Message::user(session.session_id, ids.message_id(), "Hi".into(), t0());
    let answer_id = ids.message_id();
    let claim = client.map(|c| ClientClaim {
        user_id: UserId::parse("alice").unwrap(),
        client_id: ClientMessageId::parse(c).unwrap(),
        claim: TurnClaim {
            session_id: session.session_id,
            user_message_id: user_message.message_id,
            assistant_message_id: answer_id,
            claimed_at: t0(),
        },
    });
    let mut answer = Message::assistant(session.session_id, answer_id, t0());
    answer.content = "Hello.".into();
    let usage = Usage {
        input_tokens: 10,
        output_tokens: 5,
        ..Usage::default()
    };
    answer.usage = Some(usage);
    Turn {
        finish: TurnFinish {
            answer,
            record: TurnRecord {
                usage,
                last_message_id: answer_id,
                at: t0(),
                mark_for_insights: true,
            },
            ledger: Some(UsageRecord {
                also: Vec::new(),
                counts_turn: true,
                at: t0(),
                user_id: session.user_id.clone(),
                entity_id: session.entity_id.clone(),
                chat_app_id: session.chat_app_id.clone(),
                model_id: "m".into(),
                usage,
            }),
        },
        start: TurnStart {
            claim,
            new_session: Some(session),
            user_message,
        },
    }
}

async fn stores() -> (Dynamo, DynamoStores) {
    let dynamo = dynamo_support::fresh().await;
    let stores = DynamoStores::new(&dynamo);
    (dynamo, stores)
}

#[tokio::test]
async fn a_turn_is_two_transactions_whose_retries_count_once() {
    let (_, s) = stores().await;
    let t = turn(&SequentialIds::new(), Some("client-1"));
    let session_id = t.start.user_message.session_id;

    assert_eq!(
        s.journal.start(&t.start).await.unwrap(),
        StartOutcome::Started
    );
    assert_eq!(
        s.journal.start(&t.start).await.unwrap(),
        StartOutcome::Started,
        "a retry of a start that landed is done"
    );
    s.journal.finish(&t.finish).await.unwrap();
    s.journal.finish(&t.finish).await.unwrap();

    let stored = s.messages.latest(&session_id, 10).await.unwrap();
    assert_eq!(stored.len(), 2, "each message once");
    let session = s.sessions.get(&session_id).await.unwrap().unwrap();
    assert_eq!(session.usage.input_tokens, 10, "the totals added once");
    assert_eq!(session.last_message_id, Some(t.finish.answer.message_id));
    let buckets = s
        .usage
        .buckets(
            QuotaScope::User,
            "alice",
            t0() - pika_domain::chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    assert_eq!(buckets.iter().map(|b| b.tokens).sum::<u64>(), 15);
}

#[tokio::test]
async fn a_client_id_claimed_by_another_turn_is_reported_and_nothing_stored() {
    let (_, s) = stores().await;
    let ids = SequentialIds::new();
    let first = turn(&ids, Some("client-1"));
    s.journal.start(&first.start).await.unwrap();

    let second = turn(&ids, Some("client-1"));
    let outcome = s.journal.start(&second.start).await.unwrap();
    assert_eq!(
        outcome,
        StartOutcome::Claimed(first.start.claim.clone().unwrap().claim)
    );
    let new_session = second.start.user_message.session_id;
    assert!(s.sessions.get(&new_session).await.unwrap().is_none());
    assert!(s
        .messages
        .latest(&new_session, 10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_different_answer_under_a_stored_id_or_a_missing_session_is_refused_whole() {
    let (_, s) = stores().await;
    let t = turn(&SequentialIds::new(), None);
    s.journal.start(&t.start).await.unwrap();
    s.journal.finish(&t.finish).await.unwrap();

    let mut other = t.finish.clone();
    other.answer.content = "Something else.".into();
    let err = s.journal.finish(&other).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Conflict, "{err}");

    let orphan = turn(&SequentialIds::new(), None);
    let mut lost = orphan.finish.clone();
    lost.answer.session_id =
        pika_domain::ids::SessionId::parse("0190f2c4-8f1e-7a3b-9c4d-2e5f6a7b8c9d").unwrap();
    let err = s.journal.finish(&lost).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    assert!(
        s.messages
            .get(&lost.answer.session_id, &lost.answer.message_id)
            .await
            .unwrap()
            .is_none(),
        "the answer was not stored without its session"
    );
    let session = s
        .sessions
        .get(&t.start.user_message.session_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.usage.input_tokens, 10, "nothing added twice");
}

#[tokio::test]
async fn a_finish_cancelled_by_contention_is_sent_again_then_transient() {
    let canned = dynamo_canned::failing(
        StatusCode::BAD_REQUEST,
        "TransactionCanceledException",
        "Transaction cancelled, please refer cancellation reasons for specific reasons \
         [None, None, None, None, TransactionConflict]",
    )
    .await;
    let stores = DynamoStores::new(&canned.dynamo);
    let t = turn(&SequentialIds::new(), None);
    let err = stores.journal.finish(&t.finish).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");
    assert!(canned.requests() > 1, "sent again: {}", canned.requests());
}

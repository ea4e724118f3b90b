//! Fault injection on the store fakes: an injected failure is returned
//! as injected and changes nothing; every method checks its faults by name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pika_domain::chrono::Duration;
use pika_domain::cost::Usage;
use pika_domain::ids::ClientMessageId;
use pika_domain::message::Message;
use pika_domain::quota::QuotaScope;
use pika_ports::{
    AgentStore, ChatAppStore, ErrorKind, FeedbackFilter, FeedbackStore, IdGeneratorExt, JobLock,
    MessageStore, PageRequest, PortResult, SessionStore, ToolStore, TurnClaim, TurnRecord,
    UsageLedger, UsageRecord, UserStore,
};
use pika_testkit::fakes::clock::SequentialIds;
use pika_testkit::fakes::config::{InMemoryAgentStore, InMemoryChatAppStore, InMemoryToolStore};
use pika_testkit::fakes::feedback::InMemoryFeedbackStore;
use pika_testkit::fakes::job_lock::InMemoryJobLock;
use pika_testkit::fakes::messages::InMemoryMessageStore;
use pika_testkit::fakes::sessions::InMemorySessionStore;
use pika_testkit::fakes::usage::InMemoryUsageLedger;
use pika_testkit::fakes::users::InMemoryUserStore;
use pika_testkit::fixtures::{chat_app_id, entity_id, session, t0, tool_id, user_id};
use pika_testkit::Faults;
use std::fmt::Debug;

fn assert_injected<T: Debug>(result: PortResult<T>, kind: ErrorKind) {
    let err = result.expect_err("the injected fault should fail the call");
    assert_eq!(err.kind, kind, "{err}");
    assert!(err.message.contains("injected"), "{err}");
}

#[tokio::test]
async fn a_failed_message_put_stores_nothing() {
    let faults = Faults::new();
    faults.fail_nth("MessageStore::put", 2, ErrorKind::Transient);
    let store = InMemoryMessageStore::with_faults(faults.clone());
    let ids = SequentialIds::new();
    let s = ids.session_id();
    let first = Message::user(s, ids.message_id(), "one".to_string(), t0());
    let second = Message::user(s, ids.message_id(), "two".to_string(), t0());
    store.put(&first).await.unwrap();
    assert_injected(store.put(&second).await, ErrorKind::Transient);
    assert_eq!(
        store.all(),
        vec![first.clone()],
        "the failed put stored nothing"
    );
    assert_eq!(store.len(), 1);
    store.put(&second).await.expect("the retry succeeds");
    assert_eq!(store.of_session(&s), vec![first, second]);
    assert_eq!(faults.calls("MessageStore::put"), 3);
    assert!(std::ptr::eq(store.faults().as_ref(), faults.as_ref()));
}

#[tokio::test]
async fn a_throttled_turn_record_changes_nothing() {
    let store = InMemorySessionStore::new();
    let ids = SequentialIds::new();
    let s = session(&ids, "alice", "app-a", "acme");
    store.create(&s).await.unwrap();
    store.faults().throttle("SessionStore::record_turn");
    let turn = TurnRecord {
        usage: Usage {
            input_tokens: 5,
            ..Usage::default()
        },
        last_message_id: ids.message_id(),
        at: t0() + Duration::minutes(1),
        mark_for_insights: true,
    };
    let err = store.record_turn(&s.session_id, &turn).await.unwrap_err();
    assert!(err.kind.is_retryable(), "throttling is transient: {err}");
    assert_eq!(
        store.find(&s.session_id),
        Some(s.clone()),
        "nothing changed"
    );
    store.faults().clear();
    let after = store.record_turn(&s.session_id, &turn).await.unwrap();
    assert_eq!(after.usage.input_tokens, 5);
    assert_eq!(store.all(), vec![after]);
}

#[tokio::test]
async fn a_failed_usage_record_counts_nothing() {
    let ledger = InMemoryUsageLedger::with_faults(Faults::new());
    ledger
        .faults()
        .fail_nth("UsageLedger::record", 1, ErrorKind::Permanent);
    let record = UsageRecord {
        also: Vec::new(),
        counts_turn: true,
        at: t0(),
        user_id: user_id("alice"),
        entity_id: entity_id("acme"),
        chat_app_id: chat_app_id("app-a"),
        model_id: "m".to_string(),
        usage: Usage {
            input_tokens: 3,
            output_tokens: 4,
            ..Usage::default()
        },
    };
    assert_injected(ledger.record(&record).await, ErrorKind::Permanent);
    assert_eq!(ledger.total_tokens(QuotaScope::User, "alice"), 0);
    assert!(ledger.all_daily().is_empty());
    ledger.record(&record).await.unwrap();
    assert_eq!(ledger.total_tokens(QuotaScope::User, "alice"), 7);
    assert_eq!(ledger.total_tokens(QuotaScope::Entity, "acme"), 7);
    assert_eq!(ledger.all_daily()[0].turns, 1);
}

#[tokio::test(start_paused = true)]
async fn delays_hold_calls_back() {
    let lock = InMemoryJobLock::new();
    lock.faults()
        .delay("JobLock::try_acquire", std::time::Duration::from_secs(3));
    let started = tokio::time::Instant::now();
    assert!(lock
        .try_acquire("job", "me", t0(), t0() + Duration::minutes(5))
        .await
        .unwrap());
    assert!(started.elapsed() >= std::time::Duration::from_secs(3));
    assert_eq!(lock.holder("job").map(|h| h.owner), Some("me".to_string()));
}

/// Fails every named operation on `faults` with `Permanent`.
fn fail_all(faults: &Faults, ops: &[&str]) {
    for op in ops {
        faults.fail_always(op, ErrorKind::Permanent);
    }
}

#[tokio::test]
async fn every_store_method_checks_its_faults_by_name() {
    use ErrorKind::Permanent as P;
    let ids = SequentialIds::new();
    let f = Faults::new();
    fail_all(
        &f,
        &[
            "SessionStore::create",
            "SessionStore::get",
            "SessionStore::list_by_user",
            "SessionStore::list_by_entity",
            "SessionStore::get_by_share",
            "SessionStore::list_needing_insights",
            "SessionStore::list_expired",
            "SessionStore::record_turn",
            "SessionStore::update",
            "SessionStore::delete",
            "MessageStore::put",
            "MessageStore::get",
            "MessageStore::list",
            "MessageStore::latest",
            "MessageStore::delete_session",
            "MessageStore::claim_client_message",
            "MessageStore::get_client_message",
            "MessageStore::release_client_message",
            "ChatAppStore::get",
            "ChatAppStore::list",
            "ChatAppStore::create",
            "ChatAppStore::update",
            "ChatAppStore::delete",
            "ChatAppStore::get_override",
            "ChatAppStore::put_override",
            "ChatAppStore::delete_override",
            "AgentStore::get",
            "AgentStore::list",
            "AgentStore::create",
            "AgentStore::update",
            "AgentStore::delete",
            "ToolStore::get",
            "ToolStore::get_many",
            "ToolStore::list",
            "ToolStore::create",
            "ToolStore::update",
            "ToolStore::delete",
            "UserStore::get",
            "UserStore::put",
            "UserStore::delete",
            "FeedbackStore::create",
            "FeedbackStore::get",
            "FeedbackStore::update",
            "FeedbackStore::list_by_session",
            "FeedbackStore::list",
            "FeedbackStore::delete_by_session",
            "UsageLedger::record",
            "UsageLedger::buckets",
            "UsageLedger::daily",
            "UsageLedger::delete_user",
            "JobLock::try_acquire",
            "JobLock::release",
        ],
    );
    let s = session(&ids, "alice", "app-a", "acme");
    let (sid, mid, now) = (s.session_id, ids.message_id(), t0());
    let user = user_id("alice");
    let page = PageRequest::default;

    let st = InMemorySessionStore::with_faults(f.clone());
    assert_injected(st.create(&s).await, P);
    assert_injected(st.get(&sid).await, P);
    assert_injected(st.list_by_user(&user, None, page()).await, P);
    assert_injected(st.list_by_entity(&s.entity_id, page()).await, P);
    assert_injected(st.get_by_share(&ids.share_id()).await, P);
    assert_injected(st.list_needing_insights(now, 1).await, P);
    assert_injected(st.list_expired(now, 1).await, P);
    let turn = TurnRecord {
        usage: Usage::default(),
        last_message_id: mid,
        at: now,
        mark_for_insights: false,
    };
    assert_injected(st.record_turn(&sid, &turn).await, P);
    assert_injected(st.update(&sid, &Default::default()).await, P);
    assert_injected(st.delete(&sid).await, P);

    let ms = InMemoryMessageStore::with_faults(f.clone());
    let client = ClientMessageId::parse("c").unwrap();
    let claim = TurnClaim {
        session_id: sid,
        user_message_id: mid,
        assistant_message_id: mid,
        claimed_at: now,
    };
    assert_injected(ms.put(&Message::user(sid, mid, "x".into(), now)).await, P);
    assert_injected(ms.get(&sid, &mid).await, P);
    assert_injected(ms.list(&sid, page()).await, P);
    assert_injected(ms.latest(&sid, 5).await, P);
    assert_injected(ms.delete_session(&sid).await, P);
    assert_injected(ms.claim_client_message(&user, &client, &claim).await, P);
    assert_injected(ms.get_client_message(&user, &client).await, P);
    assert_injected(ms.release_client_message(&user, &client).await, P);

    let apps = InMemoryChatAppStore::with_faults(f.clone());
    let app = pika_testkit::fixtures::chat_app("app-a", "agent");
    let id = &app.chat_app_id;
    assert_injected(apps.get(id).await, P);
    assert_injected(apps.list(page()).await, P);
    assert_injected(apps.create(&app).await, P);
    assert_injected(apps.update(&app, 1).await, P);
    assert_injected(apps.delete(id).await, P);
    assert_injected(apps.get_override(id).await, P);
    assert_injected(apps.put_override(id, &Default::default()).await, P);
    assert_injected(apps.delete_override(id).await, P);

    let agents = InMemoryAgentStore::with_faults(f.clone());
    let agent = pika_testkit::fixtures::agent("agent", &[]);
    assert_injected(agents.get(&agent.agent_id).await, P);
    assert_injected(agents.list(page()).await, P);
    assert_injected(agents.create(&agent).await, P);
    assert_injected(agents.update(&agent, 1).await, P);
    assert_injected(agents.delete(&agent.agent_id).await, P);

    let tools = InMemoryToolStore::with_faults(f.clone());
    let tool = pika_testkit::fixtures::inline_tool("t", "f");
    assert_injected(tools.get(&tool.tool_id).await, P);
    assert_injected(tools.get_many(&[tool_id("t")]).await, P);
    assert_injected(tools.list(page()).await, P);
    assert_injected(tools.create(&tool).await, P);
    assert_injected(tools.update(&tool, 1).await, P);
    assert_injected(tools.delete(&tool.tool_id).await, P);

    let users = InMemoryUserStore::with_faults(f.clone());
    let u = pika_testkit::fixtures::customer("alice");
    assert_injected(users.get(&user).await, P);
    assert_injected(users.put(&u).await, P);
    assert_injected(users.delete(&user).await, P);

    let fb = InMemoryFeedbackStore::with_faults(f.clone());
    let record = pika_domain::feedback::Feedback {
        feedback_id: ids.feedback_id(),
        session_id: sid,
        chat_app_id: chat_app_id("app-a"),
        message_id: None,
        reporter: None,
        source: pika_domain::feedback::FeedbackSource::Automatic,
        status: pika_domain::feedback::FeedbackStatus::Open,
        severity: None,
        kind: pika_domain::feedback::FeedbackKind::Other,
        comment: None,
        internal_comment: None,
        created_at: now,
        updated_at: now,
    };
    assert_injected(fb.create(&record).await, P);
    assert_injected(fb.get(&record.feedback_id).await, P);
    assert_injected(fb.update(&record).await, P);
    assert_injected(fb.list_by_session(&sid).await, P);
    assert_injected(fb.list(&FeedbackFilter::default(), page()).await, P);
    assert_injected(fb.delete_by_session(&sid).await, P);

    let ledger = InMemoryUsageLedger::with_faults(f.clone());
    let rec = UsageRecord {
        also: Vec::new(),
        counts_turn: true,
        at: now,
        user_id: user.clone(),
        entity_id: entity_id("acme"),
        chat_app_id: chat_app_id("app-a"),
        model_id: "m".to_string(),
        usage: Usage::default(),
    };
    assert_injected(ledger.record(&rec).await, P);
    assert_injected(ledger.buckets(QuotaScope::User, "alice", now).await, P);
    assert_injected(ledger.daily(now.date_naive(), now.date_naive()).await, P);
    assert_injected(ledger.delete_user(&user).await, P);

    let lock = InMemoryJobLock::with_faults(f.clone());
    assert_injected(lock.try_acquire("j", "o", now, now).await, P);
    assert_injected(lock.release("j", "o").await, P);

    assert!(st.is_empty() && ms.is_empty() && apps.is_empty() && agents.is_empty());
    assert!(tools.is_empty() && users.is_empty() && fb.is_empty());
    assert!(lock.holder("j").is_none());
}

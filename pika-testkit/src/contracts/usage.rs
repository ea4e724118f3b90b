//! The [`UsageLedger`] contract suite.

// Contract suites are tests: a failed expectation panics with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::contracts::store_support::assert_usage_eq;
use crate::fixtures::{chat_app_id, entity_id, t0, user_id};
use pika_domain::chrono::{DateTime, Duration, NaiveDate, Utc};
use pika_domain::cost::Usage;
use pika_domain::quota::{QuotaScope, UsageBucket};
use pika_ports::{DailyUsage, ModelUsage, UsageLedger, UsageRecord};
use std::future::Future;

/// Checks the whole [`UsageLedger`] contract. `make` must give a fresh,
/// empty, isolated ledger on every call; each case uses its own.
pub async fn usage_ledger_contract<S, F, Fut>(make: F)
where
    S: UsageLedger,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    hour_buckets_per_user_and_entity(&make().await).await;
    buckets_since(&make().await).await;
    daily_aggregates(&make().await).await;
    every_model_of_a_turn_is_booked_under_its_own_name(&make().await).await;
    concurrent_records_all_count(&make().await).await;
    delete_user_keeps_others(&make().await).await;
}

fn usage(input: u64, output: u64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        input_cost: 0.000_003 * input as f64,
        output_cost: 0.000_015 * output as f64,
        total_cost: 0.000_003 * input as f64 + 0.000_015 * output as f64,
    }
}

fn rec(
    user: &str,
    entity: &str,
    app: &str,
    model: &str,
    at: DateTime<Utc>,
    u: Usage,
) -> UsageRecord {
    UsageRecord {
        also: Vec::new(),
        counts_turn: true,
        at,
        user_id: user_id(user),
        entity_id: entity_id(entity),
        chat_app_id: chat_app_id(app),
        model_id: model.to_string(),
        usage: u,
    }
}

/// t0 is 09:00; `hour(h, m)` is h hours and m minutes later.
fn hour(h: i64, m: i64) -> DateTime<Utc> {
    t0() + Duration::hours(h) + Duration::minutes(m)
}

fn bucket(start: DateTime<Utc>, tokens: u64) -> UsageBucket {
    UsageBucket { start, tokens }
}

async fn record_all<S: UsageLedger>(ledger: &S, records: &[UsageRecord]) {
    for r in records {
        ledger
            .record(r)
            .await
            .unwrap_or_else(|e| panic!("record failed: {e}"));
    }
}

async fn buckets<S: UsageLedger>(ledger: &S, scope: QuotaScope, key: &str) -> Vec<UsageBucket> {
    ledger.buckets(scope, key, hour(-48, 0)).await.unwrap()
}

async fn hour_buckets_per_user_and_entity<S: UsageLedger>(ledger: &S) {
    assert!(
        buckets(ledger, QuotaScope::User, "alice").await.is_empty(),
        "nothing recorded yet"
    );
    record_all(
        ledger,
        &[
            rec("alice", "acme", "app-a", "m1", hour(0, 5), usage(100, 20)),
            rec("alice", "acme", "app-b", "m2", hour(0, 59), usage(10, 5)),
            rec("bob", "acme", "app-a", "m1", hour(0, 30), usage(1000, 0)),
            rec("alice", "acme", "app-a", "m1", hour(2, 0), usage(7, 3)),
            rec("carol", "globex", "app-a", "m1", hour(0, 10), usage(50, 50)),
        ],
    )
    .await;
    assert_eq!(
        buckets(ledger, QuotaScope::User, "alice").await,
        vec![bucket(hour(0, 0), 135), bucket(hour(2, 0), 10)],
        "alice's tokens (input + output) per hour, oldest first, over chat apps and models"
    );
    assert_eq!(
        buckets(ledger, QuotaScope::User, "bob").await,
        vec![bucket(hour(0, 0), 1000)]
    );
    assert_eq!(
        buckets(ledger, QuotaScope::Entity, "acme").await,
        vec![bucket(hour(0, 0), 1135), bucket(hour(2, 0), 10)],
        "the entity counts all its users"
    );
    assert_eq!(
        buckets(ledger, QuotaScope::Entity, "globex").await,
        vec![bucket(hour(0, 0), 100)]
    );
    assert!(
        buckets(ledger, QuotaScope::Entity, "alice")
            .await
            .is_empty(),
        "user and entity counters are apart"
    );
    assert!(buckets(ledger, QuotaScope::User, "acme").await.is_empty());
}

async fn buckets_since<S: UsageLedger>(ledger: &S) {
    let records: Vec<UsageRecord> = (0..5)
        .map(|h| rec("alice", "acme", "app-a", "m1", hour(h, 15), usage(10, 0)))
        .collect();
    record_all(ledger, &records).await;
    let got = ledger
        .buckets(QuotaScope::User, "alice", hour(2, 0))
        .await
        .unwrap();
    assert_eq!(
        got,
        vec![
            bucket(hour(2, 0), 10),
            bucket(hour(3, 0), 10),
            bucket(hour(4, 0), 10)
        ],
        "buckets starting at or after `since`"
    );
    let got = ledger
        .buckets(QuotaScope::Entity, "acme", hour(5, 0))
        .await
        .unwrap();
    assert!(got.is_empty(), "nothing after the last bucket");
}

async fn daily_aggregates<S: UsageLedger>(ledger: &S) {
    let day1 = t0().date_naive();
    let day2 = day1.succ_opt().unwrap();
    let day3 = day2.succ_opt().unwrap();
    let next_day = |h: i64| t0() + Duration::days(1) + Duration::hours(h);
    let (a, b, c, d) = (usage(100, 10), usage(200, 20), usage(5, 5), usage(1, 1));
    record_all(
        ledger,
        &[
            rec("alice", "acme", "app-a", "m1", hour(0, 0), a),
            rec("bob", "acme", "app-a", "m1", hour(3, 0), b),
            rec("alice", "acme", "app-a", "m2", hour(1, 0), c),
            rec("carol", "globex", "app-a", "m1", hour(1, 0), c),
            rec("alice", "acme", "app-b", "m1", next_day(2), d),
        ],
    )
    .await;
    let day =
        |d: NaiveDate, app: &str, entity: &str, model: &str, u: Usage, turns: u64| DailyUsage {
            day: d,
            chat_app_id: chat_app_id(app),
            entity_id: entity_id(entity),
            model_id: model.to_string(),
            usage: u,
            turns,
        };
    let expected_day1 = vec![
        day(day1, "app-a", "acme", "m1", a + b, 2),
        day(day1, "app-a", "acme", "m2", c, 1),
        day(day1, "app-a", "globex", "m1", c, 1),
    ];
    let expected_day2 = vec![day(day2, "app-b", "acme", "m1", d, 1)];

    let key = |u: &DailyUsage| {
        (
            u.day,
            u.chat_app_id.clone(),
            u.entity_id.clone(),
            u.model_id.clone(),
        )
    };
    let check = |mut got: Vec<DailyUsage>, expected: &[DailyUsage], what: &str| {
        let days: Vec<NaiveDate> = got.iter().map(|u| u.day).collect();
        let mut sorted = days.clone();
        sorted.sort();
        assert_eq!(days, sorted, "{what}: ordered by day");
        got.sort_by_key(key);
        let mut expected = expected.to_vec();
        expected.sort_by_key(key);
        assert_eq!(
            got.len(),
            expected.len(),
            "{what}: one aggregate per day, app, entity, model: {got:?}"
        );
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(key(g), key(e), "{what}: aggregate keys");
            assert_eq!(g.turns, e.turns, "{what}: turns of {:?}", key(e));
            assert_usage_eq(
                &g.usage,
                &e.usage,
                &format!("{what}: usage of {:?}", key(e)),
            );
        }
    };
    let mut both = expected_day1.clone();
    both.extend(expected_day2.clone());
    check(
        ledger.daily(day1, day3).await.unwrap(),
        &both,
        "daily(day1..=day3)",
    );
    check(
        ledger.daily(day1, day1).await.unwrap(),
        &expected_day1,
        "daily(day1..=day1)",
    );
    check(
        ledger.daily(day2, day2).await.unwrap(),
        &expected_day2,
        "daily(day2..=day2), both ends included",
    );
    check(
        ledger.daily(day3, day3).await.unwrap(),
        &[],
        "a day without usage",
    );
    check(
        ledger.daily(day2, day1).await.unwrap(),
        &[],
        "from after to: nothing",
    );
}

/// A turn's verifier and title calls go to their models' day aggregates
/// (not as turns); the hour buckets count every token; a call outside a
/// turn (a title asked for, an assessment) is booked without a turn.
async fn every_model_of_a_turn_is_booked_under_its_own_name<S: UsageLedger>(ledger: &S) {
    let (agent, verifier, title, again) = (usage(100, 10), usage(40, 4), usage(7, 3), usage(1, 1));
    let mut turn = rec("alice", "acme", "app-a", "agent-m", hour(0, 0), agent);
    turn.also = vec![
        ModelUsage {
            model_id: "small-m".to_string(),
            usage: verifier,
        },
        ModelUsage {
            model_id: "small-m".to_string(),
            usage: title,
        },
        ModelUsage {
            model_id: "agent-m".to_string(),
            usage: again,
        },
    ];
    let mut alone = rec("alice", "acme", "app-a", "small-m", hour(0, 30), title);
    alone.counts_turn = false;
    record_all(ledger, &[turn, alone]).await;

    let total = 110 + 44 + 10 + 2 + 10;
    assert_eq!(
        buckets(ledger, QuotaScope::User, "alice").await,
        vec![bucket(hour(0, 0), total)],
        "the hour counts every call's tokens"
    );
    assert_eq!(
        buckets(ledger, QuotaScope::Entity, "acme").await,
        vec![bucket(hour(0, 0), total)]
    );
    let mut days = ledger
        .daily(t0().date_naive(), t0().date_naive())
        .await
        .unwrap();
    days.sort_by(|a, b| a.model_id.cmp(&b.model_id));
    let got: Vec<(&str, u64, u64)> = days
        .iter()
        .map(|d| (d.model_id.as_str(), d.usage.tokens().total(), d.turns))
        .collect();
    assert_eq!(got, [("agent-m", 112, 1), ("small-m", 64, 0)]);
    assert_usage_eq(&days[0].usage, &(agent + again), "the agent model's cost");
    assert_usage_eq(
        &days[1].usage,
        &(verifier + title + title),
        "the small model's cost",
    );
}

async fn concurrent_records_all_count<S: UsageLedger>(ledger: &S) {
    let records: Vec<UsageRecord> = (0..20)
        .map(|i| rec("alice", "acme", "app-a", "m1", hour(0, i), usage(10, 2)))
        .collect();
    let results = futures::future::join_all(records.iter().map(|r| ledger.record(r))).await;
    for r in results {
        r.expect("concurrent record");
    }
    assert_eq!(
        buckets(ledger, QuotaScope::User, "alice").await,
        vec![bucket(hour(0, 0), 240)]
    );
    assert_eq!(
        buckets(ledger, QuotaScope::Entity, "acme").await,
        vec![bucket(hour(0, 0), 240)]
    );
    let daily = ledger
        .daily(t0().date_naive(), t0().date_naive())
        .await
        .unwrap();
    assert_eq!(daily.len(), 1);
    assert_eq!(daily[0].turns, 20, "20 concurrent turns all count");
    let mut expected = Usage::default();
    for r in &records {
        expected += r.usage;
    }
    assert_usage_eq(&daily[0].usage, &expected, "concurrent daily usage");
}

async fn delete_user_keeps_others<S: UsageLedger>(ledger: &S) {
    record_all(
        ledger,
        &[
            rec("alice", "acme", "app-a", "m1", hour(0, 0), usage(10, 0)),
            rec("alice", "acme", "app-a", "m1", hour(5, 0), usage(10, 0)),
            rec("bob", "acme", "app-a", "m1", hour(0, 0), usage(5, 0)),
        ],
    )
    .await;
    ledger
        .delete_user(&user_id("alice"))
        .await
        .expect("delete_user");
    assert!(
        buckets(ledger, QuotaScope::User, "alice").await.is_empty(),
        "alice's counters are gone"
    );
    assert_eq!(
        buckets(ledger, QuotaScope::User, "bob").await,
        vec![bucket(hour(0, 0), 5)],
        "bob's stay"
    );
    assert_eq!(
        buckets(ledger, QuotaScope::Entity, "acme").await,
        vec![bucket(hour(0, 0), 15), bucket(hour(5, 0), 10)],
        "entity counters are not the user's and stay"
    );
    ledger
        .delete_user(&user_id("alice"))
        .await
        .expect("deleting twice succeeds");
    ledger
        .delete_user(&user_id("nobody"))
        .await
        .expect("deleting an unknown user succeeds");
    record_all(
        ledger,
        &[rec("alice", "acme", "app-a", "m1", hour(6, 0), usage(1, 0))],
    )
    .await;
    assert_eq!(
        buckets(ledger, QuotaScope::User, "alice").await,
        vec![bucket(hour(6, 0), 1)],
        "counting starts afresh after erasure"
    );
}

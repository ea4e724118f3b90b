//! Analytics for site admins (PIKA.md §10, §11): totals, a daily series and
//! cost by model, chat app and entity — matching what the turns stored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_domain::chrono::{Duration, NaiveDate};
use pika_domain::cost::Usage;
use pika_domain::message::{Message, Role};
use pika_domain::user::{User, UserType};
use pika_ports::CompletionPurpose;
use pika_service::analytics::{AnalyticsQuery, AnalyticsReport, Totals};
use pika_service::{SendMessage, ServiceError, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use std::collections::BTreeMap;
use std::fmt::Debug;
use support::*;

const SONNET: &str = "anthropic.claude-3-5-sonnet-20241022-v2:0";
const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";

fn code<T: Debug>(result: Result<T, ServiceError>) -> &'static str {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code(),
    }
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
}

async fn turn(
    p: &Platform,
    user: &User,
    target: TurnTarget,
    answer: &str,
) -> pika_domain::ids::SessionId {
    p.fakes.runtime.push(Script::answer(answer));
    let (stream, _) = p.send(user, SendMessage::new(target, "A question")).await;
    stream.session_id
}

fn new_in(app: &str) -> TurnTarget {
    TurnTarget::NewSession(fixtures::chat_app_id(app))
}

/// Usage of the stored answers, keyed as the report keys it.
struct Expected {
    total: Usage,
    turns: u64,
    by_model: BTreeMap<String, Usage>,
    by_app: BTreeMap<String, Usage>,
    by_entity: BTreeMap<String, Usage>,
    by_day: BTreeMap<NaiveDate, (Usage, u64)>,
}

fn expected(p: &Platform, keep: impl Fn(&Message, &str, &str) -> bool) -> Expected {
    let mut e = Expected {
        total: Usage::default(),
        turns: 0,
        by_model: BTreeMap::new(),
        by_app: BTreeMap::new(),
        by_entity: BTreeMap::new(),
        by_day: BTreeMap::new(),
    };
    for m in p.fakes.messages.all() {
        if m.role != Role::Assistant {
            continue;
        }
        let session = p.fakes.sessions.find(&m.session_id).unwrap();
        let (app, entity) = (
            session.chat_app_id.to_string(),
            session.entity_id.to_string(),
        );
        if !keep(&m, &app, &entity) {
            continue;
        }
        let usage = m.usage.unwrap();
        e.total += usage;
        e.turns += 1;
        *e.by_model.entry(m.model.clone().unwrap()).or_default() += usage;
        *e.by_app.entry(app).or_default() += usage;
        *e.by_entity.entry(entity).or_default() += usage;
        let slot = e.by_day.entry(m.created_at.date_naive()).or_default();
        slot.0 += usage;
        slot.1 += 1;
    }
    e
}

fn assert_usage(actual: &Usage, expected: &Usage, what: &str) {
    assert_eq!(
        actual.input_tokens, expected.input_tokens,
        "{what}: input tokens"
    );
    assert_eq!(
        actual.output_tokens, expected.output_tokens,
        "{what}: output tokens"
    );
    assert!(
        (actual.total_cost - expected.total_cost).abs() < 1e-9,
        "{what}: cost {} vs {}",
        actual.total_cost,
        expected.total_cost
    );
    assert!(
        (actual.input_cost - expected.input_cost).abs() < 1e-9,
        "{what}: input cost"
    );
}

fn assert_groups(actual: &[(String, Totals)], expected: &BTreeMap<String, Usage>, what: &str) {
    let keys: Vec<&str> = actual.iter().map(|(k, _)| k.as_str()).collect();
    let mut want: Vec<&str> = expected.keys().map(String::as_str).collect();
    want.sort_by(|a, b| {
        expected[*b]
            .total_cost
            .total_cmp(&expected[*a].total_cost)
            .then(a.cmp(b))
    });
    assert_eq!(keys, want, "{what}: groups, most expensive first");
    for (k, t) in actual {
        assert_usage(&t.usage, &expected[k], &format!("{what} {k}"));
    }
}

/// Alice (acme) and Zed (globex) chat in `support` (Sonnet) and `billing`
/// (Haiku) on Jan 15 and Jan 17, and once more on Jan 20.
async fn busy_platform() -> Platform {
    let p = Platform::standard().await;
    // Titles cost nothing here: every token is the agent's, so the report
    // by model can be checked against the stored answers (titles booked
    // under their own model: tests/usage_by_model.rs).
    p.fakes
        .completions
        .set_usage(pika_domain::cost::TokenUsage::default());
    let mut billing_agent = fixtures::agent("billing-agent", &[]);
    billing_agent.model_id = HAIKU.to_string();
    p.seed_app(
        fixtures::chat_app("billing", "billing-agent"),
        billing_agent,
        vec![],
    )
    .await;
    p.fakes
        .completions
        .set_default(CompletionPurpose::Title, "A short title");
    let alice = fixtures::customer("alice");
    let zed = fixtures::user("zed", UserType::ExternalUser, Some("globex"));

    // Jan 15.
    let alices = turn(&p, &alice, new_in(APP), "Support answer one.").await;
    turn(&p, &zed, new_in("billing"), "Billing answer for Zed.").await;
    turn(&p, &zed, new_in(APP), "Support answer for Zed.").await;
    // Jan 17.
    p.fakes.clock.advance(Duration::days(2));
    turn(
        &p,
        &alice,
        TurnTarget::Session(alices),
        "Support answer two, longer.",
    )
    .await;
    turn(&p, &alice, new_in("billing"), "Billing answer for Alice.").await;
    // Jan 20: outside the reported range.
    p.fakes.clock.advance(Duration::days(3));
    turn(&p, &zed, new_in(APP), "Late answer.").await;
    p
}

fn in_range(m: &Message) -> bool {
    let d = m.created_at.date_naive();
    d >= day(14) && d <= day(18)
}

async fn report(p: &Platform, query: AnalyticsQuery) -> AnalyticsReport {
    p.analytics()
        .report(&fixtures::site_admin("root"), &query)
        .await
        .unwrap()
}

fn range(from: u32, to: u32) -> AnalyticsQuery {
    AnalyticsQuery {
        from: day(from),
        to: day(to),
        chat_app_id: None,
        entity_id: None,
    }
}

#[tokio::test]
async fn the_report_adds_up_to_what_the_turns_stored() {
    let p = busy_platform().await;
    let want = expected(&p, |m, _, _| in_range(m));
    assert_eq!(want.turns, 5);

    let r = report(&p, range(14, 18)).await;

    assert_usage(&r.totals.usage, &want.total, "totals");
    assert_eq!(r.totals.turns, 5);
    assert_groups(&r.by_model, &want.by_model, "by model");
    assert_eq!(
        r.by_model
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>(),
        vec![SONNET, HAIKU]
    );
    assert_groups(&r.by_chat_app, &want.by_app, "by chat app");
    assert_eq!(r.by_chat_app.len(), 2);
    assert_groups(&r.by_entity, &want.by_entity, "by entity");
    let mut entities: Vec<&str> = r.by_entity.iter().map(|(k, _)| k.as_str()).collect();
    entities.sort_unstable();
    assert_eq!(entities, vec!["acme", "globex"]);

    // One point per day, zero days included.
    let days: Vec<NaiveDate> = r.series.iter().map(|(d, _)| *d).collect();
    assert_eq!(days, vec![day(14), day(15), day(16), day(17), day(18)]);
    for (d, t) in &r.series {
        match want.by_day.get(d) {
            Some((usage, turns)) => {
                assert_eq!(t.turns, *turns, "{d}");
                assert_usage(&t.usage, usage, &d.to_string());
            }
            None => assert_eq!(*t, Totals::default(), "{d} is a zero day"),
        }
    }
    assert_eq!(r.series[1].1.turns, 3);
    assert_eq!(r.series[3].1.turns, 2);
    let series_tokens: u64 = r.series.iter().map(|(_, t)| t.usage.input_tokens).sum();
    assert_eq!(series_tokens, r.totals.usage.input_tokens);

    // The late turn shows up in a range that covers it.
    let late = report(&p, range(20, 20)).await;
    assert_eq!(late.totals.turns, 1);
    assert_eq!(late.series.len(), 1);
}

#[tokio::test]
async fn filters_narrow_the_report_to_one_chat_app_or_entity() {
    let p = busy_platform().await;

    let mut billing = range(14, 18);
    billing.chat_app_id = Some(fixtures::chat_app_id("billing"));
    let r = report(&p, billing).await;
    let want = expected(&p, |m, app, _| in_range(m) && app == "billing");
    assert_eq!(r.totals.turns, 2);
    assert_usage(&r.totals.usage, &want.total, "billing totals");
    assert_groups(&r.by_chat_app, &want.by_app, "billing by app");
    assert_eq!(r.by_chat_app.len(), 1);
    assert_groups(&r.by_model, &want.by_model, "billing by model");
    assert_eq!(r.by_model.len(), 1);
    assert_eq!(r.by_model[0].0, HAIKU);
    assert_groups(&r.by_entity, &want.by_entity, "billing by entity");
    assert_eq!(r.series.len(), 5, "the series still covers the whole range");

    let mut globex = range(14, 18);
    globex.entity_id = Some(fixtures::entity_id("globex"));
    let r = report(&p, globex).await;
    let want = expected(&p, |m, _, entity| in_range(m) && entity == "globex");
    assert_eq!(r.totals.turns, 2);
    assert_usage(&r.totals.usage, &want.total, "globex totals");
    assert_eq!(
        r.by_entity
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>(),
        vec!["globex"]
    );
    assert_groups(&r.by_chat_app, &want.by_app, "globex by app");

    let mut both = range(14, 18);
    both.chat_app_id = Some(fixtures::chat_app_id(APP));
    both.entity_id = Some(fixtures::entity_id("acme"));
    let r = report(&p, both).await;
    assert_eq!(r.totals.turns, 2, "Alice's two support turns");
}

#[tokio::test]
async fn an_empty_range_reports_zeroes_for_every_day() {
    let p = busy_platform().await;
    let r = report(&p, range(1, 3)).await;
    assert_eq!(r.totals, Totals::default());
    assert_eq!(r.series.len(), 3);
    assert!(r.series.iter().all(|(_, t)| *t == Totals::default()));
    assert!(r.by_model.is_empty());
    assert!(r.by_chat_app.is_empty());
    assert!(r.by_entity.is_empty());
}

#[tokio::test]
async fn only_site_admins_get_a_report_and_an_inverted_range_is_empty() {
    let p = busy_platform().await;
    for caller in [
        fixtures::customer("alice"),
        fixtures::content_admin("carol"),
    ] {
        assert_eq!(
            code(p.analytics().report(&caller, &range(14, 18)).await),
            "forbidden"
        );
    }
    let root = fixtures::site_admin("root");
    // An inverted range holds no day: an empty report, though the turns
    // of days 14 to 18 are there.
    assert!(report(&p, range(14, 18)).await.totals.turns > 0);
    let inverted = report(&p, range(18, 14)).await;
    assert!(inverted.series.is_empty() && inverted.by_model.is_empty());
    assert_eq!(inverted.totals.turns, 0);
    let too_long = AnalyticsQuery {
        from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        to: day(15),
        chat_app_id: None,
        entity_id: None,
    };
    assert_eq!(
        code(p.analytics().report(&root, &too_long).await),
        "invalid_request"
    );
    // A single day is a valid range.
    assert_eq!(report(&p, range(15, 15)).await.series.len(), 1);
}

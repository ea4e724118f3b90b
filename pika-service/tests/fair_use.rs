//! Fair use across containers: two chat services over one set of stores
//! (two Lambda containers over one DynamoDB) share the user's and the
//! entity's rate limits, the limit on running turns, and the reservations
//! running turns hold against the quotas; generated titles are admitted
//! like turns and booked in the ledger.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use pika_domain::chrono::Duration;
use pika_domain::cost::TokenUsage;
use pika_domain::fair_use::FairUseLimits;
use pika_domain::quota::{QuotaLimits, QuotaScope};
use pika_domain::site::SiteConfig;
use pika_domain::user::User;
use pika_ports::CompletionPurpose;
use pika_service::{ChatService, ConfigCache, SendMessage, ServiceError, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use std::sync::Arc;
use support::{chat, collect, Platform, APP};

/// No rate limits, no running-turn limit: each test turns on what it checks.
fn site_with(fair_use: FairUseLimits, quotas: QuotaLimits) -> SiteConfig {
    SiteConfig {
        fair_use,
        quotas,
        ..fixtures::site()
    }
}

fn unlimited() -> FairUseLimits {
    FairUseLimits {
        user_turns_per_minute: 0,
        entity_turns_per_minute: 0,
        max_concurrent_turns_per_user: 0,
        quota_reservation_tokens: 0,
        ..FairUseLimits::default()
    }
}

async fn platform(site: SiteConfig) -> (Platform, ChatService) {
    let p = Platform::standard_with_site(site).await;
    // A second container: its own service and caches, the same stores.
    let config = Arc::new(ConfigCache::new(p.ports.clone(), p.settings.config_ttl));
    let other = ChatService::new(p.ports.clone(), p.settings.clone(), config);
    (p, other)
}

fn new_session(text: &str) -> SendMessage {
    SendMessage::new(TurnTarget::NewSession(fixtures::chat_app_id(APP)), text)
}

async fn answered(service: &ChatService, user: &User) -> Result<(), ServiceError> {
    let mut stream = service.send(user, new_session("hello")).await?;
    collect(&mut stream).await;
    Ok(())
}

fn rate_limited<T>(result: Result<T, ServiceError>) -> std::time::Duration {
    match result {
        Err(ServiceError::RateLimited { retry_after, .. }) => {
            retry_after.expect("a refusal says when to try again")
        }
        Err(other) => panic!("expected rate_limited, got {other:?}"),
        Ok(_) => panic!("expected rate_limited, the request was accepted"),
    }
}

#[tokio::test]
async fn a_users_turn_rate_holds_across_containers_and_refills() {
    let limits = FairUseLimits {
        user_turns_per_minute: 6,
        user_turn_burst: 3,
        ..unlimited()
    };
    let (p, other) = platform(site_with(limits, QuotaLimits::default())).await;
    let alice = fixtures::customer("alice");
    for service in [&p.chat, &other, &p.chat] {
        p.fakes.runtime.push(Script::answer("ok"));
        answered(service, &alice).await.unwrap();
    }
    // The burst of three is spent, whichever container takes the fourth.
    let wait = rate_limited(answered(&other, &alice).await);
    assert_eq!(
        wait,
        std::time::Duration::from_secs(10),
        "6 a minute: one every 10 s"
    );
    // Another user has their own allowance.
    p.fakes.runtime.push(Script::answer("ok"));
    answered(&other, &fixtures::customer("bob")).await.unwrap();
    // Ten seconds later one more turn is allowed, and only one.
    p.fakes.clock.advance(Duration::seconds(10));
    p.fakes.runtime.push(Script::answer("ok"));
    answered(&p.chat, &alice).await.unwrap();
    rate_limited(answered(&other, &alice).await);
    // A refused turn stored nothing.
    let sessions = p.sessions();
    let listed = sessions
        .list(&alice, None, pika_ports::PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 4);
}

#[tokio::test]
async fn an_entitys_rate_is_shared_by_its_users() {
    let limits = FairUseLimits {
        entity_turns_per_minute: 60,
        entity_turn_burst: 2,
        ..unlimited()
    };
    let (p, other) = platform(site_with(limits, QuotaLimits::default())).await;
    for (service, user) in [(&p.chat, "alice"), (&other, "bob")] {
        p.fakes.runtime.push(Script::answer("ok"));
        answered(service, &fixtures::customer(user)).await.unwrap();
    }
    // carol is of the same entity (acme): its allowance is spent.
    rate_limited(answered(&p.chat, &fixtures::customer("carol")).await);
    // A user of another entity is not held back by acme's.
    let other_entity = fixtures::user(
        "dave",
        pika_domain::user::UserType::ExternalUser,
        Some("zeta"),
    );
    p.fakes.runtime.push(Script::answer("ok"));
    answered(&p.chat, &other_entity).await.unwrap();
}

#[tokio::test]
async fn a_user_runs_at_most_the_limit_of_turns_at_once_across_containers() {
    let limits = FairUseLimits {
        max_concurrent_turns_per_user: 2,
        ..unlimited()
    };
    let (p, other) = platform(site_with(limits, QuotaLimits::default())).await;
    let alice = fixtures::customer("alice");
    let mut running = Vec::new();
    for service in [&p.chat, &other] {
        p.fakes.runtime.push(Script::new().delta("thinking").hang());
        running.push(service.send(&alice, new_session("long")).await.unwrap());
    }
    models_called(&p, 2).await;
    let wait = rate_limited(other.send(&alice, new_session("third")).await);
    assert!(wait >= std::time::Duration::from_secs(1));
    // Others are not held back by alice's turns.
    p.fakes.runtime.push(Script::answer("ok"));
    answered(&other, &fixtures::customer("bob")).await.unwrap();

    // A turn that ends frees its place, wherever it ran.
    let mut first = running.remove(0);
    assert!(other.stop(&alice, &first.session_id).await.unwrap());
    collect(&mut first).await;
    p.fakes.runtime.push(Script::new().delta("thinking").hang());
    running.push(other.send(&alice, new_session("again")).await.unwrap());
    rate_limited(p.chat.send(&alice, new_session("one too many")).await);

    // A hold whose process died lapses after hold_seconds.
    let hold = FairUseLimits::default().hold_seconds;
    p.fakes
        .clock
        .advance(Duration::seconds(i64::from(hold) + 1));
    p.fakes.runtime.push(Script::answer("ok"));
    answered(&p.chat, &alice).await.unwrap();
}

/// Waits until `n` model calls were made: the turns are past their start.
async fn models_called(p: &Platform, n: usize) {
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while p.fakes.runtime.calls() < n {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the turns called the model");
}

#[tokio::test]
async fn parallel_turns_cannot_spend_past_the_quota_together() {
    let limits = FairUseLimits {
        quota_reservation_tokens: 4_000,
        ..unlimited()
    };
    let quotas = QuotaLimits {
        user_tokens_per_window: Some(10_000),
        ..QuotaLimits::default()
    };
    let (p, other) = platform(site_with(limits, quotas)).await;
    let alice = fixtures::customer("alice");
    // Three turns running on two containers reserve 12 000 tokens: the
    // third starts (8 000 < 10 000), a fourth may not.
    let mut running = Vec::new();
    for service in [&p.chat, &other, &p.chat] {
        p.fakes.runtime.push(Script::new().delta("…").hang());
        running.push(service.send(&alice, new_session("long")).await.unwrap());
    }
    models_called(&p, 3).await;
    rate_limited(other.send(&alice, new_session("fourth")).await);
    // Titles may not spend the reserved tokens either.
    let sessions = p.sessions();
    rate_limited(
        sessions
            .set_title(&alice, &running[0].session_id, None)
            .await,
    );
    // Without reservations (the old behaviour) all four would start
    // before any usage is recorded. Once the turns end with their real
    // usage, what is left of the quota is free again.
    for mut turn in running {
        assert!(p.chat.stop(&alice, &turn.session_id).await.unwrap());
        collect(&mut turn).await;
    }
    p.fakes.runtime.push(Script::answer("ok"));
    answered(&other, &alice).await.unwrap();
    let state = p
        .fakes
        .allowances
        .state("user#alice")
        .expect("alice's allowance");
    assert!(state.holds.holds.is_empty(), "{state:?}");
    // The stopped turns booked what they used (estimated), not their reservations.
    let used = p.fakes.usage.total_tokens(QuotaScope::User, "alice");
    assert!((1..4_000).contains(&used), "{used}");
}

#[tokio::test]
async fn a_generated_title_is_booked_and_refused_past_the_quota() {
    let quotas = QuotaLimits {
        user_tokens_per_window: Some(1_000),
        ..QuotaLimits::default()
    };
    let mut site = site_with(unlimited(), quotas);
    site.title_model_id = Some("title-model".to_string());
    let (p, _) = platform(site).await;
    let alice = fixtures::customer("alice");
    let session = chat(&p, &alice, "capital of France?", "Paris is the capital").await;
    let used = || p.fakes.usage.total_tokens(QuotaScope::User, "alice");
    let before = used();
    let titles = || {
        p.fakes
            .completions
            .requests_for(CompletionPurpose::Title)
            .len()
    };

    p.fakes.completions.set_usage(TokenUsage {
        input_tokens: 200,
        output_tokens: 20,
    });
    p.fakes
        .completions
        .push(CompletionPurpose::Title, "France's capital");
    let titled = p
        .sessions()
        .set_title(&alice, &session, None)
        .await
        .unwrap();
    assert_eq!(titled.title.as_deref(), Some("France's capital"));
    assert_eq!(
        used(),
        before + 220,
        "the title's tokens count against the quota"
    );
    let booked = p.fakes.usage.all_daily();
    let title_day = booked
        .iter()
        .find(|d| d.model_id == "title-model")
        .expect("the title is booked under its own model");
    assert_eq!(
        (title_day.usage.tokens().total(), title_day.turns),
        (220, 0),
        "booked, not a turn"
    );

    // One more title spends the rest; the next is refused before the model
    // is called, and nothing more is booked.
    p.fakes.completions.set_usage(TokenUsage {
        input_tokens: 500,
        output_tokens: 500,
    });
    p.fakes
        .completions
        .push(CompletionPurpose::Title, "Capitals");
    p.sessions()
        .set_title(&alice, &session, None)
        .await
        .unwrap();
    let (spent, called) = (used(), titles());
    assert!(spent >= 1_000, "{spent}");
    let refused = p.sessions().set_title(&alice, &session, None).await;
    assert_eq!(support::code(refused), "quota_exceeded");
    assert_eq!((used(), titles()), (spent, called));
}

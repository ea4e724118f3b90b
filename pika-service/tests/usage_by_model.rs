//! Cost by model adds up: a turn books its agent's calls under the agent's
//! model (counting the turn), and its title under the title model (not as
//! a turn), so the daily aggregates per model sum to what was spent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use pika_domain::cost::TokenUsage;
use pika_ports::CompletionPurpose;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use support::{Platform, AGENT};

#[tokio::test]
async fn a_turn_books_each_model_under_its_own_name() {
    let mut site = fixtures::site();
    site.title_model_id = Some("title-model".to_string());
    let p = Platform::standard_with_site(site).await;
    p.fakes.completions.set_usage(TokenUsage {
        input_tokens: 30,
        output_tokens: 5,
    });
    p.fakes
        .completions
        .push(CompletionPurpose::Title, "Capitals");
    p.fakes.runtime.push(
        Script::new()
            .delta("Paris.")
            .usage(120, 12)
            .complete(pika_ports::StopReason::EndTurn),
    );
    let (_, events) = p
        .first_turn(&fixtures::customer("alice"), "Capital of France?")
        .await;
    assert!(
        matches!(
            events.last(),
            Some(pika_domain::stream::TurnEvent::Done { .. })
        ),
        "{events:?}"
    );

    let mut days = p.fakes.usage.all_daily();
    days.sort_by(|a, b| a.model_id.cmp(&b.model_id));
    let got: Vec<(&str, u64, u64)> = days
        .iter()
        .map(|d| (d.model_id.as_str(), d.usage.tokens().total(), d.turns))
        .collect();
    let agent_model = fixtures::agent(AGENT, &[]).model_id;
    assert_eq!(
        got,
        [(agent_model.as_str(), 132, 1), ("title-model", 35, 0)]
    );
    // The hour bucket counts both.
    assert_eq!(
        p.fakes
            .usage
            .total_tokens(pika_domain::quota::QuotaScope::User, "alice"),
        167
    );
}

//! Turns run in-process on the service, timed from the call to the last
//! event: what the in-process rows (2, 3) measure.

use futures::StreamExt;
use pika_domain::ids::SessionId;
use pika_domain::stream::TurnEvent;
use pika_domain::user::User;
use pika_service::{Platform, SendMessage, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fakes::runtime::ScriptedRuntime;
use std::error::Error;
use std::time::{Duration, Instant};

/// The answer every scripted turn gives.
pub const ANSWER: &str = "ok";

/// Runs one turn at `target` whose scripted answer is queued on `runtime`
/// first; returns its session and how long it took, call to last event.
///
/// # Errors
/// A refused turn, or a turn that ends in an error event.
pub async fn timed_turn(
    platform: &Platform,
    runtime: &ScriptedRuntime,
    user: &User,
    target: TurnTarget,
) -> Result<(SessionId, Duration), Box<dyn Error>> {
    runtime.push(Script::answer(ANSWER));
    let started = Instant::now();
    let mut turn = platform
        .chat
        .send(user, SendMessage::new(target, "hi".to_string()))
        .await?;
    while let Some(event) = turn.events.next().await {
        if let TurnEvent::Error { message, .. } = event.event {
            return Err(format!("the turn failed: {message}").into());
        }
    }
    Ok((turn.session_id, started.elapsed()))
}

/// The testkit's site with fair use raised out of the way: a benchmark
/// starts thousands of turns a minute for one user.
pub fn bench_site() -> pika_domain::site::SiteConfig {
    let mut site = pika_testkit::fixtures::site();
    site.fair_use.user_turns_per_minute = 10_000_000;
    site.fair_use.user_turn_burst = 10_000_000;
    site.fair_use.entity_turns_per_minute = 10_000_000;
    site.fair_use.entity_turn_burst = 10_000_000;
    site
}

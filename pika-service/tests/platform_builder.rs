//! `Platform::builder()`: the one way to compose the platform. A required
//! port left out is named; the optional ones get their defaults; what it
//! builds answers a turn.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use pika_ports::{PageRequest, SearchQuery};
use pika_service::{Platform, SendMessage, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::{fixtures, FakePorts};
use std::sync::Arc;
use support::{collect, text_of};

/// A builder with every required port from `fakes`, none of the optional.
fn required_only(fakes: &FakePorts) -> pika_service::PlatformBuilder {
    Platform::builder()
        .sessions(fakes.sessions.clone())
        .messages(fakes.messages.clone())
        .chat_apps(fakes.chat_apps.clone())
        .site(fakes.site.clone())
        .agents(fakes.agents.clone())
        .tools(fakes.tools.clone())
        .users(fakes.users.clone())
        .feedback(fakes.feedback.clone())
        .usage(fakes.usage.clone())
        .job_lock(fakes.job_lock.clone())
        .runtime(fakes.runtime.clone())
        .completions(fakes.completions.clone())
        .tool_invoker(fakes.tool_invoker.clone())
        .files(fakes.files.clone())
        .turns(fakes.turns.clone())
        .allowances(fakes.allowances.clone())
}

#[test]
fn every_missing_port_is_named() {
    let err = Platform::builder().build().err().expect("nothing given");
    assert_eq!(err.0.len(), 16, "{err}");
    for name in ["sessions", "runtime", "tool_invoker", "turns", "allowances"] {
        assert!(err.to_string().contains(name), "{err}");
    }
    let fakes = FakePorts::with_site(fixtures::site());
    let err = Platform::builder()
        .sessions(fakes.sessions.clone())
        .runtime(fakes.runtime.clone())
        .build()
        .err()
        .expect("still missing");
    assert_eq!(err.0.len(), 14);
    assert!(!err.0.contains(&"sessions") && !err.0.contains(&"runtime"));
}

#[tokio::test]
async fn the_optional_ports_default_and_the_platform_answers_a_turn() {
    let fakes = FakePorts::with_site(fixtures::site());
    fakes
        .seed_app(
            &fixtures::chat_app("support", "helper"),
            &fixtures::agent("helper", &[]),
            &[],
        )
        .await
        .unwrap();
    fakes
        .runtime
        .push(Script::answer("Hello from a built platform."));
    let platform = required_only(&fakes).build().unwrap();

    let alice = fixtures::customer("alice");
    let mut stream = platform
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
    let events = collect(&mut stream).await;
    assert_eq!(text_of(&events), "Hello from a built platform.");
    // Real ids and time by default (not the fakes'), and the turn stored.
    assert_eq!(
        stream.session_id.to_string().as_bytes()[14],
        b'7',
        "a UUIDv7"
    );
    let stored = fakes.messages.of_session(&stream.session_id);
    assert_eq!(stored.len(), 2);
    // No search index given: searching says so instead of finding nothing.
    let query = SearchQuery {
        text: "hello".into(),
        ..SearchQuery::default()
    };
    let err = platform
        .ports
        .search
        .search(&query, PageRequest::default())
        .await
        .unwrap_err();
    assert!(err.message.contains("not configured"), "{err}");
    // Given ports are the ones used.
    let again = required_only(&fakes)
        .search(fakes.search.clone())
        .clock(fakes.clock.clone())
        .build()
        .unwrap();
    assert!(Arc::ptr_eq(
        &again.ports.clock,
        &(fakes.clock.clone() as Arc<dyn pika_ports::Clock>)
    ));
}

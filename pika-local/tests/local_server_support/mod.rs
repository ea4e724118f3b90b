//! Shared by the `local_server_*` tests: a time bound and checks of streamed
//! turns.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::local_support::{Event, Reply};
use std::future::Future;
use std::time::Duration;

/// Every test ends by itself: a hang fails it instead of blocking the run.
pub async fn bounded<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), test)
        .await
        .expect("the test did not finish within 60 s")
}

pub fn names(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.name.as_str()).collect()
}

pub fn only<'a>(events: &'a [Event], name: &str) -> &'a Event {
    let found: Vec<&Event> = events.iter().filter(|e| e.name == name).collect();
    assert_eq!(found.len(), 1, "one {name} event in {:?}", names(events));
    found[0]
}

/// Checks that a reply is a finished turn and returns its events.
pub fn finished_turn(reply: &Reply) -> Vec<Event> {
    assert_eq!(reply.status, 200, "turn refused: {}", reply.body);
    assert!(
        reply.content_type.starts_with("text/event-stream"),
        "content type {}",
        reply.content_type
    );
    let events = reply.events();
    assert_eq!(events.first().map(|e| e.name.as_str()), Some("session"));
    assert_eq!(
        events.last().map(|e| e.name.as_str()),
        Some("done"),
        "events: {:?}",
        names(&events)
    );
    events
}

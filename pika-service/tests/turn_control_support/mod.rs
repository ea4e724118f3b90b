//! Two processes over one store — two `ChatService`s, each with its own
//! registry of running turns, sharing the ports — as two Lambda containers
//! or two local servers behind a load balancer: a second turn in a busy
//! session is refused wherever it arrives, a stop from the other process
//! ends the turn within a second, and a resume from the other process
//! yields exactly the events the first client saw.
//!
//! One scenario for every store: the fakes (pika-service), SQLite
//! (pika-local) and DynamoDB on moto (pika-aws-adapters) include this file.

#![allow(dead_code)]

use futures::StreamExt;
use pika_domain::site::SiteRecord;
use pika_domain::stream::{SequencedEvent, TurnEvent};
use pika_ports::{Ports, StopReason};
use pika_service::{
    ChatService, ConfigCache, SendMessage, ServiceError, ServiceSettings, TurnTarget,
};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::{fixtures, FakePorts};
use std::sync::Arc;
use std::time::Duration;

async fn all(
    mut events: futures::stream::BoxStream<'static, SequencedEvent>,
) -> Vec<SequencedEvent> {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(e) = events.next().await {
            out.push(e);
        }
    })
    .await
    .expect("the stream ends");
    out
}

/// Runs the scenario on `ports` (its stores are the store under test; the
/// model is `fakes`' scripted runtime).
pub async fn two_processes_share_one_turn(ports: Ports, fakes: &FakePorts) {
    two_processes_share_one_turn_across(ports.clone(), ports, fakes).await;
}

/// The same, each process with its own ports over the same store (its own
/// connections, as a second process has).
pub async fn two_processes_share_one_turn_across(ports: Ports, other: Ports, fakes: &FakePorts) {
    ports
        .agents
        .create(&fixtures::agent("agent", &[]))
        .await
        .unwrap();
    ports
        .chat_apps
        .create(&fixtures::chat_app("support", "agent"))
        .await
        .unwrap();
    ports
        .site
        .create(&SiteRecord::seed(fixtures::site(), fixtures::t0()))
        .await
        .unwrap();
    let settings = ServiceSettings {
        turn_heartbeat: Duration::from_millis(200),
        ..ServiceSettings::default()
    };
    let process = |ports: &Ports| {
        ChatService::new(
            ports.clone(),
            settings.clone(),
            Arc::new(ConfigCache::new(ports.clone(), settings.config_ttl)),
        )
    };
    let (a, b) = (process(&ports), process(&other));
    let alice = fixtures::customer("alice");

    fakes.runtime.push(Script::answer("Hello."));
    let first = a
        .send(
            &alice,
            SendMessage::new(
                TurnTarget::NewSession(fixtures::chat_app_id("support")),
                "Hi",
            ),
        )
        .await
        .unwrap();
    let session = first.session_id;
    all(first.events).await;

    // A long answer on process A: 40 words, 100 ms apart.
    let mut story = Script::new();
    for i in 0..40 {
        story = story
            .delta(format!("word{i} "))
            .delay(Duration::from_millis(100));
    }
    fakes
        .runtime
        .push(story.usage(50, 40).complete(StopReason::EndTurn));
    let running = a
        .send(
            &alice,
            SendMessage::new(TurnTarget::Session(session), "Tell me a story"),
        )
        .await
        .unwrap();
    let message = running.assistant_message_id;
    let seen_by_a = tokio::spawn(all(running.events));
    tokio::time::sleep(Duration::from_millis(600)).await;

    // Process B refuses a second turn in the session.
    match b
        .send(
            &alice,
            SendMessage::new(TurnTarget::Session(session), "And?"),
        )
        .await
    {
        Err(ServiceError::Conflict(_)) => {}
        Err(other) => panic!("a second turn through B: {other}"),
        Ok(_) => panic!("a second turn through B started"),
    }

    // Process B follows the turn from its start.
    let followed = b.events(&alice, &session, &message, None).await.unwrap();
    let seen_by_b = tokio::spawn(all(followed));
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A stop through B ends the turn on A within a second.
    let asked = tokio::time::Instant::now();
    assert!(
        b.stop(&alice, &session).await.unwrap(),
        "B sees the running turn"
    );
    let events_a = seen_by_a.await.unwrap();
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(1), "the stop took {took:?}");
    match &events_a.last().unwrap().event {
        TurnEvent::Done { stopped, .. } => assert_eq!(*stopped, Some(true)),
        other => panic!("the turn ended with {other:?}"),
    }

    // B's client saw exactly what A's did.
    let events_b = seen_by_b.await.unwrap();
    assert_eq!(events_b, events_a);
    let resumed_later = all(b.events(&alice, &session, &message, Some(3)).await.unwrap()).await;
    assert_eq!(resumed_later, events_a[4..].to_vec());

    // The session is free again, for either process.
    fakes.runtime.push(Script::answer("Next."));
    let next = b
        .send(
            &alice,
            SendMessage::new(TurnTarget::Session(session), "Next?"),
        )
        .await
        .unwrap();
    let events = all(next.events).await;
    assert!(matches!(
        events.last().unwrap().event,
        TurnEvent::Done { .. }
    ));
    assert!(
        !a.stop(&alice, &session).await.unwrap(),
        "nothing runs any more"
    );
}

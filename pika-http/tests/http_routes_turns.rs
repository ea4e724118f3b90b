//! Chat turns (streams, retries, resume, stop, quotas) through the real router
//! on fakes: the wire shape a client checks on success, and the problem
//! documents of its failure paths (PIKA.md §11).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod http_support;
mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_support::*;
use pika_domain::chrono::Duration as ChronoDuration;
use pika_domain::quota::QuotaLimits;
use pika_http::streaming::sse;
use pika_http::ApiConfig;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::json;
use std::time::Duration;
use support::{Api, Reply, APP};
use tower::ServiceExt;

// ------------------------------------------------------------------ turns

#[tokio::test]
async fn chat_streams_session_delta_usage_done() {
    let api = Api::new().await;
    api.fakes.runtime.push(Script::answer("Hello there, Alice"));
    let reply = api
        .post(
            &format!("/chat/{APP}/messages"),
            &alice(),
            json!({ "message": "Hi" }),
        )
        .await;
    let ev = expect_stream(&reply);
    assert_eq!(reply.headers["cache-control"], "no-cache");
    let session = reply.headers["x-chatbot-session-id"]
        .to_str()
        .unwrap()
        .to_string();

    let n = names(&ev);
    assert_eq!(n.first(), Some(&"session"), "{n:?}");
    assert_eq!(n.last(), Some(&"done"), "{n:?}");
    let usage_at = n.iter().position(|e| *e == "usage").expect("a usage event");
    assert_eq!(usage_at, n.len() - 2, "usage right before done: {n:?}");
    assert!(n[1..usage_at].iter().all(|e| *e == "delta"), "{n:?}");
    assert!(usage_at > 1, "at least one delta");

    let started = data(&ev, "session");
    has_keys(
        started,
        &["sessionId", "userMessageId", "assistantMessageId"],
    );
    assert_eq!(started["sessionId"], session.as_str());
    let text: String = ev
        .iter()
        .filter(|(n, _)| n == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Hello there, Alice");
    has_keys(
        data(&ev, "usage"),
        &["inputTokens", "outputTokens", "totalCost"],
    );
    let done = data(&ev, "done");
    assert_eq!(done["userMessageId"], started["userMessageId"]);
    assert_eq!(done["assistantMessageId"], started["assistantMessageId"]);
    ev.iter().for_each(|(_, d)| camel_case(d));

    // Every frame's id is {assistantMessageId}:{seq}.
    let assistant = started["assistantMessageId"].as_str().unwrap();
    for (seq, frame) in sse::parse(&reply.text())
        .iter()
        .filter(|f| !f.comment)
        .enumerate()
    {
        assert_eq!(
            frame.id.as_deref(),
            Some(format!("{assistant}:{seq}").as_str())
        );
    }

    let stored = api.fakes.messages.of_session(&sid(&session));
    assert_eq!(stored.len(), 2);
    assert!(
        stored.iter().any(|m| m.content == "Hi")
            && stored.iter().any(|m| m.content == "Hello there, Alice")
    );
}

#[tokio::test]
async fn chat_in_pika_text_when_asked() {
    let api = Api::new().await;
    api.fakes
        .runtime
        .push(Script::answer("<answer>plain</answer>"));
    let req = Request::post(format!("/chat/{APP}/messages"))
        .header("authorization", format!("Bearer {}", api.token(&alice())))
        .header("content-type", "application/json")
        .header("accept", "text/plain")
        .body(Body::from(json!({ "message": "hi" }).to_string()))
        .unwrap();
    let reply = api.send(req).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert!(reply.headers.contains_key("x-chatbot-session-id"));
    let body = reply.text();
    assert!(body.contains("<answer>plain</answer>"), "{body}");
    assert!(body.contains("<pika-metadata>"), "{body}");
}

#[tokio::test]
async fn send_in_an_existing_session() {
    let api = Api::new().await;
    let id = new_session(&api, &alice()).await;
    api.fakes.runtime.push(Script::answer("ok"));
    let reply = api
        .post(
            &format!("/sessions/{id}/messages"),
            &alice(),
            json!({ "message": "hello" }),
        )
        .await;
    let ev = expect_stream(&reply);
    assert_eq!(data(&ev, "session")["sessionId"], id.as_str());
    assert_eq!(reply.headers["x-chatbot-session-id"], id.as_str());
    assert_eq!(names(&ev).last(), Some(&"done"));

    problem(
        &api.post(
            &format!("/sessions/{id}/messages"),
            &bob(),
            json!({ "message": "hi" }),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &api.post(
            &format!("/sessions/{NO_SUCH_SESSION}/messages"),
            &alice(),
            json!({ "message": "hi" }),
        )
        .await,
        404,
        "not_found",
    );
    // A content admin may view but never post.
    problem(
        &api.post(
            &format!("/sessions/{id}/messages"),
            &editor(),
            json!({ "message": "hi" }),
        )
        .await,
        403,
        "forbidden",
    );
    problem(
        &api.post("/chat/nope/messages", &alice(), json!({ "message": "hi" }))
            .await,
        404,
        "not_found",
    );
    assert_eq!(api.fakes.messages.len(), 2, "refused turns store nothing");
    assert_eq!(api.fakes.sessions.len(), 1);
}

#[tokio::test]
async fn idempotent_retry_replays_the_stored_turn() {
    let api = Api::new().await;
    api.fakes.runtime.push(Script::answer("once"));
    let body = json!({ "message": "hi", "clientMessageId": "c-1" });
    let first = api
        .post(&format!("/chat/{APP}/messages"), &alice(), body.clone())
        .await;
    let first_ev = expect_stream(&first);
    let again = api
        .post(&format!("/chat/{APP}/messages"), &alice(), body)
        .await;
    let again_ev = expect_stream(&again);
    assert_eq!(
        first.headers["x-chatbot-session-id"],
        again.headers["x-chatbot-session-id"]
    );
    assert_eq!(data(&first_ev, "done"), data(&again_ev, "done"));
    assert_eq!(api.fakes.sessions.len(), 1, "never a second session");
    assert_eq!(api.fakes.runtime.calls(), 1, "never a second turn");
}

#[tokio::test]
async fn resume_returns_the_events_after_the_last_seen() {
    let api = Api::new().await;
    let (id, ev) = chatted(&api, &alice(), "hi", "a longer answer").await;
    let assistant = data(&ev, "session")["assistantMessageId"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/sessions/{id}/messages/{assistant}/events");

    let all = expect_stream(&api.get(&path, &alice()).await);
    assert_eq!(names(&all), names(&ev));
    let after = expect_stream(&api.get(&format!("{path}?after=0"), &alice()).await);
    assert_eq!(names(&after), names(&ev)[1..].to_vec());
    let t = api.token(&alice());
    let reply = raw(
        &api,
        Method::GET,
        &path,
        Some(&t),
        &[("last-event-id", &format!("{assistant}:1"))],
    )
    .await;
    assert_eq!(names(&expect_stream(&reply)), names(&ev)[2..].to_vec());

    problem(&api.get(&path, &bob()).await, 404, "not_found");
    problem(
        &api.get(
            &format!("/sessions/{id}/messages/{NO_SUCH_UUID}/events"),
            &alice(),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &api.get(
            &format!("/sessions/{NO_SUCH_SESSION}/messages/{assistant}/events"),
            &alice(),
        )
        .await,
        404,
        "not_found",
    );
    let reply = raw(
        &api,
        Method::GET,
        &path,
        Some(&t),
        &[("last-event-id", "garbage")],
    )
    .await;
    problem(&reply, 400, "invalid_request");
    let reply = raw(
        &api,
        Method::GET,
        &path,
        Some(&t),
        &[("last-event-id", &format!("{NO_SUCH_UUID}:1"))],
    )
    .await;
    // Well formed, but no event of this message's stream has that id.
    problem(&reply, 404, "not_found");
}

#[tokio::test]
async fn stop_when_nothing_runs() {
    let api = Api::new().await;
    let id = new_session(&api, &alice()).await;
    let reply = call(
        &api,
        Method::POST,
        &format!("/sessions/{id}/stop"),
        &alice(),
        None,
    )
    .await;
    assert_eq!(expect(&reply, 200), json!({ "stopped": false }));
    problem(
        &call(
            &api,
            Method::POST,
            &format!("/sessions/{id}/stop"),
            &bob(),
            None,
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &call(
            &api,
            Method::POST,
            &format!("/sessions/{id}/stop"),
            &editor(),
            None,
        )
        .await,
        403,
        "forbidden",
    );
    problem(
        &call(
            &api,
            Method::POST,
            &format!("/sessions/{NO_SUCH_SESSION}/stop"),
            &alice(),
            None,
        )
        .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn a_running_turn_conflicts_and_stops() {
    let api = Api::new().await;
    api.fakes
        .runtime
        .push(Script::new().delta("partial ").hang());
    let req = Request::post(format!("/chat/{APP}/messages"))
        .header("authorization", format!("Bearer {}", api.token(&alice())))
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "message": "tell me", "clientMessageId": "c-run" }).to_string(),
        ))
        .unwrap();
    // Keep the streaming response open without reading it.
    let running = api.router.clone().oneshot(req).await.unwrap();
    assert_eq!(running.status(), StatusCode::OK);
    let id = running.headers()["x-chatbot-session-id"]
        .to_str()
        .unwrap()
        .to_string();

    // Let the turn reach the model.
    for _ in 0..100 {
        if api.fakes.runtime.calls() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let reply = api
        .post(
            &format!("/sessions/{id}/messages"),
            &alice(),
            json!({ "message": "and?" }),
        )
        .await;
    problem(&reply, 409, "conflict");
    let reply = api
        .post(
            &format!("/chat/{APP}/messages"),
            &alice(),
            json!({ "message": "tell me", "clientMessageId": "c-run" }),
        )
        .await;
    problem(&reply, 409, "conflict");
    assert_eq!(
        api.fakes.messages.len(),
        1,
        "only the running turn's user message"
    );

    let stopped = call(
        &api,
        Method::POST,
        &format!("/sessions/{id}/stop"),
        &alice(),
        None,
    )
    .await;
    assert_eq!(expect(&stopped, 200), json!({ "stopped": true }));
    let body = tokio::time::timeout(
        Duration::from_secs(10),
        http_body_util::BodyExt::collect(running.into_body()),
    )
    .await
    .expect("the stream ends after stop")
    .unwrap()
    .to_bytes();
    let reply = Reply {
        status: StatusCode::OK,
        headers: Default::default(),
        body: body.to_vec(),
    };
    let ev = events(&reply);
    assert_eq!(names(&ev).last(), Some(&"done"), "{ev:?}");
    assert_eq!(data(&ev, "done")["stopped"], true);
    let answer = api
        .fakes
        .messages
        .of_session(&sid(&id))
        .into_iter()
        .find(|m| m.content.starts_with("partial"))
        .unwrap();
    assert!(answer.stopped);
}

#[tokio::test]
async fn quota_exceeded_is_429_with_resets_at_and_stores_nothing() {
    let mut site = fixtures::site();
    site.quotas = QuotaLimits {
        user_tokens_per_window: Some(100),
        entity_tokens_per_window: None,
        window_hours: Some(24),
    };
    let api = Api::with(site, ApiConfig::default()).await;
    let (id, _) = chatted(&api, &alice(), "spend", "120 tokens").await;
    let (sessions, messages) = (api.fakes.sessions.len(), api.fakes.messages.len());

    let reply = api
        .post(
            &format!("/chat/{APP}/messages"),
            &alice(),
            json!({ "message": "more" }),
        )
        .await;
    problem(&reply, 429, "quota_exceeded");
    let resets = reply.json()["resetsAt"]
        .as_str()
        .expect("resetsAt")
        .to_string();
    let resets = pika_domain::chrono::DateTime::parse_from_rfc3339(&resets).expect("RFC 3339");
    assert!(
        resets > fixtures::t0() && resets <= fixtures::t0() + ChronoDuration::hours(25),
        "{resets}"
    );
    problem(
        &api.post(
            &format!("/sessions/{id}/messages"),
            &alice(),
            json!({ "message": "more" }),
        )
        .await,
        429,
        "quota_exceeded",
    );
    assert_eq!(
        (api.fakes.sessions.len(), api.fakes.messages.len()),
        (sessions, messages),
        "nothing stored"
    );

    // The quota is per user: bob still may chat.
    chatted(&api, &bob(), "hi", "hello").await;
}

#[tokio::test]
async fn a_turn_past_the_users_rate_is_429_with_retry_after() {
    let mut site = fixtures::site();
    site.fair_use.user_turns_per_minute = 2;
    site.fair_use.user_turn_burst = 1;
    let api = Api::with(site, ApiConfig::default()).await;
    api.fakes.runtime.push(Script::answer("Hello"));
    api.chat(&alice(), "Hi").await;
    let reply = api
        .post(
            &format!("/chat/{APP}/messages"),
            &alice(),
            json!({ "message": "Again" }),
        )
        .await;
    problem(&reply, 429, "rate_limited");
    assert_eq!(
        reply.headers["retry-after"], "30",
        "2 a minute: one every 30 s"
    );
    // Another user is not held back.
    api.fakes.runtime.push(Script::answer("Hello"));
    api.chat(&bob(), "Hi").await;
}

//! `POST /sessions/{id}/confirm`: the user's answer to a tool call that
//! needs consent, through the real router on fakes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod http_support;
mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_support::*;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::json;
use std::time::Duration;
use support::{Api, Reply};
use tower::ServiceExt;

const BANK: &str = "bank";

async fn bank_api() -> Api {
    let api = Api::new().await;
    let mut tool = fixtures::inline_tool("payments", "transfer_money");
    tool.function_schema[0].require_confirmation = true;
    api.seed_app(
        fixtures::chat_app(BANK, "banker"),
        fixtures::agent("banker", &["payments"]),
        vec![tool],
    )
    .await;
    api.fakes
        .tool_invoker
        .on("transfer_money", |_| Ok(json!({ "sent": true })));
    api
}

#[tokio::test]
async fn the_owner_approves_and_the_stream_goes_on() {
    let api = bank_api().await;
    api.fakes.runtime.push(Script::tool_call(
        "t1",
        "transfer_money",
        json!({ "query": "100 EUR to Bob" }),
    ));
    api.fakes.runtime.push(Script::answer("Sent."));
    let req = Request::post(format!("/chat/{BANK}/messages"))
        .header("authorization", format!("Bearer {}", api.token(&alice())))
        .header("content-type", "application/json")
        .body(Body::from(json!({ "message": "Pay Bob" }).to_string()))
        .unwrap();
    let running = api.router.clone().oneshot(req).await.unwrap();
    assert_eq!(running.status(), StatusCode::OK);
    let id = running.headers()["x-chatbot-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let path = format!("/sessions/{id}/confirm");

    problem(
        &call(
            &api,
            Method::POST,
            &path,
            &bob(),
            Some(json!({ "toolUseId": "t1", "approve": true })),
        )
        .await,
        404,
        "not_found",
    );
    problem(
        &call(
            &api,
            Method::POST,
            &path,
            &alice(),
            Some(json!({ "toolUseId": "t1" })),
        )
        .await,
        400,
        "invalid_request",
    );
    // The user reads the request, then answers.
    for _ in 0..200 {
        if api.fakes.runtime.calls() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(api.fakes.tool_invoker.calls_of("transfer_money").is_empty());
    let answered = call(
        &api,
        Method::POST,
        &path,
        &alice(),
        Some(json!({ "toolUseId": "t1", "approve": true })),
    )
    .await;
    assert_eq!(expect(&answered, 200), json!({ "accepted": true }));

    let body = tokio::time::timeout(
        Duration::from_secs(10),
        http_body_util::BodyExt::collect(running.into_body()),
    )
    .await
    .expect("the stream ends once answered")
    .unwrap()
    .to_bytes();
    let reply = Reply {
        status: StatusCode::OK,
        headers: Default::default(),
        body: body.to_vec(),
    };
    let ev = events(&reply);
    let asked = data(&ev, "confirmation_required");
    assert_eq!(
        asked,
        &json!({ "toolUseId": "t1", "toolName": "transfer_money", "input": { "query": "100 EUR to Bob" } })
    );
    assert_eq!(data(&ev, "tool_result")["ok"], true);
    assert_eq!(names(&ev).last(), Some(&"done"));
    assert_eq!(api.fakes.tool_invoker.calls_of("transfer_money").len(), 1);

    // The turn ended: nothing awaits an answer.
    problem(
        &call(
            &api,
            Method::POST,
            &path,
            &alice(),
            Some(json!({ "toolUseId": "t1", "approve": true })),
        )
        .await,
        404,
        "no_running_turn",
    );
}

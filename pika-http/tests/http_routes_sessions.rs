//! Creating, listing, reading, deleting and paging sessions through the real
//! router on fakes: the wire shape a client checks on success, and the problem
//! documents of its failure paths (PIKA.md §11).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod http_support;
mod support;

use axum::http::{Method, StatusCode};
use http_support::*;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::json;
use std::collections::BTreeSet;
use support::{Api, AGENT, APP};

// --------------------------------------------------------------- sessions

#[tokio::test]
async fn create_then_read_a_session() {
    let api = Api::new().await;
    let reply = api
        .post("/sessions", &alice(), json!({ "chatAppId": APP }))
        .await;
    let created = expect(&reply, 201);
    session_shape(&created);
    assert_eq!(created["userId"], "alice");
    assert_eq!(created["chatAppId"], APP);
    assert_eq!(created["agentId"], AGENT);
    assert_eq!(created["entityId"], "acme");
    assert_eq!(created["pinned"], false);
    assert!(created["title"].is_null() && created["lastMessageId"].is_null());
    let id = created["sessionId"].as_str().unwrap();
    assert!(api.fakes.sessions.find(&sid(id)).is_some(), "stored");

    let read = expect(&api.get(&format!("/sessions/{id}"), &alice()).await, 200);
    assert_eq!(read, created);

    // Others do not see it; admins do.
    problem(
        &api.get(&format!("/sessions/{id}"), &bob()).await,
        404,
        "not_found",
    );
    expect(&api.get(&format!("/sessions/{id}"), &editor()).await, 200);
    problem(
        &api.get(&format!("/sessions/{NO_SUCH_SESSION}"), &alice())
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn create_session_in_an_unknown_chat_app_is_404() {
    let api = Api::new().await;
    problem(
        &api.post("/sessions", &alice(), json!({ "chatAppId": "nope" }))
            .await,
        404,
        "not_found",
    );
    assert!(api.fakes.sessions.is_empty());
}

#[tokio::test]
async fn list_sessions_by_chat_app() {
    let api = Api::new().await;
    api.seed_app(
        fixtures::chat_app("other", AGENT),
        fixtures::agent(AGENT, &[]),
        vec![],
    )
    .await;
    let a1 = new_session(&api, &alice()).await;
    let a2 = new_session(&api, &alice()).await;
    let other = api
        .post("/sessions", &alice(), json!({ "chatAppId": "other" }))
        .await;
    expect(&other, 201);
    new_session(&api, &bob()).await;

    let all = page(&expect(&api.get("/sessions", &alice()).await, 200));
    assert_eq!(all.len(), 3, "only alice's own");
    all.iter().for_each(session_shape);
    assert!(all.iter().all(|s| s["userId"] == "alice"));

    let body = expect(
        &api.get(&format!("/sessions?chatAppId={APP}"), &alice())
            .await,
        200,
    );
    camel_case(&body);
    let ids: BTreeSet<String> = page(&body)
        .iter()
        .map(|s| s["sessionId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, BTreeSet::from([a1, a2]));

    let first = expect(
        &api.get(&format!("/sessions?chatAppId={APP}&limit=1"), &alice())
            .await,
        200,
    );
    assert_eq!(page(&first).len(), 1);
    let cursor = first["nextCursor"].as_str().expect("a next page");
    let second = expect(
        &api.get(
            &format!("/sessions?chatAppId={APP}&limit=1&cursor={}", enc(cursor)),
            &alice(),
        )
        .await,
        200,
    );
    assert_eq!(page(&second).len(), 1);
    assert_ne!(page(&first)[0]["sessionId"], page(&second)[0]["sessionId"]);
    assert!(second["nextCursor"].is_null());

    let none = expect(
        &api.get("/sessions?chatAppId=unknown-app", &alice()).await,
        200,
    );
    assert!(page(&none).is_empty());
    assert!(none["nextCursor"].is_null());
}

#[tokio::test]
async fn delete_a_session() {
    let api = Api::new().await;
    let (id, _) = chatted(&api, &alice(), "hello", "hi").await;
    problem(
        &call(
            &api,
            Method::DELETE,
            &format!("/sessions/{id}"),
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
            Method::DELETE,
            &format!("/sessions/{id}"),
            &editor(),
            None,
        )
        .await,
        403,
        "forbidden",
    );

    let reply = call(
        &api,
        Method::DELETE,
        &format!("/sessions/{id}"),
        &alice(),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert!(reply.body.is_empty());
    assert!(
        api.fakes.sessions.is_empty() && api.fakes.messages.is_empty(),
        "the messages went with it"
    );
    problem(
        &api.get(&format!("/sessions/{id}"), &alice()).await,
        404,
        "not_found",
    );
    problem(
        &call(
            &api,
            Method::DELETE,
            &format!("/sessions/{id}"),
            &alice(),
            None,
        )
        .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn messages_are_paged_with_a_cursor() {
    let api = Api::new().await;
    let (id, _) = chatted(&api, &alice(), "first question", "first answer").await;
    api.fakes.runtime.push(Script::answer("second answer"));
    let reply = api
        .post(
            &format!("/sessions/{id}/messages"),
            &alice(),
            json!({ "message": "second question" }),
        )
        .await;
    expect_stream(&reply);
    assert_eq!(api.fakes.messages.of_session(&sid(&id)).len(), 4);

    let first = expect(
        &api.get(&format!("/sessions/{id}/messages?limit=3"), &alice())
            .await,
        200,
    );
    camel_case(&first);
    let items = page(&first);
    assert_eq!(items.len(), 3);
    let contents: Vec<&str> = items
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        ["first question", "first answer", "second question"],
        "oldest first"
    );
    let roles: Vec<&str> = items.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "user"]);
    for m in &items {
        has_keys(
            m,
            &["messageId", "sessionId", "role", "content", "createdAt"],
        );
        assert_eq!(m["sessionId"], id.as_str());
        assert!(
            m.get("streamEvents").is_none(),
            "stored stream events are not for readers"
        );
    }
    has_keys(&items[1], &["model", "usage"]);
    has_keys(
        &items[1]["usage"],
        &["inputTokens", "outputTokens", "totalCost"],
    );

    let cursor = first["nextCursor"].as_str().expect("a second page");
    let second = expect(
        &api.get(
            &format!("/sessions/{id}/messages?limit=3&cursor={}", enc(cursor)),
            &alice(),
        )
        .await,
        200,
    );
    let rest = page(&second);
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["content"], "second answer");
    assert!(second["nextCursor"].is_null(), "the last page");

    // Default page holds all four; others do not see them; admins do.
    assert_eq!(
        page(&expect(
            &api.get(&format!("/sessions/{id}/messages"), &alice()).await,
            200
        ))
        .len(),
        4
    );
    problem(
        &api.get(&format!("/sessions/{id}/messages"), &bob()).await,
        404,
        "not_found",
    );
    expect(
        &api.get(&format!("/sessions/{id}/messages"), &admin()).await,
        200,
    );
    problem(
        &api.get(&format!("/sessions/{NO_SUCH_SESSION}/messages"), &alice())
            .await,
        404,
        "not_found",
    );
}

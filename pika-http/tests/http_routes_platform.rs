//! The platform routes (health, the route list and OpenAPI, 401/404/405, dev
//! tokens, the rate limit) through the real router on fakes: the wire shape a
//! client checks on success, and the problem documents of its failure paths
//! (PIKA.md §11).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod http_support;
mod support;

use axum::http::{Method, StatusCode};
use http_support::*;
use pika_http::{ApiConfig, RateLimit};
use pika_testkit::fixtures;
use serde_json::json;
use std::collections::BTreeSet;
use support::{Api, APP};

// ------------------------------------------------------- platform routes

#[tokio::test]
async fn health_needs_no_token() {
    let api = Api::new().await;
    let reply = raw(&api, Method::GET, "/health", None, &[]).await;
    assert_eq!(expect(&reply, 200), json!({ "status": "ok" }));
    assert!(
        reply.headers.contains_key("x-request-id"),
        "every answer carries a request id"
    );
}

#[tokio::test]
async fn the_route_list_is_read_from_the_routers_registrations() {
    let routes = router_routes();
    let set: BTreeSet<_> = routes.iter().cloned().collect();
    assert_eq!(set.len(), routes.len(), "no duplicates");
    for expected in [
        ("GET", "/health"),
        ("POST", "/dev/token"),
        ("PUT", "/sessions/{id}/pin"),
        ("DELETE", "/sessions/{id}/pin"),
        ("POST", "/admin/chatapps/{id}/override"),
        ("DELETE", "/admin/chatapps/{id}/override"),
        ("PATCH", "/admin/feedback/{id}"),
        ("DELETE", "/admin/users/{id}/data"),
    ] {
        assert!(
            set.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} in {set:?}"
        );
    }
    assert!(routes.len() >= 40, "{routes:?}");
}

#[tokio::test]
async fn openapi_lists_every_route_of_the_router() {
    let api = Api::new().await;
    let doc = expect(
        &raw(&api, Method::GET, "/openapi.json", None, &[]).await,
        200,
    );
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "an OpenAPI 3 document"
    );
    let paths = doc["paths"].as_object().expect("paths");
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_ascii_uppercase(), normalize(path)))
        })
        .collect();
    // This server has no development tokens: the document does not name
    // the route it does not serve.
    let served: BTreeSet<(String, String)> = router_routes()
        .into_iter()
        .map(|(m, p)| (m, normalize(&p)))
        .filter(|(m, p)| !(m == "POST" && p == "/dev/token"))
        .collect();
    let missing: Vec<_> = served.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document: {missing:?}"
    );
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(
        extra.is_empty(),
        "documented routes the router does not have: {extra:?}"
    );
    // Every protected operation says how it refuses: problem documents,
    // served as application/problem+json; public ones need no token.
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let public = operation["security"] == serde_json::json!([{}]);
            let responses = &operation["responses"];
            for status in ["429", "500"] {
                assert!(
                    responses[status]["content"]["application/problem+json"].is_object(),
                    "{method} {path}: {status}"
                );
            }
            assert_eq!(
                responses.get("401").is_some(),
                !public,
                "{method} {path}: 401 exactly on protected routes"
            );
            for response in responses.as_object().unwrap().values() {
                let json_problem = response["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .is_some_and(|r| r.ends_with("/Problem"));
                assert!(
                    !json_problem,
                    "{method} {path}: a problem as application/json"
                );
            }
        }
    }
    for public in ["/health", "/openapi.json", "/components/{name}"] {
        assert_eq!(
            paths[public]["get"]["security"],
            serde_json::json!([{}]),
            "{public}"
        );
    }
    // Clients generate one function per operation, named after its id in
    // their own case (`listChatApps`, `list_chat_apps`, `ListChatApps`):
    // ids are camelCase and unique whatever the case.
    let mut ids = BTreeSet::new();
    for item in paths.values() {
        for operation in item.as_object().unwrap().values() {
            let id = operation["operationId"].as_str().expect("an operation id");
            assert!(
                id.chars().all(|c| c.is_ascii_alphanumeric())
                    && id.starts_with(|c: char| c.is_ascii_lowercase()),
                "operation id {id} is not camelCase"
            );
            assert!(
                ids.insert(id.to_ascii_lowercase()),
                "operation id {id} used twice"
            );
        }
    }
}

#[tokio::test]
async fn every_protected_route_answers_401_without_a_token() {
    let api = Api::new().await;
    let public = [
        "/health",
        "/openapi.json",
        "/dev/token",
        "/components/{name}",
    ];
    let mut checked = 0;
    for (method, template) in router_routes() {
        if public.contains(&template.as_str()) {
            continue;
        }
        let path = fill(&template, NO_SUCH_SESSION);
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let reply = api.call(method.clone(), &path, None, Some(json!({}))).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            reply.text()
        );
        assert_eq!(reply.code(), "unauthenticated", "{method} {path}");
        assert_eq!(
            reply.headers["www-authenticate"], "Bearer",
            "{method} {path}"
        );
        // A token that is not a JWT is no better.
        let reply = api
            .call(method.clone(), &path, Some("not-a-jwt"), None)
            .await;
        problem(&reply, 401, "unauthenticated");
        checked += 1;
    }
    assert!(checked >= 35, "{checked}");
    assert!(api.fakes.sessions.is_empty() && api.fakes.messages.is_empty());
}

#[tokio::test]
async fn unknown_routes_are_404_problems_and_wrong_methods_405() {
    let api = Api::new().await;
    let t = api.token(&alice());
    problem(
        &raw(&api, Method::GET, "/nowhere", Some(&t), &[]).await,
        404,
        "not_found",
    );
    problem(
        &raw(&api, Method::GET, "/nowhere", None, &[]).await,
        404,
        "not_found",
    );
    problem(
        &raw(&api, Method::GET, "/sessions/a/b/c/d/e", Some(&t), &[]).await,
        404,
        "not_found",
    );

    let reply = raw(&api, Method::PATCH, "/sessions", Some(&t), &[]).await;
    assert_eq!(
        reply.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        reply.text()
    );
    reply.code();
    assert_eq!(reply.headers["allow"], "GET,HEAD,POST");
    let reply = raw(&api, Method::DELETE, "/health", None, &[]).await;
    assert_eq!(
        reply.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        reply.text()
    );
    reply.code();
    let reply = raw(&api, Method::GET, "/sessions/x/stop", Some(&t), &[]).await;
    assert_eq!(
        reply.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        reply.text()
    );
    reply.code();
}

#[cfg(feature = "dev-tokens")]
#[tokio::test]
async fn dev_token_exists_only_when_configured() {
    let api = Api::new().await;
    let reply = api
        .call(
            Method::POST,
            "/dev/token",
            None,
            Some(json!({ "userId": "dev-1" })),
        )
        .await;
    problem(&reply, 404, "not_found");

    let config = ApiConfig {
        dev_tokens: Some(pika_http::dev_tokens::DevTokens::default()),
        ..ApiConfig::default()
    };
    let api = Api::with(fixtures::site(), config).await;
    let reply = api
        .call(
            Method::POST,
            "/dev/token",
            None,
            Some(json!({ "userId": "dev-1", "userType": "external-user", "customData": { "accountId": "acme" } })),
        )
        .await;
    let body = expect(&reply, 200);
    has_keys(&body, &["token", "expiresIn"]);
    assert!(body["expiresIn"].as_u64().unwrap() > 0);
    let token = body["token"].as_str().unwrap();
    let apps = expect(
        &raw(&api, Method::GET, "/chatapps", Some(token), &[]).await,
        200,
    );
    assert_eq!(page_items_ids(&apps), vec![APP.to_string()]);

    let reply = api
        .call(
            Method::POST,
            "/dev/token",
            None,
            Some(json!({ "userId": "has space" })),
        )
        .await;
    problem(&reply, 400, "invalid_request");
}

/// `POST /dev/token` answers only requests addressed to loopback, from no
/// page or a loopback page, asking for allowed roles.
#[cfg(feature = "dev-tokens")]
#[tokio::test]
async fn dev_tokens_are_fenced_to_loopback_and_allowed_roles() {
    use axum::body::Body;
    use axum::http::Request;
    let config = ApiConfig {
        dev_tokens: Some(pika_http::dev_tokens::DevTokens {
            allowed_roles: vec!["pika:content-admin".to_string()],
        }),
        ..ApiConfig::default()
    };
    let api = Api::with(fixtures::site(), config).await;
    let ask = |host: &str, origin: Option<&str>, roles: serde_json::Value| {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri("/dev/token")
            .header("host", host)
            .header("content-type", "application/json");
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.body(Body::from(
            json!({ "userId": "dev-1", "roles": roles }).to_string(),
        ))
        .unwrap()
    };
    expect(&api.send(ask("127.0.0.1:8080", None, json!([]))).await, 200);
    expect(
        &api.send(ask(
            "localhost:8080",
            Some("http://localhost:8080"),
            json!(["pika:content-admin"]),
        ))
        .await,
        200,
    );
    for (host, origin, roles, why) in [
        ("pika.example.com", None, json!([]), "a public host name"),
        ("10.0.0.7:8080", None, json!([]), "a LAN address"),
        (
            "localhost:8080",
            Some("http://evil.example"),
            json!([]),
            "DNS rebinding: a foreign page",
        ),
        (
            "localhost:8080",
            Some("null"),
            json!([]),
            "an opaque origin",
        ),
        (
            "localhost:8080",
            None,
            json!(["pika:site-admin"]),
            "a role the configuration does not allow",
        ),
    ] {
        let reply = api.send(ask(host, origin, roles)).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{why}: {}",
            reply.text()
        );
        assert_eq!(reply.json()["code"], "forbidden", "{why}");
    }
}

#[tokio::test]
async fn per_user_rate_limit_is_a_429_problem() {
    let config = ApiConfig {
        rate_limit: Some(RateLimit {
            per_minute: 1,
            burst: 2,
        }),
        ..ApiConfig::default()
    };
    let api = Api::with(fixtures::site(), config).await;
    expect(&api.get("/chatapps", &alice()).await, 200);
    expect(&api.get("/chatapps", &alice()).await, 200);
    problem(&api.get("/chatapps", &alice()).await, 429, "rate_limited");
    // Another user has an allowance of their own.
    expect(&api.get("/chatapps", &bob()).await, 200);
}

/// A problem document names its request (the `x-request-id` the response
/// carries, and the logs), and a store's own words never reach the client.
#[tokio::test]
async fn problems_carry_the_request_id_and_no_store_text() {
    use pika_ports::ErrorKind;
    let api = Api::new().await;
    let missing = api
        .get(&format!("/sessions/{NO_SUCH_UUID}"), &alice())
        .await;
    problem(&missing, 400, "invalid_request");
    let body = missing.json();
    let header = missing.headers["x-request-id"].to_str().unwrap();
    assert_eq!(body["requestId"], header, "{body}");

    for kind in [
        ErrorKind::Invalid,
        ErrorKind::Conflict,
        ErrorKind::NotFound,
        ErrorKind::Permanent,
    ] {
        let faults = api.fakes.sessions.faults();
        faults.fail_always("SessionStore::list_by_user", kind);
        let reply = api.get("/sessions", &alice()).await;
        faults.clear();
        let text = reply.text();
        assert!(
            reply.status.is_client_error() || reply.status.is_server_error(),
            "{text}"
        );
        assert!(
            !text.contains("injected") && !text.contains("SessionStore"),
            "{kind:?}: the store's words leak: {text}"
        );
        assert!(reply.json()["requestId"].is_string(), "{text}");
    }
}

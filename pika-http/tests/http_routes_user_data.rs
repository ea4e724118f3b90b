//! `GET/PUT/DELETE /chatapps/{id}/user-data`: a permitted user's override
//! of their custom data in one chat app, through the real router on fakes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod http_support;
mod support;

use axum::http::Method;
use http_support::*;
use pika_domain::features::SimpleFeature;
use pika_http::ApiConfig;
use pika_testkit::fixtures;
use serde_json::json;
use support::{Api, APP};

#[tokio::test]
async fn a_permitted_user_sets_reads_and_clears_their_override() {
    let mut site = fixtures::site();
    site.features.user_data_overrides = Some(SimpleFeature {
        enabled: true,
        settings: json!({ "attributes": ["accountId"] }),
    });
    let api = Api::with(site, ApiConfig::default()).await;
    let path = format!("/chatapps/{APP}/user-data");
    // A content admin is an internal user: permitted by default.
    let staff = editor();

    let reply = call(&api, Method::GET, &path, &staff, None).await;
    assert_eq!(expect(&reply, 200), json!({ "customData": {} }));
    let reply = call(
        &api,
        Method::PUT,
        &path,
        &staff,
        Some(json!({ "customData": { "accountId": "acme" } })),
    )
    .await;
    assert_eq!(
        expect(&reply, 200),
        json!({ "customData": { "accountId": "acme" } })
    );
    let reply = call(&api, Method::GET, &path, &staff, None).await;
    assert_eq!(
        expect(&reply, 200),
        json!({ "customData": { "accountId": "acme" } })
    );

    problem(
        &call(
            &api,
            Method::PUT,
            &path,
            &staff,
            Some(json!({ "customData": { "plan": "gold" } })),
        )
        .await,
        400,
        "invalid_request",
    );
    problem(
        &call(
            &api,
            Method::PUT,
            &path,
            &staff,
            Some(json!({ "data": {} })),
        )
        .await,
        400,
        "invalid_request",
    );
    problem(
        &call(
            &api,
            Method::PUT,
            &path,
            &alice(),
            Some(json!({ "customData": { "accountId": "globex" } })),
        )
        .await,
        403,
        "forbidden",
    );
    problem(
        &call(&api, Method::GET, "/chatapps/nope/user-data", &staff, None).await,
        404,
        "not_found",
    );

    let reply = call(&api, Method::DELETE, &path, &staff, None).await;
    assert_eq!(expect(&reply, 200), json!({ "customData": {} }));
    let reply = call(&api, Method::GET, &path, &staff, None).await;
    assert_eq!(expect(&reply, 200), json!({ "customData": {} }));
}

#[tokio::test]
async fn with_the_feature_off_the_override_is_forbidden() {
    let api = Api::new().await;
    problem(
        &call(
            &api,
            Method::GET,
            &format!("/chatapps/{APP}/user-data"),
            &editor(),
            None,
        )
        .await,
        403,
        "forbidden",
    );
}

//! Tags over HTTP: site admins define tags and upload the component modules
//! that render them; a chat app's callers see the tags that apply to it and
//! load the modules without a token, served so they cannot run on their own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod http_support;
mod support;

use axum::body::Body;
use axum::http::{Method, Request};
use http_support::*;
use pika_domain::features::SimpleFeature;
use pika_http::ApiConfig;
use pika_testkit::fixtures;
use serde_json::json;
use support::{Api, Reply, APP};

const CHART_JS: &str = "customElements.define('pika-chart', class extends HTMLElement {});\n";

async fn put_component(api: &Api, name: &str, token: Option<&str>, body: &str) -> Reply {
    let mut req = Request::builder()
        .method(Method::PUT)
        .uri(format!("/admin/components/{name}"))
        .header("content-type", "text/javascript");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    api.send(req.body(Body::from(body.to_string())).unwrap())
        .await
}

async fn api_with_tags_on() -> Api {
    let mut site = fixtures::site();
    site.features.tags = Some(SimpleFeature {
        enabled: true,
        settings: json!(null),
    });
    Api::with(site, ApiConfig::default()).await
}

fn chart() -> serde_json::Value {
    json!({ "tag": "chart", "description": "A bar chart.",
            "component": { "element": "pika-chart", "module": "chart.js" } })
}

#[tokio::test]
async fn an_admin_defines_a_tag_that_callers_of_the_chat_app_see() {
    let api = api_with_tags_on().await;
    let admin = admin();
    let reply = call(
        &api,
        Method::PUT,
        "/admin/tags/chart",
        &admin,
        Some(chart()),
    )
    .await;
    assert_eq!(expect(&reply, 200)["tag"], "chart");
    let reply = call(&api, Method::GET, "/admin/tags", &admin, None).await;
    assert_eq!(
        expect(&reply, 200)["items"][0]["component"]["element"],
        "pika-chart"
    );
    // The definition is in the site configuration, versioned like any change.
    let site = expect(
        &call(&api, Method::GET, "/admin/site", &admin, None).await,
        200,
    );
    assert_eq!(site["config"]["tags"][0]["tag"], "chart");
    assert_eq!(site["version"], 2);

    let app = expect(&api.get(&format!("/chatapps/{APP}"), &alice()).await, 200);
    assert_eq!(
        app["tags"],
        json!([{ "tag": "chart", "description": "A bar chart.",
                 "component": { "element": "pika-chart", "module": "chart.js" } }])
    );

    // Replaced whole, then removed.
    let mut changed = chart();
    changed["description"] = json!("A line chart.");
    expect(
        &call(
            &api,
            Method::PUT,
            "/admin/tags/chart",
            &admin,
            Some(changed),
        )
        .await,
        200,
    );
    let app = expect(&api.get(&format!("/chatapps/{APP}"), &alice()).await, 200);
    assert_eq!(app["tags"][0]["description"], "A line chart.");
    expect(
        &call(&api, Method::DELETE, "/admin/tags/chart", &admin, None).await,
        204,
    );
    let app = expect(&api.get(&format!("/chatapps/{APP}"), &alice()).await, 200);
    assert_eq!(app["tags"], json!([]));
    problem(
        &call(&api, Method::DELETE, "/admin/tags/chart", &admin, None).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn bad_definitions_and_callers_are_refused() {
    let api = api_with_tags_on().await;
    let admin = admin();
    problem(
        &call(
            &api,
            Method::PUT,
            "/admin/tags/chart",
            &alice(),
            Some(chart()),
        )
        .await,
        403,
        "forbidden",
    );
    problem(
        &call(&api, Method::PUT, "/admin/tags/map", &admin, Some(chart())).await,
        400,
        "invalid_request",
    );
    let mut bad = chart();
    bad["component"]["element"] = json!("chart");
    problem(
        &call(&api, Method::PUT, "/admin/tags/chart", &admin, Some(bad)).await,
        400,
        "invalid_request",
    );
    let mut reserved = chart();
    reserved["tag"] = json!("trace");
    problem(
        &call(
            &api,
            Method::PUT,
            "/admin/tags/trace",
            &admin,
            Some(reserved),
        )
        .await,
        400,
        "invalid_request",
    );
    problem(
        &call(&api, Method::DELETE, "/admin/tags/Bad%20Name", &admin, None).await,
        400,
        "invalid_request",
    );
}

#[tokio::test]
async fn tags_stay_hidden_where_the_feature_is_off() {
    let api = Api::with(fixtures::site(), ApiConfig::default()).await;
    expect(
        &call(
            &api,
            Method::PUT,
            "/admin/tags/chart",
            &admin(),
            Some(chart()),
        )
        .await,
        200,
    );
    let app = expect(&api.get(&format!("/chatapps/{APP}"), &alice()).await, 200);
    assert_eq!(app["tags"], json!([]));
}

#[tokio::test]
async fn a_component_is_uploaded_by_an_admin_and_served_to_anyone_as_a_module_only() {
    let api = api_with_tags_on().await;
    let admin_token = api.token(&admin());
    let reply = put_component(&api, "chart.js", Some(&admin_token), CHART_JS).await;
    assert_eq!(reply.status.as_u16(), 204, "{}", reply.text());

    let reply = raw(&api, Method::GET, "/components/chart.js", None, &[]).await;
    assert_eq!(reply.status.as_u16(), 200);
    assert_eq!(reply.text(), CHART_JS);
    let header = |name: &str| {
        reply
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(header("content-type"), "text/javascript; charset=utf-8");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(
        header("content-security-policy"),
        "default-src 'none'; sandbox"
    );

    assert_eq!(
        raw(&api, Method::GET, "/components/missing.js", None, &[])
            .await
            .code(),
        "not_found"
    );
    // Only admins upload, only scripts and style sheets, within the size cap.
    let alice_token = api.token(&alice());
    assert_eq!(
        put_component(&api, "x.js", Some(&alice_token), CHART_JS)
            .await
            .code(),
        "forbidden"
    );
    assert_eq!(
        put_component(&api, "x.js", None, CHART_JS)
            .await
            .status
            .as_u16(),
        401
    );
    assert_eq!(
        put_component(
            &api,
            "page.html",
            Some(&admin_token),
            "<script>alert(1)</script>"
        )
        .await
        .code(),
        "invalid_request"
    );
    let big = "x".repeat(pika_service::admin::tags::MAX_COMPONENT_BYTES + 1);
    let reply = put_component(&api, "big.js", Some(&admin_token), &big).await;
    assert!(
        matches!(reply.status.as_u16(), 400 | 413),
        "{}",
        reply.text()
    );
    assert_eq!(
        raw(&api, Method::GET, "/components/page.html", None, &[])
            .await
            .code(),
        "not_found"
    );
}

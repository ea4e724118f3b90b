//! How the OpenSearch adapter classifies failures, against a fake server:
//! throttling and unavailability are `Transient`, a refused query is
//! `Invalid`, access denied is `Permanent`, an unreachable or slow domain
//! is `Transient`; and resolving a domain's endpoint by name through the
//! control plane's `DescribeDomain`.
#![cfg(feature = "opensearch")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod opensearch_support;

use axum::http::Method;
use opensearch_support::{bare_sdk_config, doc, error_body, local_index, sdk_config, Fake, INDEX};
use pika_aws_adapters::opensearch::{
    resolve_domain_endpoint, IndexName, OpenSearchConfig, OpenSearchIndex,
};
use pika_ports::page::PageRequest;
use pika_ports::{ErrorKind, SearchIndex, SearchQuery};
use pika_testkit::fixtures::user_id;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn search_failures_are_classified_by_status() {
    let cases = [
        (
            429,
            error_body(429, "rejected_execution_exception", "search queue full"),
            ErrorKind::Transient,
        ),
        (
            503,
            error_body(503, "cluster_block_exception", "no master"),
            ErrorKind::Transient,
        ),
        (
            400,
            error_body(400, "search_phase_execution_exception", "all shards failed"),
            ErrorKind::Invalid,
        ),
        (
            403,
            json!({"Message": "User: anonymous is not authorized to perform: es:ESHttpPost"}),
            ErrorKind::Permanent,
        ),
    ];
    for (status, body, kind) in cases {
        let fake = Fake::start().await;
        fake.reply(status, body);
        let err = local_index(&fake)
            .search(&SearchQuery::default(), PageRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind, kind, "{status}: {err}");
        assert!(err.message.contains(&status.to_string()), "{}", err.message);
    }
}

#[tokio::test]
async fn write_failures_are_classified_by_status() {
    let fake = Fake::start().await;
    let index = local_index(&fake);
    fake.reply(200, json!({"acknowledged": true}));
    fake.reply(
        429,
        error_body(429, "es_rejected_execution_exception", "write queue full"),
    );
    let err = index.index(&doc("alice", 1, "x")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient);

    fake.reply(
        400,
        error_body(
            400,
            "strict_dynamic_mapping_exception",
            "mapping set to strict",
        ),
    );
    let err = index.index(&doc("alice", 1, "x")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert!(err.message.contains("strict"), "{}", err.message);

    fake.reply(
        403,
        json!({"message": "The security token included in the request is invalid."}),
    );
    let err = index.delete_user(&user_id("alice")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent);

    fake.reply(
        409,
        error_body(409, "version_conflict_engine_exception", "version conflict"),
    );
    let err = index
        .set_session_score(&doc("alice", 1, "x").session_id, 5)
        .await
        .unwrap_err();
    assert_eq!(
        err.kind,
        ErrorKind::Transient,
        "a conflict resolves on retry"
    );
}

#[tokio::test]
async fn a_partial_search_is_transient_not_silently_short() {
    let fake = Fake::start().await;
    fake.reply(
        200,
        json!({
            "took": 1, "timed_out": false,
            "_shards": {"total": 2, "successful": 1, "skipped": 0, "failed": 1},
            "hits": {"total": {"value": 0, "relation": "eq"}, "max_score": null, "hits": []}
        }),
    );
    let err = local_index(&fake)
        .search(&SearchQuery::default(), PageRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient);
}

#[tokio::test]
async fn an_answer_of_another_shape_is_permanent() {
    let fake = Fake::start().await;
    fake.reply(
        200,
        json!({"hits": {"hits": [{"_source": {"unexpected": true}}]}}),
    );
    let err = local_index(&fake)
        .search(&SearchQuery::default(), PageRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent);
}

#[tokio::test]
async fn an_unreachable_domain_is_transient() {
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = url::Url::parse(&format!("http://{addr}")).unwrap();
    let config = OpenSearchConfig::local(url, IndexName::parse(INDEX).unwrap());
    let index = OpenSearchIndex::new(&config, &bare_sdk_config()).unwrap();
    let err = index
        .search(&SearchQuery::default(), PageRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");
}

#[tokio::test]
async fn a_slow_domain_times_out_as_transient() {
    let fake = Fake::start().await;
    fake.reply_raw(200, "{}", Vec::new(), Duration::from_secs(5));
    let mut config = OpenSearchConfig::local(fake.url.clone(), IndexName::parse(INDEX).unwrap());
    config.timeout = Duration::from_millis(200);
    let index = OpenSearchIndex::new(&config, &bare_sdk_config()).unwrap();
    let err = index
        .search(&SearchQuery::default(), PageRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");
}

fn domain_status(extra: serde_json::Value) -> serde_json::Value {
    let mut status = json!({
        "DomainId": "123456789012/pika",
        "DomainName": "pika",
        "ARN": "arn:aws:es:eu-west-1:123456789012:domain/pika",
        "Created": true,
        "Deleted": false,
        "ClusterConfig": {"InstanceType": "t3.small.search", "InstanceCount": 1}
    });
    for (k, v) in extra.as_object().unwrap() {
        status[k] = v.clone();
    }
    json!({ "DomainStatus": status })
}

#[tokio::test]
async fn a_domain_name_resolves_to_its_https_endpoint() {
    let fake = Fake::start().await;
    let sdk = sdk_config(Some(&fake.url));
    fake.reply(
        200,
        domain_status(json!({"Endpoint": "search-pika-abc.eu-west-1.es.amazonaws.com"})),
    );
    let url = resolve_domain_endpoint(&sdk, "pika").await.unwrap();
    assert_eq!(
        url.as_str(),
        "https://search-pika-abc.eu-west-1.es.amazonaws.com/"
    );
    let r = fake.last();
    assert_eq!(r.method, Method::GET);
    assert_eq!(r.path, "/2021-01-01/opensearch/domain/pika");
    let auth = r.header("authorization").unwrap();
    assert!(auth.contains("/eu-west-1/es/aws4_request"), "{auth}");

    fake.reply(
        200,
        domain_status(json!({"Endpoints": {"vpc": "vpc-pika-xyz.eu-west-1.es.amazonaws.com"}})),
    );
    let url = resolve_domain_endpoint(&sdk, "pika").await.unwrap();
    assert_eq!(
        url.host_str(),
        Some("vpc-pika-xyz.eu-west-1.es.amazonaws.com")
    );
    assert_eq!(url.scheme(), "https");
}

#[tokio::test]
async fn a_domain_still_being_created_is_transient_and_a_missing_one_not_found() {
    let fake = Fake::start().await;
    let sdk = sdk_config(Some(&fake.url));
    fake.reply(
        200,
        domain_status(json!({"Created": false, "Processing": true})),
    );
    let err = resolve_domain_endpoint(&sdk, "pika").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");

    fake.reply(
        200,
        domain_status(json!({"Deleted": true, "Endpoint": "x.es.amazonaws.com"})),
    );
    let err = resolve_domain_endpoint(&sdk, "pika").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");

    let aws_error = |code: &str, message: &str| {
        (
            json!({"message": message}).to_string(),
            vec![("x-amzn-errortype", code.to_string())],
        )
    };
    let cases = [
        (409, "ResourceNotFoundException", ErrorKind::NotFound),
        (400, "ValidationException", ErrorKind::Invalid),
        (403, "AccessDeniedException", ErrorKind::Permanent),
        (500, "InternalException", ErrorKind::Transient),
    ];
    for (status, code, kind) in cases {
        let (body, headers) = aws_error(code, "refused by the fake");
        fake.reply_raw(status, &body, headers, Duration::ZERO);
        let err = resolve_domain_endpoint(&sdk, "pika").await.unwrap_err();
        assert_eq!(err.kind, kind, "{code}: {err}");
    }
}

//! The OpenSearch adapter against a fake server: the requests it sends
//! (method, path, parameters, query DSL, SigV4 headers) and how it reads
//! OpenSearch's answers. No OpenSearch runs here: relevance, analyzers
//! and the mapping's effect are not exercised.
#![cfg(feature = "opensearch")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod opensearch_support;

use axum::http::Method;
use opensearch_support::{
    doc, error_body, hit, local_index, sdk_config, search_answer, Fake, INDEX,
};
use pika_aws_adapters::opensearch::mapping::index_body;
use pika_aws_adapters::opensearch::query::{search_body, ReadScope};
use pika_aws_adapters::opensearch::{
    IndexName, OpenSearchConfig, OpenSearchIndex, Signing, SigningService, WriteRefresh,
};
use pika_ports::page::PageRequest;
use pika_ports::{ErrorKind, SearchIndex, SearchQuery, SearchSort};
use pika_testkit::fixtures::user_id;
use serde_json::json;

#[tokio::test]
async fn the_first_write_creates_the_index_with_its_mapping_then_puts_the_document() {
    let fake = Fake::start().await;
    let index = local_index(&fake);
    let first = doc("alice", 1, "How do I reset my password?");
    let second = doc("alice", 2, "Invoice totals are final.");
    index.index(&first).await.unwrap();
    index.index(&second).await.unwrap();

    let requests = fake.requests();
    assert_eq!(
        requests.len(),
        3,
        "the index is created once: {requests:#?}"
    );
    let create = &requests[0];
    assert_eq!(create.method, Method::PUT);
    assert_eq!(create.path, format!("/{INDEX}"));
    assert_eq!(create.json(), index_body());

    for (request, d) in requests[1..].iter().zip([&first, &second]) {
        assert_eq!(request.method, Method::PUT);
        assert_eq!(request.path, format!("/{INDEX}/_doc/{}", d.message_id));
        assert_eq!(request.param("refresh").as_deref(), Some("wait_for"));
        assert_eq!(request.json(), serde_json::to_value(d).unwrap());
        assert_eq!(request.json()["createdAt"], json!(d.created_at));
        assert_eq!(
            request.header("authorization"),
            None,
            "a local index is not signed"
        );
    }
}

#[tokio::test]
async fn an_existing_index_is_fine() {
    let fake = Fake::start().await;
    fake.reply(
        400,
        error_body(
            400,
            "resource_already_exists_exception",
            "index [pika-test/abc] already exists",
        ),
    );
    let index = local_index(&fake);
    index.index(&doc("alice", 1, "x")).await.unwrap();
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn a_failed_creation_is_retried_on_the_next_write() {
    let fake = Fake::start().await;
    fake.reply(503, error_body(503, "cluster_block_exception", "blocked"));
    let index = local_index(&fake);
    let err = index.index(&doc("alice", 1, "x")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient);
    assert_eq!(
        fake.requests().len(),
        1,
        "no document write without the index"
    );
    index.index(&doc("alice", 1, "x")).await.unwrap();
    let paths: Vec<_> = fake.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths[1], format!("/{INDEX}"), "created on the next write");
}

#[tokio::test]
async fn refresh_off_sends_no_refresh_parameter() {
    let fake = Fake::start().await;
    let mut config = OpenSearchConfig::local(fake.url.clone(), IndexName::parse(INDEX).unwrap());
    config.refresh = WriteRefresh::Off;
    let index = OpenSearchIndex::new(&config, &opensearch_support::bare_sdk_config()).unwrap();
    index.index(&doc("alice", 1, "x")).await.unwrap();
    assert_eq!(fake.last().param("refresh"), None);
    index.delete_user(&user_id("alice")).await.unwrap();
    assert_eq!(fake.last().param("refresh"), None);
}

#[tokio::test]
async fn a_search_sends_the_scoped_query_and_pages_with_search_after() {
    let fake = Fake::start().await;
    let index = local_index(&fake);
    let docs = [
        doc("alice", 3, "Another invoice question about invoice numbers"),
        doc("alice", 2, "The invoice for March is attached."),
        doc("alice", 1, "Invoice totals are final."),
    ];
    let sorts = [
        json!([2.5, 30, "m3"]),
        json!([1.5, 20, "m2"]),
        json!([0.5, 10, "m1"]),
    ];
    fake.reply(
        200,
        search_answer(vec![
            hit(
                &docs[0],
                2.5,
                sorts[0].clone(),
                Some("Another invoice question"),
            ),
            hit(&docs[1], 1.5, sorts[1].clone(), None),
            hit(&docs[2], 0.5, sorts[2].clone(), None),
        ]),
    );
    let q = SearchQuery {
        text: "invoice".to_string(),
        user_id: Some(user_id("alice")),
        sort: SearchSort::Relevance,
        ..SearchQuery::default()
    };
    let page = index.search(&q, PageRequest::first(2)).await.unwrap();

    let request = fake.last();
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.path, format!("/{INDEX}/_search"));
    assert!(
        request.param("preference").is_some(),
        "pages stick to the same shard copies"
    );
    assert_eq!(request.json(), search_body(ReadScope::of(&q), &q, 3, None));
    assert_eq!(
        request.json()["query"]["bool"]["filter"][0],
        json!({"term": {"userId": "alice"}})
    );

    let found: Vec<_> = page.items.iter().map(|h| h.document.clone()).collect();
    assert_eq!(
        found,
        docs[..2].to_vec(),
        "the limit, in the answer's order"
    );
    assert_eq!(page.items[0].snippet, "Another invoice question");
    assert_eq!(
        page.items[1].snippet, "The invoice for March is attached.",
        "no highlight: the start of the text"
    );
    assert!((page.items[0].score - 2.5).abs() < f32::EPSILON);
    let cursor = page.next_cursor.expect("a third hit means a next page");

    fake.reply(
        200,
        search_answer(vec![hit(&docs[2], 0.5, sorts[2].clone(), None)]),
    );
    let next = index
        .search(&q, PageRequest::after(2, Some(cursor)))
        .await
        .unwrap();
    let request = fake.last();
    assert_eq!(
        request.json()["search_after"],
        sorts[1],
        "continues after the last hit shown, not the extra one"
    );
    assert_eq!(
        request.param("preference"),
        fake.requests()[0].param("preference")
    );
    assert_eq!(next.items.len(), 1);
    assert!(next.next_cursor.is_none(), "the last page");
}

#[tokio::test]
async fn a_foreign_cursor_is_refused_before_any_request() {
    let fake = Fake::start().await;
    let index = local_index(&fake);
    let q = SearchQuery::default();
    let err = index
        .search(
            &q,
            PageRequest::after(2, Some(pika_ports::page::Cursor::new("tv1.n.2.00"))),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn searching_before_the_index_exists_finds_nothing() {
    let fake = Fake::start().await;
    fake.reply(
        404,
        error_body(
            404,
            "index_not_found_exception",
            "no such index [pika-test]",
        ),
    );
    let index = local_index(&fake);
    let page = index
        .search(&SearchQuery::default(), PageRequest::default())
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.next_cursor.is_none());
}

#[tokio::test]
async fn deletes_and_score_updates_are_by_query_on_one_term() {
    let fake = Fake::start().await;
    let index = local_index(&fake);
    let d = doc("bob", 4, "x");

    index.delete_session(&d.session_id).await.unwrap();
    let r = fake.last();
    assert_eq!(
        (r.method.clone(), r.path.clone()),
        (Method::POST, format!("/{INDEX}/_delete_by_query"))
    );
    assert_eq!(r.param("refresh").as_deref(), Some("true"));
    assert_eq!(
        r.json(),
        json!({"query": {"term": {"sessionId": d.session_id.to_string()}}})
    );

    index.delete_user(&user_id("bob")).await.unwrap();
    let r = fake.last();
    assert_eq!(r.path, format!("/{INDEX}/_delete_by_query"));
    assert_eq!(r.json(), json!({"query": {"term": {"userId": "bob"}}}));

    index.set_session_score(&d.session_id, 80).await.unwrap();
    let r = fake.last();
    assert_eq!(
        (r.method.clone(), r.path.clone()),
        (Method::POST, format!("/{INDEX}/_update_by_query"))
    );
    assert_eq!(r.param("refresh").as_deref(), Some("true"));
    assert_eq!(
        r.json()["query"],
        json!({"term": {"sessionId": d.session_id.to_string()}})
    );
    assert_eq!(r.json()["script"]["params"], json!({"score": 80}));
    assert_eq!(
        fake.requests().len(),
        3,
        "no index creation for by-query calls"
    );
}

#[tokio::test]
async fn by_query_calls_on_a_missing_index_succeed() {
    let fake = Fake::start().await;
    let index = local_index(&fake);
    let d = doc("bob", 4, "x");
    for _ in 0..3 {
        fake.reply(
            404,
            error_body(404, "index_not_found_exception", "no such index"),
        );
    }
    index.delete_session(&d.session_id).await.unwrap();
    index.delete_user(&d.user_id).await.unwrap();
    index.set_session_score(&d.session_id, 1).await.unwrap();
}

#[tokio::test]
async fn by_query_failures_part_way_are_transient() {
    let fake = Fake::start().await;
    let index = local_index(&fake);
    fake.reply(
        200,
        json!({
            "took": 5, "timed_out": false, "total": 2, "deleted": 1,
            "version_conflicts": 0, "failures": [{"index": INDEX, "id": "m1", "status": 429,
                "cause": {"type": "es_rejected_execution_exception", "reason": "queue full"}}]
        }),
    );
    let err = index.delete_user(&user_id("bob")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient);
    assert!(err.message.contains("queue full"), "{}", err.message);
}

async fn signed_request(service: Option<SigningService>) -> opensearch_support::Recorded {
    let fake = Fake::start().await;
    let name = IndexName::parse(INDEX).unwrap();
    let config = match service {
        Some(SigningService::Aoss) => OpenSearchConfig::serverless(fake.url.clone(), name),
        _ => OpenSearchConfig::aws(fake.url.clone(), name),
    };
    let index = OpenSearchIndex::new(&config, &sdk_config(None)).unwrap();
    fake.reply(200, search_answer(Vec::new()));
    index
        .search(&SearchQuery::default(), PageRequest::default())
        .await
        .unwrap();
    fake.last()
}

#[tokio::test]
async fn requests_to_aws_carry_a_sigv4_signature_for_es() {
    let r = signed_request(Some(SigningService::Es)).await;
    let auth = r.header("authorization").expect("signed");
    assert!(
        auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDPIKATEST/20260115/eu-west-1/es/aws4_request"
        ),
        "{auth}"
    );
    assert!(
        auth.contains("SignedHeaders=") && auth.contains("Signature="),
        "{auth}"
    );
    assert!(auth.contains("x-amz-date"), "the date is signed: {auth}");
    assert_eq!(r.header("x-amz-date").as_deref(), Some("20260115T090000Z"));
    let payload_hash = r
        .header("x-amz-content-sha256")
        .expect("payload hash header");
    assert_eq!(payload_hash.len(), 64, "hex SHA-256 of the body");
}

#[tokio::test]
async fn serverless_requests_are_signed_for_aoss() {
    let r = signed_request(Some(SigningService::Aoss)).await;
    let auth = r.header("authorization").expect("signed");
    assert!(auth.contains("/eu-west-1/aoss/aws4_request"), "{auth}");
    assert!(
        r.header("x-amz-content-sha256").is_some(),
        "Serverless requires the payload hash"
    );
}

#[tokio::test]
async fn signing_without_credentials_is_a_permanent_configuration_error() {
    let config = OpenSearchConfig {
        signing: Signing::SigV4(SigningService::Es),
        ..OpenSearchConfig::local(
            url::Url::parse("https://search-x.eu-west-1.es.amazonaws.com").unwrap(),
            IndexName::parse(INDEX).unwrap(),
        )
    };
    let err = OpenSearchIndex::new(&config, &opensearch_support::bare_sdk_config()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent);
    assert!(err.message.contains("credentials"), "{}", err.message);
}

// The non-deprecated names of the profile file types live in `aws-runtime`,
// which is not a dependency; the aliases are the same types.
#[allow(deprecated)]
#[tokio::test]
async fn credentials_that_cannot_be_loaded_fail_permanently_without_a_request() {
    use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
    use aws_config::profile::ProfileFileCredentialsProvider;
    use aws_sdk_opensearch::config::SharedCredentialsProvider;
    // A profile that does not exist, in files that do not exist: loading
    // credentials fails at signing time.
    let files = ProfileFiles::builder()
        .with_file(
            ProfileFileKind::Credentials,
            "/nonexistent/pika/credentials",
        )
        .with_file(ProfileFileKind::Config, "/nonexistent/pika/config")
        .build();
    let provider = ProfileFileCredentialsProvider::builder()
        .profile_files(files)
        .profile_name("pika-missing")
        .build();
    let sdk = sdk_config(None)
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build();
    let fake = Fake::start().await;
    let config = OpenSearchConfig::aws(fake.url.clone(), IndexName::parse(INDEX).unwrap());
    let index = OpenSearchIndex::new(&config, &sdk).unwrap();
    let err = index
        .search(&SearchQuery::default(), PageRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent, "{err}");
    assert!(err.message.contains("Signing"), "{}", err.message);
    assert!(fake.requests().is_empty());
}

//! Chat apps, search, memory and insights through the real router on fakes: the
//! wire shape a client checks on success, and the problem documents of its
//! failure paths (PIKA.md §11).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod http_support;
mod support;

use http_support::*;
use pika_domain::memory::{MemoryRecord, MemoryStrategy};
use pika_domain::user::UserType;
use pika_testkit::fixtures;
use serde_json::json;
use support::{Api, AGENT, APP};

// -------------------------------------------------------------- chat apps

#[tokio::test]
async fn chatapps_lists_only_allowed_apps_with_resolved_features() {
    let api = Api::new().await;
    let mut internal = fixtures::chat_app("internal-only", AGENT);
    internal.access_rules = pika_domain::access::AccessRules::for_types([UserType::InternalUser]);
    api.seed_app(internal, fixtures::agent(AGENT, &[]), vec![])
        .await;
    let mut off = fixtures::chat_app("disabled", AGENT);
    off.enabled = false;
    api.seed_app(off, fixtures::agent(AGENT, &[]), vec![]).await;
    api.seed_app(with_uploads("files"), fixtures::agent(AGENT, &[]), vec![])
        .await;

    let body = expect(&api.get("/chatapps", &alice()).await, 200);
    camel_case(&body);
    let mut ids = page_items_ids(&body);
    ids.sort();
    assert_eq!(ids, ["files", "support"]);
    let support = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["chatAppId"] == APP)
        .unwrap();
    has_keys(
        support,
        &[
            "chatAppId",
            "title",
            "description",
            "modesSupported",
            "features",
        ],
    );
    assert_eq!(support["title"], "support app");
    assert_eq!(support["modesSupported"], json!(["standalone"]));
    assert_eq!(
        support["features"]["promptInputFieldLabel"],
        "Ready to chat"
    );
    assert!(support["features"]["fileUpload"].is_null());
    assert_eq!(support["features"]["entityAttributePath"], "accountId");
    let files = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["chatAppId"] == "files")
        .unwrap();
    assert_eq!(files["features"]["fileUpload"]["enabled"], true);

    let mut internal_ids = page_items_ids(&expect(&api.get("/chatapps", &admin()).await, 200));
    internal_ids.sort();
    assert_eq!(internal_ids, ["files", "internal-only", "support"]);

    let one = expect(&api.get(&format!("/chatapps/{APP}"), &alice()).await, 200);
    assert_eq!(&one, support);
    problem(
        &api.get("/chatapps/internal-only", &alice()).await,
        404,
        "not_found",
    );
    problem(
        &api.get("/chatapps/disabled", &alice()).await,
        404,
        "not_found",
    );
    problem(
        &api.get("/chatapps/never-heard-of-it", &alice()).await,
        404,
        "not_found",
    );
    expect(&api.get("/chatapps/internal-only", &admin()).await, 200);
}

// ---------------------------------------------------- search, memory, insights

#[tokio::test]
async fn search_finds_only_own_sessions() {
    let api = Api::new().await;
    let (mine, _) = chatted(&api, &alice(), "tell me about zebras", "zebras are striped").await;
    let (theirs, _) = chatted(&api, &bob(), "zebras again", "zebras run fast").await;

    let body = expect(&api.get("/search?q=zebras", &alice()).await, 200);
    camel_case(&body);
    let hits = page(&body);
    assert!(!hits.is_empty());
    for hit in &hits {
        has_keys(hit, &["document", "snippet", "score"]);
        assert_eq!(hit["document"]["userId"], "alice");
        assert_eq!(hit["document"]["sessionId"], mine.as_str());
    }
    // Asking for another user's sessions still yields only one's own.
    let body = expect(&api.get("/search?q=zebras&userId=bob", &alice()).await, 200);
    assert!(page(&body)
        .iter()
        .all(|h| h["document"]["userId"] == "alice"));

    // Site admins search everyone's.
    let body = expect(
        &api.get("/search?q=zebras&userId=bob&sort=newest", &admin())
            .await,
        200,
    );
    let hits = page(&body);
    assert!(
        !hits.is_empty()
            && hits
                .iter()
                .all(|h| h["document"]["sessionId"] == theirs.as_str())
    );

    let body = expect(
        &api.get(
            "/search?q=zebras&from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z",
            &alice(),
        )
        .await,
        200,
    );
    assert!(!page(&body).is_empty());
    // The same search over an inverted range finds nothing (no error).
    let inverted = expect(
        &api.get(
            "/search?q=zebras&from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z",
            &alice(),
        )
        .await,
        200,
    );
    assert!(page(&inverted).is_empty());
}

#[tokio::test]
async fn memory_lists_the_callers_records() {
    let api = Api::new().await;
    for (user, content) in [("alice", "prefers short answers"), ("bob", "likes tables")] {
        api.fakes.memory.seed(MemoryRecord {
            record_id: format!("r-{user}"),
            user_id: fixtures::user_id(user),
            strategy: MemoryStrategy::Preferences,
            content: content.to_string(),
            created_at: fixtures::t0(),
            source_session_id: None,
        });
    }
    let body = expect(&api.get("/memory", &alice()).await, 200);
    camel_case(&body);
    let items = page(&body);
    assert_eq!(items.len(), 1);
    has_keys(
        &items[0],
        &["recordId", "userId", "strategy", "content", "createdAt"],
    );
    assert_eq!(items[0]["content"], "prefers short answers");
    assert!(page(&expect(&api.get("/memory", &carol()).await, 200)).is_empty());
}

#[tokio::test]
async fn insights_for_site_admins_and_owners() {
    let api = Api::new().await;
    let (id, _) = chatted(&api, &alice(), "q", "a").await;
    expect(
        &api.post(
            &format!("/sessions/{id}/feedback"),
            &alice(),
            json!({ "kind": "thumbs_up" }),
        )
        .await,
        201,
    );

    let own = expect(&api.get(&format!("/insights/{id}"), &alice()).await, 200);
    camel_case(&own);
    has_keys(&own, &["assessment", "feedback"]);
    assert!(own["assessment"].is_null(), "not assessed yet");
    assert_eq!(own["feedback"].as_array().unwrap().len(), 1);
    expect(&api.get(&format!("/insights/{id}"), &admin()).await, 200);
    problem(
        &api.get(&format!("/insights/{id}"), &bob()).await,
        404,
        "not_found",
    );
    problem(
        &api.get(&format!("/insights/{id}"), &editor()).await,
        404,
        "not_found",
    );
    problem(
        &api.get(&format!("/insights/{NO_SUCH_SESSION}"), &alice())
            .await,
        404,
        "not_found",
    );

    problem(&api.get("/insights", &alice()).await, 403, "forbidden");
    problem(&api.get("/insights", &editor()).await, 403, "forbidden");
    let all = expect(&api.get("/insights", &admin()).await, 200);
    camel_case(&all);
    let items = page(&all);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["kind"], "thumbs_up");
    assert_eq!(
        page(&expect(
            &api.get("/insights?status=open&chatAppId=support", &admin())
                .await,
            200
        ))
        .len(),
        1
    );
    assert!(page(&expect(
        &api.get("/insights?status=closed", &admin()).await,
        200
    ))
    .is_empty());
}

//! The pure parts of the OpenSearch adapter, case by case: the query DSL of
//! each filter and order, the read scope in every search, cursors, the
//! by-query bodies, index names and status classification.
#![cfg(feature = "opensearch")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use pika_aws_adapters::opensearch::cursor;
use pika_aws_adapters::opensearch::errors::{kind_of_status, Failure};
use pika_aws_adapters::opensearch::query::{
    search_body, session_documents, set_session_score, sort_clause, sort_len, user_documents,
    ReadScope,
};
use pika_aws_adapters::opensearch::IndexName;
use pika_domain::chrono::Duration;
use pika_domain::ids::SessionId;
use pika_ports::page::Cursor;
use pika_ports::{ErrorKind, SearchQuery, SearchSort};
use pika_testkit::fixtures::{chat_app_id, entity_id, t0, user_id};
use serde_json::{json, Value};

const SORTS: [SearchSort; 3] = [
    SearchSort::Relevance,
    SearchSort::Newest,
    SearchSort::Oldest,
];

fn q(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.to_string(),
        ..SearchQuery::default()
    }
}

fn body(query: &SearchQuery) -> Value {
    search_body(ReadScope::of(query), query, 21, None)
}

fn filters(body: &Value) -> Vec<Value> {
    body["query"]["bool"]["filter"].as_array().unwrap().clone()
}

fn must(body: &Value) -> Vec<Value> {
    body["query"]["bool"]["must"].as_array().unwrap().clone()
}

#[test]
fn a_scoped_search_always_filters_on_the_owner_whatever_else_it_asks() {
    let alice = Some(user_id("alice"));
    let variants = [
        q(""),
        q("password"),
        q("userId:bob OR *"),
        SearchQuery {
            chat_app_id: Some(chat_app_id("app-a")),
            entity_id: Some(entity_id("acme")),
            from: Some(t0()),
            to: Some(t0() + Duration::hours(1)),
            min_score: Some(50),
            ..q("invoice")
        },
    ];
    for base in variants {
        for sort in SORTS {
            for after in [None, Some(vec![json!(1.5), json!(7), json!("m")])] {
                let query = SearchQuery {
                    user_id: alice.clone(),
                    sort,
                    ..base.clone()
                };
                let b = search_body(ReadScope::of(&query), &query, 5, after.as_deref());
                let f = filters(&b);
                assert_eq!(
                    f[0],
                    json!({"term": {"userId": "alice"}}),
                    "{query:?}: the scope is the first filter"
                );
                let owner_terms = f.iter().filter(|c| c["term"]["userId"].is_string()).count();
                assert_eq!(owner_terms, 1, "one owner filter, not repeated");
                // The user's text reaches only the multi_match query.
                let must = must(&b);
                assert_eq!(must.len(), 1);
                assert!(must[0].get("match_all").is_some() || must[0].get("multi_match").is_some());
                assert!(b["query"]["bool"].get("should").is_none());
            }
        }
    }
}

#[test]
fn the_scope_comes_from_the_query_user() {
    let scoped = SearchQuery {
        user_id: Some(user_id("alice")),
        ..q("")
    };
    assert_eq!(ReadScope::of(&scoped), ReadScope::Owner(&user_id("alice")));
    assert_eq!(ReadScope::of(&q("")), ReadScope::Everyone);
}

#[test]
fn an_unscoped_search_has_no_owner_filter() {
    let b = body(&q("x"));
    assert_eq!(filters(&b), Vec::<Value>::new());
}

#[test]
fn a_user_asked_for_beyond_the_scope_narrows_further_never_widens() {
    let query = SearchQuery {
        user_id: Some(user_id("bob")),
        ..q("")
    };
    let alice = user_id("alice");
    let b = search_body(ReadScope::Owner(&alice), &query, 5, None);
    assert_eq!(
        filters(&b),
        vec![
            json!({"term": {"userId": "alice"}}),
            json!({"term": {"userId": "bob"}})
        ],
        "both must hold: alice's scope cannot be widened to bob's documents"
    );
    let admin = search_body(ReadScope::Everyone, &query, 5, None);
    assert_eq!(filters(&admin), vec![json!({"term": {"userId": "bob"}})]);
}

#[test]
fn blank_text_matches_everything() {
    for text in ["", "   ", "\t\n"] {
        assert_eq!(must(&body(&q(text))), vec![json!({"match_all": {}})]);
    }
}

#[test]
fn words_are_all_required_in_title_or_text_as_plain_text() {
    let b = body(&q("Reset PASSWORD"));
    assert_eq!(
        must(&b),
        vec![json!({"multi_match": {
            "query": "Reset PASSWORD",
            "fields": ["title", "text"],
            "type": "cross_fields",
            "operator": "and",
            "zero_terms_query": "none"
        }})]
    );
    // Query syntax is not interpreted: it is the query of a multi_match.
    let tricky = "userId:bob OR * (\"x\"";
    assert_eq!(must(&body(&q(tricky)))[0]["multi_match"]["query"], tricky);
}

#[test]
fn each_filter_becomes_one_exact_clause() {
    let cases: Vec<(&str, SearchQuery, Vec<Value>)> = vec![
        (
            "chat app",
            SearchQuery {
                chat_app_id: Some(chat_app_id("app-a")),
                ..q("")
            },
            vec![json!({"term": {"chatAppId": "app-a"}})],
        ),
        (
            "entity",
            SearchQuery {
                entity_id: Some(entity_id("globex")),
                ..q("")
            },
            vec![json!({"term": {"entityId": "globex"}})],
        ),
        (
            "from is inclusive",
            SearchQuery {
                from: Some(t0()),
                ..q("")
            },
            vec![json!({"range": {"createdAt": {"gte": "2026-01-15T09:00:00Z"}}})],
        ),
        (
            "to is exclusive",
            SearchQuery {
                to: Some(t0() + Duration::nanoseconds(1_500)),
                ..q("")
            },
            vec![json!({"range": {"createdAt": {"lt": "2026-01-15T09:00:00.000001500Z"}}})],
        ),
        (
            "both ends in one range",
            SearchQuery {
                from: Some(t0()),
                to: Some(t0() + Duration::hours(2)),
                ..q("")
            },
            vec![json!({"range": {"createdAt": {
                "gte": "2026-01-15T09:00:00Z",
                "lt": "2026-01-15T11:00:00Z"
            }}})],
        ),
        (
            "insight score at least",
            SearchQuery {
                min_score: Some(70),
                ..q("")
            },
            vec![json!({"range": {"insightScore": {"gte": 70}}})],
        ),
        (
            "insight score zero still excludes unscored",
            SearchQuery {
                min_score: Some(0),
                ..q("")
            },
            vec![json!({"range": {"insightScore": {"gte": 0}}})],
        ),
    ];
    for (name, query, expected) in cases {
        assert_eq!(filters(&body(&query)), expected, "{name}");
    }
}

#[test]
fn each_order_ends_on_the_unique_message_id() {
    assert_eq!(
        sort_clause(SearchSort::Relevance),
        json!([
            {"_score": {"order": "desc"}},
            {"createdAt": {"order": "desc"}},
            {"messageId": {"order": "desc"}}
        ])
    );
    assert_eq!(
        sort_clause(SearchSort::Newest),
        json!([{"createdAt": {"order": "desc"}}, {"messageId": {"order": "desc"}}])
    );
    assert_eq!(
        sort_clause(SearchSort::Oldest),
        json!([{"createdAt": {"order": "asc"}}, {"messageId": {"order": "asc"}}])
    );
    for sort in SORTS {
        let clause = sort_clause(sort);
        assert_eq!(clause.as_array().unwrap().len(), sort_len(sort));
        let query = SearchQuery { sort, ..q("x") };
        assert_eq!(body(&query)["sort"], clause);
    }
}

#[test]
fn pages_ask_for_their_size_and_continue_after_the_cursor_values() {
    let query = q("x");
    let first = search_body(ReadScope::of(&query), &query, 11, None);
    assert_eq!(first["size"], 11);
    assert_eq!(first["track_total_hits"], false);
    assert_eq!(first["track_scores"], true);
    assert!(first.get("search_after").is_none());
    let after = [
        json!(2.5),
        json!(1_768_467_600_000_000_000_i64),
        json!("m-1"),
    ];
    let next = search_body(ReadScope::of(&query), &query, 11, Some(&after));
    assert_eq!(next["search_after"], json!(after));
}

#[test]
fn snippets_are_asked_as_plain_text_highlights() {
    let h = &body(&q("x"))["highlight"];
    assert_eq!(h["pre_tags"], json!([""]));
    assert_eq!(h["post_tags"], json!([""]));
    assert_eq!(h["fields"]["text"]["fragment_size"], 120);
    assert_eq!(h["fields"]["text"]["number_of_fragments"], 1);
    assert_eq!(h["fields"]["text"]["no_match_size"], 120);
}

#[test]
fn a_whole_search_body_reads_as_expected() {
    let query = SearchQuery {
        user_id: Some(user_id("alice")),
        chat_app_id: Some(chat_app_id("app-b")),
        sort: SearchSort::Newest,
        ..q("invoice")
    };
    assert_eq!(
        search_body(ReadScope::of(&query), &query, 3, None),
        json!({
            "size": 3,
            "track_total_hits": false,
            "track_scores": true,
            "query": {"bool": {
                "must": [{"multi_match": {
                    "query": "invoice", "fields": ["title", "text"],
                    "type": "cross_fields", "operator": "and", "zero_terms_query": "none"
                }}],
                "filter": [
                    {"term": {"userId": "alice"}},
                    {"term": {"chatAppId": "app-b"}}
                ]
            }},
            "sort": [{"createdAt": {"order": "desc"}}, {"messageId": {"order": "desc"}}],
            "highlight": {
                "pre_tags": [""], "post_tags": [""],
                "fields": {"text": {"fragment_size": 120, "number_of_fragments": 1, "no_match_size": 120}}
            }
        })
    );
}

#[test]
fn by_query_bodies_select_one_session_or_one_user() {
    let session = SessionId::from_v7_parts(1, &[7; 10]);
    assert_eq!(
        session_documents(&session),
        json!({"query": {"term": {"sessionId": session.to_string()}}})
    );
    assert_eq!(
        user_documents(&user_id("bob")),
        json!({"query": {"term": {"userId": "bob"}}})
    );
    assert_eq!(
        set_session_score(&session, 80),
        json!({
            "query": {"term": {"sessionId": session.to_string()}},
            "script": {
                "lang": "painless",
                "source": "ctx._source.insightScore = params.score",
                "params": {"score": 80}
            }
        })
    );
}

#[test]
fn a_cursor_continues_exactly_its_own_query() {
    let query = SearchQuery {
        user_id: Some(user_id("alice")),
        ..q("invoice")
    };
    let after = vec![
        json!(1.25),
        json!(1_768_467_600_000_000_000_i64),
        json!("m-9"),
    ];
    let c = cursor::encode(&query, &after);
    assert!(
        c.as_str()
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'),
        "URL-safe: {c:?}"
    );
    assert_eq!(cursor::decode(&c, &query).unwrap(), after);

    let others = [
        ("other text", q("password")),
        (
            "other user",
            SearchQuery {
                user_id: Some(user_id("bob")),
                ..query.clone()
            },
        ),
        (
            "no user",
            SearchQuery {
                user_id: None,
                ..query.clone()
            },
        ),
        (
            "other order",
            SearchQuery {
                sort: SearchSort::Newest,
                ..query.clone()
            },
        ),
        (
            "other filter",
            SearchQuery {
                min_score: Some(1),
                ..query.clone()
            },
        ),
    ];
    for (name, other) in others {
        let err = cursor::decode(&c, &other).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid, "{name}");
    }
}

#[test]
fn foreign_or_forged_cursors_are_invalid() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let query = q("x");
    let fp = cursor::fingerprint(&query);
    let forge = |v: Value| Cursor::new(URL_SAFE_NO_PAD.encode(v.to_string()));
    let cases = [
        ("not base64", Cursor::new("not a cursor!")),
        ("not json", Cursor::new(URL_SAFE_NO_PAD.encode("hello"))),
        ("another index's offset", Cursor::new("tv1.r.2.00ff")),
        (
            "too few values",
            forge(json!({"v": 1, "q": fp, "after": [1.0, 2]})),
        ),
        (
            "an object where a value goes",
            forge(json!({"v": 1, "q": fp, "after": [1.0, {"match_all": {}}, "m"]})),
        ),
        (
            "another version",
            forge(json!({"v": 2, "q": fp, "after": [1.0, 2, "m"]})),
        ),
    ];
    for (name, c) in cases {
        let err = cursor::decode(&c, &query).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid, "{name}");
    }
    let fine = forge(json!({"v": 1, "q": fp, "after": [1.0, 2, "m"]}));
    assert!(cursor::decode(&fine, &query).is_ok());
}

#[test]
fn statuses_map_to_kinds() {
    let cases = [
        (429, ErrorKind::Transient),
        (503, ErrorKind::Transient),
        (502, ErrorKind::Transient),
        (504, ErrorKind::Transient),
        (500, ErrorKind::Transient),
        (409, ErrorKind::Transient),
        (400, ErrorKind::Invalid),
        (413, ErrorKind::Invalid),
        (404, ErrorKind::NotFound),
        (403, ErrorKind::Permanent),
        (401, ErrorKind::Permanent),
        (405, ErrorKind::Permanent),
    ];
    for (status, kind) in cases {
        assert_eq!(kind_of_status(status), kind, "{status}");
    }
}

#[test]
fn refusals_are_read_from_opensearch_and_proxy_bodies() {
    let missing = Failure::refused(
        404,
        r#"{"error":{"type":"index_not_found_exception","reason":"no such index [pika]"},"status":404}"#,
    );
    assert!(missing.index_missing());
    let other_404 = Failure::refused(404, r#"{"_index":"pika","found":false}"#);
    assert!(
        !other_404.index_missing(),
        "a missing document is not a missing index"
    );
    let exists = Failure::refused(
        400,
        r#"{"error":{"type":"resource_already_exists_exception","reason":"index [pika/x] already exists"},"status":400}"#,
    );
    assert!(exists.index_exists());
    let err = exists.into_port("create index");
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert!(err.message.contains("already exists"), "{}", err.message);

    let iam = Failure::refused(
        403,
        r#"{"Message":"User: arn:aws:sts::1:assumed-role/x is not authorized"}"#,
    )
    .into_port("search");
    assert_eq!(iam.kind, ErrorKind::Permanent);
    assert!(iam.message.contains("not authorized"), "{}", iam.message);
    let plain = Failure::refused(429, "429 Too Many Requests /_search").into_port("search");
    assert_eq!(plain.kind, ErrorKind::Transient);
    assert!(
        plain.message.contains("Too Many Requests"),
        "{}",
        plain.message
    );
}

#[test]
fn index_names_follow_opensearch_rules() {
    for good in ["pika-sessions", "pika_v2", "a", "sessions.2026"] {
        assert_eq!(IndexName::parse(good).unwrap().as_str(), good);
    }
    for bad in [
        "", "Pika", "_pika", "-pika", "+pika", ".", "..", "a b", "a/b", "a*", "a:b", "a#b", "a,b",
    ] {
        assert_eq!(
            IndexName::parse(bad).unwrap_err().kind,
            ErrorKind::Invalid,
            "{bad:?}"
        );
    }
    assert!(IndexName::parse("a".repeat(256)).is_err());
}

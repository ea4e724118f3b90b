//! The [`SearchIndex`] contract: every filter honoured (a user filter never
//! yields another user's documents), all query words required
//! case-insensitively, the three orders, cursor paging without loss or
//! duplication, foreign cursors refused, replacement by message id, score
//! updates and deletes.
// Contract suites are tests: a broken contract must fail loudly, at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::fakes::clock::SequentialIds;
use crate::fixtures::{chat_app_id, entity_id, t0, user_id};
use pika_domain::chrono::Duration;
use pika_domain::ids::{MessageId, SessionId};
use pika_ports::page::{Cursor, PageRequest};
use pika_ports::{ErrorKind, IdGeneratorExt, SearchDocument, SearchHit, SearchIndex};
use pika_ports::{SearchQuery, SearchSort};
use std::collections::HashSet;
use std::future::Future;

/// A document of the suite: session index, owner, app, entity, title, text.
type Row = (
    usize,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
);

/// The documents of the suite, oldest first, one hour apart.
struct Corpus {
    docs: Vec<SearchDocument>,
    /// Three sessions with documents, and a fourth without any.
    sessions: [SessionId; 4],
}

impl Corpus {
    fn new() -> Self {
        let ids = SequentialIds::new();
        let sessions = [
            ids.session_id(),
            ids.session_id(),
            ids.session_id(),
            ids.session_id(),
        ];
        let rows: [Row; 6] = [
            (
                0,
                "alice",
                "app-a",
                "acme",
                Some("Password help"),
                "How do I reset my password? Reset it under Settings.",
            ),
            (
                0,
                "alice",
                "app-a",
                "acme",
                None,
                "The invoice for March is attached. Invoice totals are final.",
            ),
            (
                1,
                "alice",
                "app-b",
                "acme",
                None,
                "Password rules: twelve characters minimum, no reuse.",
            ),
            (
                2,
                "bob",
                "app-a",
                "globex",
                None,
                "Bob asks about the password policy and the invoice.",
            ),
            (
                2,
                "bob",
                "app-a",
                "globex",
                None,
                "Deploying the widget service to production today.",
            ),
            (
                1,
                "alice",
                "app-b",
                "acme",
                None,
                "Another invoice question about invoice numbers and invoice dates",
            ),
        ];
        let docs = rows
            .iter()
            .zip(0i64..)
            .map(
                |((s, user, app, entity, title, text), hour)| SearchDocument {
                    session_id: sessions[*s],
                    message_id: ids.message_id(),
                    user_id: user_id(user),
                    chat_app_id: chat_app_id(app),
                    entity_id: entity_id(entity),
                    title: title.map(str::to_string),
                    text: (*text).to_string(),
                    created_at: t0() + Duration::hours(hour),
                    insight_score: None,
                },
            )
            .collect();
        Self { docs, sessions }
    }

    /// The message ids of documents `indexes` (0-based), in that order.
    fn ids(&self, indexes: &[usize]) -> Vec<MessageId> {
        indexes.iter().map(|i| self.docs[*i].message_id).collect()
    }
}

fn query(text: &str, sort: SearchSort) -> SearchQuery {
    SearchQuery {
        text: text.to_string(),
        sort,
        ..SearchQuery::default()
    }
}

/// Every hit of `q`, reading pages of `limit`, checking each page's size.
async fn all_hits<S: SearchIndex>(index: &S, q: &SearchQuery, limit: u32) -> Vec<SearchHit> {
    let mut hits = Vec::new();
    let mut cursor: Option<Cursor> = None;
    for _ in 0..100 {
        let page = index
            .search(q, PageRequest::after(limit, cursor.take()))
            .await
            .unwrap();
        assert!(page.items.len() <= limit as usize, "page over its limit");
        hits.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return hits,
        }
    }
    panic!("paging did not end after 100 pages");
}

async fn ids_of<S: SearchIndex>(index: &S, q: &SearchQuery) -> Vec<MessageId> {
    all_hits(index, q, 100)
        .await
        .iter()
        .map(|h| h.document.message_id)
        .collect()
}

/// Checks the whole [`SearchIndex`] contract. `make` must give a fresh,
/// empty, isolated index on every call; documents must be searchable as
/// soon as `index` returns.
pub async fn search_index_contract<S, F, Fut>(make: F)
where
    S: SearchIndex,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let c = Corpus::new();
    let empty = make().await;
    let page = empty
        .search(&query("", SearchSort::Newest), PageRequest::default())
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.next_cursor.is_none());

    let index = make().await;
    for doc in &c.docs {
        index.index(doc).await.unwrap();
    }
    words_are_all_required_case_insensitively(&index, &c).await;
    filters_are_honoured(&index, &c).await;
    orders_hold(&index, &c).await;
    paging_loses_and_repeats_nothing(&index, &c).await;
    scores_filter_by_session(&index, &c).await;
    indexing_replaces_by_message_id(&index, &c).await;
    deletes_remove_exactly_their_documents(&index, &c).await;
}

async fn words_are_all_required_case_insensitively<S: SearchIndex>(index: &S, c: &Corpus) {
    let newest = |text: &str| query(text, SearchSort::Newest);
    assert_eq!(ids_of(index, &newest("password")).await, c.ids(&[3, 2, 0]));
    assert_eq!(ids_of(index, &newest("PassWord")).await, c.ids(&[3, 2, 0]));
    assert_eq!(
        ids_of(index, &newest("password invoice")).await,
        c.ids(&[3])
    );
    assert_eq!(ids_of(index, &newest("password zebra")).await, Vec::new());
    assert_eq!(ids_of(index, &newest("")).await, c.ids(&[5, 4, 3, 2, 1, 0]));
    for hit in all_hits(index, &newest("invoice"), 100).await {
        assert!(
            hit.snippet.to_lowercase().contains("invoice"),
            "snippet {:?} misses the match",
            hit.snippet
        );
    }
}

async fn filters_are_honoured<S: SearchIndex>(index: &S, c: &Corpus) {
    let base = query("", SearchSort::Oldest);
    for text in ["", "password", "invoice", "the"] {
        for user in ["alice", "bob", "carol"] {
            let q = SearchQuery {
                text: text.to_string(),
                user_id: Some(user_id(user)),
                ..base.clone()
            };
            let hits = all_hits(index, &q, 2).await;
            assert!(
                hits.iter().all(|h| h.document.user_id == user_id(user)),
                "a search for {user} returned another user's document"
            );
        }
    }
    let run = |q: SearchQuery| async move { ids_of(index, &q).await };
    let alice = Some(user_id("alice"));
    let q = SearchQuery {
        user_id: alice.clone(),
        ..base.clone()
    };
    assert_eq!(run(q).await, c.ids(&[0, 1, 2, 5]));
    let q = SearchQuery {
        user_id: Some(user_id("bob")),
        ..query("password", SearchSort::Oldest)
    };
    assert_eq!(run(q).await, c.ids(&[3]));
    let q = SearchQuery {
        chat_app_id: Some(chat_app_id("app-a")),
        ..base.clone()
    };
    assert_eq!(run(q).await, c.ids(&[0, 1, 3, 4]));
    let q = SearchQuery {
        entity_id: Some(entity_id("globex")),
        ..base.clone()
    };
    assert_eq!(run(q).await, c.ids(&[3, 4]));
    let q = SearchQuery {
        user_id: alice,
        chat_app_id: Some(chat_app_id("app-b")),
        ..base.clone()
    };
    assert_eq!(run(q).await, c.ids(&[2, 5]));
    let two = t0() + Duration::hours(2);
    let q = SearchQuery {
        from: Some(two),
        ..base.clone()
    };
    assert_eq!(run(q).await, c.ids(&[2, 3, 4, 5]), "from is inclusive");
    let q = SearchQuery {
        to: Some(two),
        ..base.clone()
    };
    assert_eq!(run(q).await, c.ids(&[0, 1]), "to is exclusive");
    let q = SearchQuery {
        from: Some(t0() + Duration::hours(1)),
        to: Some(two),
        ..base.clone()
    };
    assert_eq!(run(q).await, c.ids(&[1]));
    let q = SearchQuery {
        min_score: Some(0),
        ..base
    };
    assert_eq!(
        run(q).await,
        Vec::new(),
        "unscored documents never pass min_score"
    );
}

async fn orders_hold<S: SearchIndex>(index: &S, c: &Corpus) {
    let oldest = ids_of(index, &query("", SearchSort::Oldest)).await;
    assert_eq!(oldest, c.ids(&[0, 1, 2, 3, 4, 5]));
    let hits = all_hits(index, &query("invoice", SearchSort::Relevance), 100).await;
    let ids: HashSet<_> = hits.iter().map(|h| h.document.message_id).collect();
    assert_eq!(ids, c.ids(&[1, 3, 5]).into_iter().collect());
    assert_eq!(
        hits[0].document.message_id, c.docs[5].message_id,
        "most matches first"
    );
    assert!(
        hits.windows(2).all(|w| w[0].score >= w[1].score),
        "relevance order is best first"
    );
}

async fn paging_loses_and_repeats_nothing<S: SearchIndex>(index: &S, c: &Corpus) {
    for sort in [
        SearchSort::Relevance,
        SearchSort::Newest,
        SearchSort::Oldest,
    ] {
        for text in ["", "the", "invoice"] {
            let q = query(text, sort);
            let whole: Vec<_> = ids_of(index, &q).await;
            for limit in [1, 2, 4] {
                let paged: Vec<_> = all_hits(index, &q, limit)
                    .await
                    .iter()
                    .map(|h| h.document.message_id)
                    .collect();
                let unique: HashSet<_> = paged.iter().collect();
                assert_eq!(
                    unique.len(),
                    paged.len(),
                    "{sort:?} {text:?} by {limit}: repeats"
                );
                if sort == SearchSort::Relevance {
                    let whole: HashSet<_> = whole.iter().collect();
                    assert_eq!(unique, whole, "{text:?} by {limit}: loses");
                } else {
                    assert_eq!(paged, whole, "{sort:?} {text:?} by {limit}");
                }
            }
        }
    }
    assert_eq!(
        ids_of(index, &query("", SearchSort::Newest)).await.len(),
        c.docs.len()
    );
    let foreign = PageRequest::after(2, Some(Cursor::new("not-a-cursor-of-this-index")));
    let err = index
        .search(&query("", SearchSort::Newest), foreign)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
}

async fn scores_filter_by_session<S: SearchIndex>(index: &S, c: &Corpus) {
    let scored = |min: u8| SearchQuery {
        min_score: Some(min),
        ..query("", SearchSort::Oldest)
    };
    index.set_session_score(&c.sessions[1], 80).await.unwrap();
    assert_eq!(ids_of(index, &scored(70)).await, c.ids(&[2, 5]));
    index.set_session_score(&c.sessions[0], 60).await.unwrap();
    assert_eq!(ids_of(index, &scored(70)).await, c.ids(&[2, 5]));
    assert_eq!(ids_of(index, &scored(60)).await, c.ids(&[0, 1, 2, 5]));
    assert_eq!(ids_of(index, &scored(81)).await, Vec::new());
    let hits = all_hits(index, &scored(80), 100).await;
    assert!(hits.iter().all(|h| h.document.insight_score == Some(80)));
    index.set_session_score(&c.sessions[3], 10).await.unwrap();
}

async fn indexing_replaces_by_message_id<S: SearchIndex>(index: &S, c: &Corpus) {
    let mut doc = c.docs[4].clone();
    doc.text = "Deploying the gadget service instead.".to_string();
    index.index(&doc).await.unwrap();
    assert_eq!(
        ids_of(index, &query("widget", SearchSort::Newest)).await,
        Vec::new()
    );
    assert_eq!(
        ids_of(index, &query("gadget", SearchSort::Newest)).await,
        c.ids(&[4])
    );
    assert_eq!(
        ids_of(index, &query("", SearchSort::Newest)).await.len(),
        c.docs.len()
    );
}

async fn deletes_remove_exactly_their_documents<S: SearchIndex>(index: &S, c: &Corpus) {
    index.delete_session(&c.sessions[0]).await.unwrap();
    assert_eq!(
        ids_of(index, &query("", SearchSort::Oldest)).await,
        c.ids(&[2, 3, 4, 5])
    );
    index.delete_session(&c.sessions[0]).await.unwrap();
    index.delete_session(&c.sessions[3]).await.unwrap();
    index.delete_user(&user_id("bob")).await.unwrap();
    assert_eq!(
        ids_of(index, &query("", SearchSort::Oldest)).await,
        c.ids(&[2, 5])
    );
    index.delete_user(&user_id("nobody")).await.unwrap();
    index.delete_user(&user_id("alice")).await.unwrap();
    assert_eq!(
        ids_of(index, &query("", SearchSort::Oldest)).await,
        Vec::new()
    );
}

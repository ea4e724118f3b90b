//! The tantivy search index against the `SearchIndex` contract, plus the
//! queries users type that a query parser would choke on, and persistence.
#![cfg(feature = "search")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pika_domain::chrono::Duration;
use pika_local_adapters::search::TantivySearchIndex;
use pika_ports::page::{Cursor, PageRequest};
use pika_ports::{ErrorKind, IdGeneratorExt, SearchDocument, SearchIndex, SearchQuery, SearchSort};
use pika_testkit::contracts::search::search_index_contract;
use pika_testkit::fakes::clock::SequentialIds;
use pika_testkit::fixtures::{chat_app_id, entity_id, t0, user_id};

#[tokio::test(flavor = "multi_thread")]
async fn in_memory_index_passes_the_contract() {
    search_index_contract(|| async { TantivySearchIndex::in_memory().unwrap() }).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn index_in_a_directory_passes_the_contract() {
    let root = tempfile::tempdir().unwrap();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    search_index_contract(|| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = root.path().join(format!("index-{n}"));
        async move { TantivySearchIndex::open(dir).unwrap() }
    })
    .await;
}

fn doc(ids: &SequentialIds, text: &str, hours: i64) -> SearchDocument {
    SearchDocument {
        session_id: ids.session_id(),
        message_id: ids.message_id(),
        user_id: user_id("alice"),
        chat_app_id: chat_app_id("app-a"),
        entity_id: entity_id("acme"),
        title: Some("A title".to_string()),
        text: text.to_string(),
        created_at: t0() + Duration::hours(hours),
        insight_score: None,
    }
}

fn text(t: &str) -> SearchQuery {
    SearchQuery {
        text: t.to_string(),
        sort: SearchSort::Relevance,
        ..SearchQuery::default()
    }
}

async fn texts_found(index: &TantivySearchIndex, q: &str) -> Vec<String> {
    index
        .search(&text(q), PageRequest::first(100))
        .await
        .unwrap_or_else(|e| panic!("query {q:?} failed: {e}"))
        .items
        .into_iter()
        .map(|h| h.document.text)
        .collect()
}

async fn tricky_corpus() -> TantivySearchIndex {
    let index = TantivySearchIndex::in_memory().unwrap();
    let ids = SequentialIds::new();
    for (i, t) in [
        "Is C++ faster than rust? (rust wins sometimes)",
        "She said \"quoted\" words and title: x marks the spot",
        "Café déjà vu — naïve façade, 日本語 テキスト 🦀 crab",
        "plain text without anything special",
    ]
    .iter()
    .enumerate()
    {
        index.index(&doc(&ids, t, i as i64)).await.unwrap();
    }
    index
}

#[tokio::test(flavor = "multi_thread")]
async fn query_syntax_in_user_text_is_just_words() {
    let index = tricky_corpus().await;
    let first = "Is C++ faster than rust? (rust wins sometimes)";
    assert_eq!(texts_found(&index, "C++ (rust)").await, vec![first]);
    assert_eq!(
        texts_found(&index, "rust AND OR NOT").await,
        Vec::<String>::new()
    );
    assert_eq!(texts_found(&index, "\"quoted\"").await.len(), 1);
    assert_eq!(
        texts_found(&index, "\"unbalanced").await,
        Vec::<String>::new()
    );
    assert_eq!(
        texts_found(&index, "title:x").await.len(),
        1,
        "title:x is two words"
    );
    assert_eq!(texts_found(&index, "text:plain").await.len(), 1);
    for q in [
        "+rust -crab",
        "rust~2",
        "ru*",
        "[a TO z]",
        "{}",
        "^2",
        "\\",
        "'",
        "::",
        "a:b:c",
    ] {
        texts_found(&index, q).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unicode_queries_never_fail() {
    let index = tricky_corpus().await;
    assert_eq!(
        texts_found(&index, "CAFÉ").await.len(),
        1,
        "lowercased unicode"
    );
    assert_eq!(texts_found(&index, "日本語").await.len(), 1);
    assert_eq!(
        texts_found(&index, "🦀").await,
        Vec::<String>::new(),
        "emoji are no words"
    );
    assert_eq!(texts_found(&index, "🦀 crab").await.len(), 1);
    assert_eq!(texts_found(&index, "   ").await.len(), 4, "blank finds all");
    assert_eq!(texts_found(&index, "?!").await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn very_long_queries_never_fail() {
    let index = tricky_corpus().await;
    let long_words = "rust ".repeat(100);
    assert_eq!(texts_found(&index, &long_words).await.len(), 1);
    let distinct: String = (0..100).map(|i| format!("w{i} ")).collect();
    assert!(texts_found(&index, &distinct).await.is_empty());
    let one_word = "x".repeat(500);
    // Words over 40 bytes are dropped by the analyzer: nothing is left to find.
    assert!(texts_found(&index, &one_word).await.is_empty());
    let mixed = format!("(\"{}\")", "é:".repeat(250));
    assert!(texts_found(&index, &mixed).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn snippets_surround_the_first_match() {
    let index = TantivySearchIndex::in_memory().unwrap();
    let ids = SequentialIds::new();
    let long = format!("{} needle {}", "hay ".repeat(60), "straw ".repeat(60));
    index.index(&doc(&ids, &long, 0)).await.unwrap();
    let page = index
        .search(&text("NEEDLE"), PageRequest::first(10))
        .await
        .unwrap();
    let snippet = &page.items[0].snippet;
    assert!(snippet.contains("needle"), "{snippet:?}");
    assert!(snippet.chars().count() <= 120);
    let before = snippet.find("hay").expect("context before the match");
    assert!(before < snippet.find("needle").unwrap(), "{snippet:?}");
    let all = index
        .search(&text(""), PageRequest::first(10))
        .await
        .unwrap();
    assert!(all.items[0].snippet.starts_with("hay hay"));
}

#[tokio::test(flavor = "multi_thread")]
async fn cursors_of_another_query_or_sort_are_refused() {
    let index = tricky_corpus().await;
    let first = index
        .search(&text(""), PageRequest::first(1))
        .await
        .unwrap();
    let cursor = first.next_cursor.expect("more than one page");
    let again = index
        .search(&text(""), PageRequest::after(1, Some(cursor.clone())))
        .await
        .unwrap();
    assert_eq!(again.items.len(), 1);
    for other in [
        text("rust"),
        SearchQuery {
            sort: SearchSort::Newest,
            ..text("")
        },
        SearchQuery {
            user_id: Some(user_id("alice")),
            ..text("")
        },
    ] {
        let err = index
            .search(&other, PageRequest::after(1, Some(cursor.clone())))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid);
    }
    let forged = Cursor::new(cursor.as_str().replace(".1.", ".999999999."));
    let err = index
        .search(&text(""), PageRequest::after(1, Some(forged)))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
}

#[tokio::test(flavor = "multi_thread")]
async fn documents_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let ids = SequentialIds::new();
    let mut kept = doc(&ids, "persisted words", 0);
    {
        let index = TantivySearchIndex::open(dir.path()).unwrap();
        index.index(&kept).await.unwrap();
        index.set_session_score(&kept.session_id, 42).await.unwrap();
    }
    let index = TantivySearchIndex::open(dir.path()).unwrap();
    let page = index
        .search(&text("persisted"), PageRequest::first(10))
        .await
        .unwrap();
    kept.insight_score = Some(42);
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].document, kept, "every field round-trips");
    assert!(page.next_cursor.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_writer_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = TantivySearchIndex::open(dir.path()).unwrap();
    let err = TantivySearchIndex::open(dir.path())
        .err()
        .expect("lock held");
    assert_eq!(err.kind, ErrorKind::Permanent);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_writes_all_land() {
    let index = TantivySearchIndex::in_memory().unwrap();
    let ids = SequentialIds::new();
    let docs: Vec<_> = (0..20)
        .map(|i| doc(&ids, &format!("word{i} common"), i))
        .collect();
    let writes = docs.iter().map(|d| {
        let index = index.clone();
        let d = d.clone();
        tokio::spawn(async move { index.index(&d).await })
    });
    for w in writes {
        w.await.unwrap().unwrap();
    }
    assert_eq!(texts_found(&index, "common").await.len(), 20);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_is_indexed_in_one_commit_and_replaces_by_message_id() {
    let index = TantivySearchIndex::in_memory().unwrap();
    let ids = SequentialIds::default();
    let first = doc(&ids, "the blue heron", 1);
    let second = doc(&ids, "a grey heron", 2);
    index
        .index_all(vec![first.clone(), second.clone()])
        .await
        .unwrap();
    let mut found = texts_found(&index, "heron").await;
    found.sort();
    assert_eq!(found, ["a grey heron", "the blue heron"]);

    // The same message id again: replaced, not doubled.
    let edited = SearchDocument {
        text: "the green heron".to_string(),
        ..first
    };
    index.index_all(vec![edited]).await.unwrap();
    let mut found = texts_found(&index, "heron").await;
    found.sort();
    assert_eq!(found, ["a grey heron", "the green heron"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_with_one_bad_document_keeps_nothing() {
    let index = TantivySearchIndex::in_memory().unwrap();
    let ids = SequentialIds::default();
    let good = doc(&ids, "kept only with the rest", 1);
    let bad = SearchDocument {
        created_at: pika_domain::chrono::DateTime::<pika_domain::chrono::Utc>::MAX_UTC,
        ..doc(&ids, "out of range", 2)
    };
    let err = index.index_all(vec![good, bad]).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid, "{err}");
    assert!(texts_found(&index, "kept").await.is_empty());
}

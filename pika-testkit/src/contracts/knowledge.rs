//! The [`KnowledgeRetriever`] contract suite.

// Contract suites are tests: a failed expectation panics with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::fakes::knowledge::KnowledgeDocument;
use pika_domain::knowledge::Condition;
use pika_ports::{ErrorKind, KnowledgeRetriever, Retrieval};
use serde_json::{json, Map, Value};
use std::future::Future;

/// The knowledge base the suite seeds.
pub const KB: &str = "manuals";

fn doc(source: &str, text: &str, metadata: Value) -> KnowledgeDocument {
    KnowledgeDocument {
        knowledge_base_id: KB.to_string(),
        source: source.to_string(),
        text: text.to_string(),
        metadata: metadata.as_object().cloned().unwrap_or_else(Map::new),
    }
}

/// The documents every case reads: `make` gets them and must return a
/// retriever whose knowledge base [`KB`] holds exactly these, each one
/// passage, with its metadata.
pub fn corpus() -> Vec<KnowledgeDocument> {
    vec![
        doc(
            "acme/router-reset.md",
            "To reset the Falcon router, hold the reset button for ten seconds until the light blinks.",
            json!({ "account": "acme", "product": "falcon" }),
        ),
        doc(
            "globex/router-reset.md",
            "Globex routers reset from the admin console: open settings and choose factory reset.",
            json!({ "account": "globex", "product": "falcon" }),
        ),
        doc(
            "acme/billing.md",
            "Invoices are sent on the first day of each month by email.",
            json!({ "account": "acme", "product": "billing" }),
        ),
    ]
}

fn ask(query: &str, filter: Vec<Condition>, max: u32) -> Retrieval {
    Retrieval {
        knowledge_base_id: KB.to_string(),
        query: query.to_string(),
        filter,
        max_results: max,
    }
}

fn equals(key: &str, value: &str) -> Condition {
    Condition {
        key: key.to_string(),
        value: json!(value),
    }
}

/// Checks the whole [`KnowledgeRetriever`] contract. `make` gets the
/// documents of [`corpus`] and builds a retriever holding them.
pub async fn knowledge_contract<S, F, Fut>(make: F)
where
    S: KnowledgeRetriever,
    F: Fn(Vec<KnowledgeDocument>) -> Fut,
    Fut: Future<Output = S>,
{
    let store = make(corpus()).await;

    let found = store
        .retrieve(ask("how do I reset my router", vec![], 5))
        .await
        .expect("a search");
    assert!(!found.is_empty(), "a relevant passage is found");
    assert!(
        found[0].text.contains("reset"),
        "the best passage first: {found:?}"
    );
    assert!(found.len() <= 3);
    assert!(
        found.iter().all(|p| !p.source.is_empty()),
        "every passage names its source"
    );

    let acme = store
        .retrieve(ask("reset router", vec![equals("account", "acme")], 5))
        .await
        .unwrap();
    assert!(!acme.is_empty());
    assert!(
        acme.iter()
            .all(|p| p.metadata.get("account") == Some(&json!("acme"))),
        "the filter keeps other accounts' documents out: {acme:?}"
    );
    assert!(acme.iter().any(|p| p.source == "acme/router-reset.md"));

    let both = store
        .retrieve(ask(
            "reset router invoices",
            vec![equals("account", "acme"), equals("product", "billing")],
            5,
        ))
        .await
        .unwrap();
    assert!(
        both.iter().all(|p| p.source == "acme/billing.md"),
        "every condition holds: {both:?}"
    );

    let nobody = store
        .retrieve(ask("reset router", vec![equals("account", "initech")], 5))
        .await
        .unwrap();
    assert!(nobody.is_empty(), "no document of that account: {nobody:?}");

    let one = store
        .retrieve(ask("reset router", vec![], 1))
        .await
        .unwrap();
    assert_eq!(one.len(), 1, "at most max_results");

    let mut unknown = ask("reset", vec![], 5);
    unknown.knowledge_base_id = "nonexistent".to_string();
    let err = store.retrieve(unknown).await.expect_err("an unknown base");
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
}

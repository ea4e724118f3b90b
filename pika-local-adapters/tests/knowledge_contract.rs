//! The local knowledge bases against the `KnowledgeRetriever` contract,
//! from documents and from a corpus directory as an operator lays it out.
#![cfg(feature = "search")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use pika_domain::knowledge::Condition;
use pika_local_adapters::knowledge::{LocalDocument, LocalKnowledge};
use pika_ports::{KnowledgeRetriever, Retrieval};
use pika_testkit::contracts::knowledge::{knowledge_contract, KB};
use pika_testkit::fakes::knowledge::KnowledgeDocument;
use serde_json::json;

fn local(docs: Vec<KnowledgeDocument>) -> Vec<LocalDocument> {
    docs.into_iter()
        .map(|d| LocalDocument {
            knowledge_base_id: d.knowledge_base_id,
            source: d.source,
            text: d.text,
            metadata: d.metadata,
        })
        .collect()
}

#[tokio::test]
async fn local_knowledge_meets_the_contract() {
    knowledge_contract(|docs| async move { LocalKnowledge::from_documents(local(docs)).unwrap() })
        .await;
}

#[tokio::test]
async fn a_corpus_directory_is_searched_with_its_metadata_files() {
    let dir = std::env::temp_dir().join(format!("pika-kb-contract-{}", std::process::id()));
    for doc in pika_testkit::contracts::knowledge::corpus() {
        let path = dir.join(&doc.knowledge_base_id).join(&doc.source);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &doc.text).unwrap();
        let mut meta = path.as_os_str().to_owned();
        meta.push(".metadata.json");
        std::fs::write(
            meta,
            json!({ "metadataAttributes": doc.metadata }).to_string(),
        )
        .unwrap();
    }
    let kb = LocalKnowledge::open(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(kb.knowledge_bases(), vec![KB.to_string()]);

    let found = kb
        .retrieve(Retrieval {
            knowledge_base_id: KB.into(),
            query: "reset the router".into(),
            filter: vec![Condition {
                key: "account".into(),
                value: json!("globex"),
            }],
            max_results: 5,
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].source, "globex/router-reset.md");
    assert_eq!(found[0].metadata["account"], json!("globex"));
}

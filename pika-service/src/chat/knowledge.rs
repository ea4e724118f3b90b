//! An agent's knowledge bases as a tool the model may call: one function,
//! `search_knowledge_base`, searches every knowledge base of the agent
//! with the caller's filters (PIKA.md §5) and answers numbered passages;
//! each passage used becomes a citation of the answer. Runtimes that
//! retrieve by themselves (Bedrock's inline agent) get the knowledge bases
//! instead, and report their citations as a `citations` trace.

use super::ChatInner;
use pika_domain::knowledge::{excerpt, Citation, KnowledgeBaseRef};
use pika_domain::user::User;
use pika_ports::{Passage, Retrieval, ToolSpec};
use serde_json::{json, Value};

/// The function name the model calls.
pub(super) const SEARCH_FUNCTION: &str = "search_knowledge_base";

/// What a turn searches, and as whom.
pub(super) struct Knowledge {
    pub(super) bases: Vec<KnowledgeBaseRef>,
    pub(super) caller: User,
}

/// `agent`'s knowledge bases for a turn of `caller`: searched through the
/// search tool, or handed to a runtime that searches them itself (with the
/// caller's filters; a base whose filter the caller cannot fill is left
/// out).
pub(super) fn of_agent(
    inner: &ChatInner,
    agent: &pika_domain::agent::Agent,
    caller: &User,
) -> (Option<Knowledge>, Vec<pika_ports::KnowledgeBaseRequest>) {
    let bases = &agent.knowledge_bases;
    if bases.is_empty() {
        return (None, Vec::new());
    }
    if !inner.ports.runtime.retrieves_knowledge() {
        let k = Knowledge {
            bases: bases.clone(),
            caller: caller.clone(),
        };
        return (Some(k), Vec::new());
    }
    let native = bases
        .iter()
        .filter_map(|b| {
            Some(pika_ports::KnowledgeBaseRequest {
                knowledge_base_id: b.knowledge_base_id.clone(),
                description: b.description.clone(),
                filter: b.filter_for(caller)?,
                max_results: b.results(),
            })
        })
        .collect();
    (None, native)
}

/// The tool spec of the search, describing the agent's knowledge bases.
pub(super) fn spec(bases: &[KnowledgeBaseRef]) -> Option<ToolSpec> {
    let name = pika_domain::ids::ToolName::parse(SEARCH_FUNCTION).ok()?;
    let described: Vec<&str> = bases
        .iter()
        .map(|b| b.description.as_str())
        .filter(|d| !d.trim().is_empty())
        .collect();
    let mut description = String::from("Searches the knowledge bases");
    if !described.is_empty() {
        description.push_str(": ");
        description.push_str(&described.join("; "));
    }
    // Bedrock's limit on a function description.
    let description: String = description.chars().take(200).collect();
    Some(ToolSpec {
        name,
        description,
        input_schema: json!({
            "type": "object",
            "properties": { "query": { "type": "string", "description": "What to look for, in a few words" } },
            "required": ["query"],
        }),
        lambda_arn: None,
    })
}

/// Runs a search asked by the model: `(ok, output for the model, citations)`.
pub(super) async fn search(
    inner: &ChatInner,
    knowledge: &Knowledge,
    input: &Value,
) -> (bool, Value, Vec<Citation>) {
    let Some(query) = input
        .get("query")
        .and_then(Value::as_str)
        .filter(|q| !q.trim().is_empty())
    else {
        return (
            false,
            json!({ "error": "give a non-empty 'query' to search for" }),
            Vec::new(),
        );
    };
    let mut found: Vec<(String, Passage)> = Vec::new();
    let (mut searched, mut failed) = (0, 0);
    let mut most = 0;
    for base in &knowledge.bases {
        most = most.max(base.results());
        // A user without the values the filter needs retrieves nothing.
        let Some(filter) = base.filter_for(&knowledge.caller) else {
            continue;
        };
        let retrieval = Retrieval {
            knowledge_base_id: base.knowledge_base_id.clone(),
            query: query.to_string(),
            filter,
            max_results: base.results(),
        };
        searched += 1;
        match inner.ports.knowledge.retrieve(retrieval).await {
            Ok(passages) => found.extend(
                passages
                    .into_iter()
                    .map(|p| (base.knowledge_base_id.clone(), p)),
            ),
            Err(e) => {
                failed += 1;
                tracing::warn!(knowledge_base = %base.knowledge_base_id, error = %e, "knowledge retrieval failed");
            }
        }
    }
    if searched > 0 && failed == searched {
        return (
            false,
            json!({ "error": "the knowledge bases could not be searched" }),
            Vec::new(),
        );
    }
    // Best first across bases; a passage without a score after scored ones.
    found.sort_by(|a, b| {
        b.1.score
            .unwrap_or(f64::MIN)
            .total_cmp(&a.1.score.unwrap_or(f64::MIN))
    });
    found.truncate(most as usize);
    let passages: Vec<Value> = found
        .iter()
        .enumerate()
        .map(|(i, (_, p))| json!({ "n": i + 1, "source": p.source, "text": p.text }))
        .collect();
    let citations = found
        .into_iter()
        .map(|(base, p)| Citation {
            knowledge_base_id: base,
            source: p.source,
            excerpt: excerpt(&p.text),
            score: p.score,
        })
        .collect();
    let output = if passages.is_empty() {
        json!({ "passages": [], "note": "nothing relevant was found" })
    } else {
        json!({ "passages": passages, "note": "cite passages by their source" })
    };
    (true, output, citations)
}

//! The scripted runtime, scripted completions, the tool invoker and metrics
//! behave as documented; the file, search and memory fakes pass their
//! contract suites.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use futures::StreamExt;
use pika_domain::chrono::Utc;
use pika_domain::cost::TokenUsage;
use pika_domain::ids::SessionId;
use pika_domain::memory::MemoryStrategy;
use pika_ports::metrics::{Metric, MetricBatch, MetricUnit};
use pika_ports::*;
use pika_testkit::contracts::{files, memory, search};
use pika_testkit::fakes::completions::ScriptedCompletions;
use pika_testkit::fakes::files::InMemoryFileStore;
use pika_testkit::fakes::memory::InMemoryUserMemory;
use pika_testkit::fakes::metrics::RecordingMetrics;
use pika_testkit::fakes::runtime::{Script, ScriptedRuntime};
use pika_testkit::fakes::search::InMemorySearchIndex;
use pika_testkit::fakes::tools::FakeToolInvoker;
use pika_testkit::fixtures::{inline_tool, t0, tool_name, user_id};
use serde_json::{json, Map};
use std::time::Duration;

fn request(text: &str) -> AgentRequest {
    AgentRequest {
        model_id: "model".to_string(),
        instruction: "Be brief.".to_string(),
        messages: vec![ConversationMessage::text(
            pika_domain::message::Role::User,
            text,
        )],
        tools: Vec::new(),
        max_output_tokens: 512,
        session_id: SessionId::from_v7_parts(1_767_225_600_000, &[1; 10]),
        session_attributes: Map::new(),
        guardrail: None,
        knowledge_bases: Vec::new(),
        collaborators: Vec::new(),
    }
}

async fn collect(stream: RuntimeStream) -> Vec<Result<RuntimeEvent, PortError>> {
    stream.collect().await
}

/// Invokes `runtime` with `text` and collects the events, none an error.
async fn play(runtime: &ScriptedRuntime, text: &str) -> Vec<RuntimeEvent> {
    let items = collect(runtime.invoke(request(text)).await.unwrap()).await;
    items.into_iter().map(Result::unwrap).collect()
}

fn tool_use(id: &str, name: &str, input: serde_json::Value) -> RuntimeEvent {
    RuntimeEvent::ToolUse {
        tool_use_id: id.into(),
        name: name.into(),
        input,
    }
}

#[tokio::test]
async fn scripted_runtime_yields_exactly_the_script_in_order() {
    let runtime = ScriptedRuntime::new();
    runtime.push(
        Script::new()
            .trace("orchestration", json!({"step": 1}))
            .delta("Hel")
            .tool_use("t1", "lookup", json!({"query": "x"}))
            .tool_result("t1", "lookup", true, json!({"rows": 2}))
            .delta("lo")
            .usage(7, 3)
            .complete(StopReason::EndTurn),
    );
    let got = play(&runtime, "hi").await;
    assert_eq!(
        got,
        vec![
            RuntimeEvent::Trace {
                kind: "orchestration".into(),
                detail: json!({"step": 1})
            },
            RuntimeEvent::TextDelta("Hel".into()),
            tool_use("t1", "lookup", json!({"query": "x"})),
            RuntimeEvent::ToolResult {
                tool_use_id: "t1".into(),
                name: "lookup".into(),
                ok: true,
                output: json!({"rows": 2}),
            },
            RuntimeEvent::TextDelta("lo".into()),
            RuntimeEvent::Usage(TokenUsage::new(7, 3)),
            RuntimeEvent::Completed(StopReason::EndTurn),
        ]
    );
    assert_eq!(runtime.calls(), 1);
    assert_eq!(runtime.requests()[0].messages[0].joined_text(), "hi");
}

#[tokio::test]
async fn answer_and_tool_call_shorthands() {
    let runtime = ScriptedRuntime::new();
    runtime.push(Script::tool_call("t9", "weather", json!({"city": "Oslo"})));
    runtime.push(Script::answer("It is sunny in Oslo today."));
    let first = play(&runtime, "weather?").await;
    assert_eq!(
        first,
        vec![
            tool_use("t9", "weather", json!({"city": "Oslo"})),
            RuntimeEvent::Usage(TokenUsage::new(50, 10)),
            RuntimeEvent::Completed(StopReason::ToolUse),
        ]
    );
    let second = play(&runtime, "and?").await;
    let deltas: Vec<_> = second
        .iter()
        .filter_map(|e| match e {
            RuntimeEvent::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert!(deltas.len() > 1, "the answer comes in several chunks");
    assert_eq!(deltas.concat(), "It is sunny in Oslo today.");
    assert_eq!(
        second[second.len() - 2..],
        [
            RuntimeEvent::Usage(TokenUsage::new(100, 20)),
            RuntimeEvent::Completed(StopReason::EndTurn)
        ]
    );
    let err = runtime.invoke(request("more")).await.err().unwrap();
    assert_eq!(err.kind, ErrorKind::Permanent, "no script left");
    assert_eq!(runtime.calls(), 3);
}

#[tokio::test]
async fn fail_cut_and_cut_after_end_the_stream() {
    let runtime = ScriptedRuntime::new();
    runtime.push(
        Script::new()
            .delta("a")
            .fail(PortError::transient("throttled"))
            .delta("never"),
    );
    runtime.push(
        Script::new()
            .delta("a")
            .cut()
            .delta("never")
            .complete(StopReason::EndTurn),
    );
    runtime.push(Script::answer("one two three four five six").cut_after(2));
    runtime.push(Script::answer("x").fail_on_invoke(PortError::invalid("too long")));

    let failed = collect(runtime.invoke(request("1")).await.unwrap()).await;
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[1].as_ref().unwrap_err().kind, ErrorKind::Transient);

    let cut = play(&runtime, "2").await;
    assert_eq!(cut, vec![RuntimeEvent::TextDelta("a".into())]);

    let truncated = play(&runtime, "3").await;
    assert_eq!(truncated.len(), 2);
    assert!(truncated
        .iter()
        .all(|e| matches!(e, RuntimeEvent::TextDelta(_))));

    let err = runtime.invoke(request("4")).await.err().unwrap();
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert_eq!(runtime.remaining(), 0);
}

#[tokio::test(start_paused = true)]
async fn hang_stays_pending_until_dropped_and_delay_waits() {
    let runtime = ScriptedRuntime::new();
    runtime.push(
        Script::new()
            .delta("thinking")
            .hang()
            .complete(StopReason::EndTurn),
    );
    runtime.push(Script::new().delay(Duration::from_secs(5)).delta("late"));

    let mut stream = runtime.invoke(request("stop me")).await.unwrap();
    assert_eq!(
        stream.next().await.unwrap().unwrap(),
        RuntimeEvent::TextDelta("thinking".into())
    );
    let waited = tokio::time::timeout(Duration::from_secs(60), stream.next()).await;
    assert!(waited.is_err(), "a hanging stream yields nothing");
    drop(stream);

    let started = tokio::time::Instant::now();
    let late = play(&runtime, "slow").await;
    assert_eq!(late, vec![RuntimeEvent::TextDelta("late".into())]);
    assert!(started.elapsed() >= Duration::from_secs(5));
}

#[tokio::test]
async fn runtime_faults_fail_invoke_without_consuming_a_script() {
    let runtime = ScriptedRuntime::new();
    runtime
        .faults()
        .fail_nth("AgentRuntime::invoke", 1, ErrorKind::Transient);
    runtime.push(Script::answer("ok"));
    let err = runtime.invoke(request("1")).await.err().unwrap();
    assert!(err.kind.is_retryable());
    assert_eq!(runtime.remaining(), 1);
    assert!(runtime.invoke(request("2")).await.is_ok());
    assert_eq!(runtime.calls(), 2);
}

fn completion(purpose: CompletionPurpose) -> CompletionRequest {
    CompletionRequest {
        model_id: "model".to_string(),
        instruction: "Grade it.".to_string(),
        input: "question and answer".to_string(),
        max_output_tokens: 200,
        purpose,
    }
}

#[tokio::test]
async fn completions_answer_from_queue_then_default() {
    use CompletionPurpose::{Assessment, Title, Verification};
    let model = ScriptedCompletions::new();
    let ask = |purpose| model.complete(completion(purpose));
    model.push(Verification, r#"{"classification":"F"}"#);
    model.set_default(Verification, r#"{"classification":"A"}"#);
    model.push(Title, "Password reset help");

    let first = ask(Verification).await.unwrap();
    assert_eq!(first.text, r#"{"classification":"F"}"#);
    assert_eq!(first.usage, TokenUsage::new(30, 10));
    assert_eq!(ask(Title).await.unwrap().text, "Password reset help");
    model.set_usage(TokenUsage::new(5, 1));
    let second = ask(Verification).await.unwrap();
    assert_eq!(second.text, r#"{"classification":"A"}"#);
    assert_eq!(second.usage, TokenUsage::new(5, 1));

    let err = ask(Title).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent, "queue empty, no default");
    let err = ask(Assessment).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permanent);

    assert_eq!(model.requests().len(), 5);
    assert_eq!(model.requests_for(Verification).len(), 2);
    model.faults().throttle("CompletionModel::complete");
    assert!(ask(Verification).await.unwrap_err().kind.is_retryable());
}

fn invocation(function: &str, input: serde_json::Value) -> ToolInvocation {
    let mut attributes = Map::new();
    attributes.insert("userId".to_string(), json!("alice"));
    ToolInvocation {
        tool: inline_tool("lookup-tool", function),
        function: tool_name(function),
        input,
        session_attributes: attributes,
    }
}

#[tokio::test(start_paused = true)]
async fn tool_invoker_dispatches_records_and_refuses_unknown() {
    let tools = FakeToolInvoker::new();
    tools.on("lookup", |input| {
        Ok(json!({ "echo": input["query"].clone() }))
    });
    tools.on("picky", |_| Err(PortError::invalid("bad input")));
    tools.on_slow("slow", Duration::from_secs(30), json!("done"));

    let call = |function, input| tools.invoke(invocation(function, input));
    let out = call("lookup", json!({"query": "q1"})).await.unwrap();
    assert_eq!(out, json!({"echo": "q1"}));
    let err = call("picky", json!({})).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
    let err = call("missing", json!({})).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);

    let slow = tools.invoke(invocation("slow", json!({})));
    let timed_out = tokio::time::timeout(Duration::from_secs(10), slow).await;
    assert!(
        timed_out.is_err(),
        "the slow tool is still running after 10 s"
    );
    let started = tokio::time::Instant::now();
    let out = tools.invoke(invocation("slow", json!({}))).await.unwrap();
    assert_eq!(out, json!("done"));
    assert!(started.elapsed() >= Duration::from_secs(30));

    let calls = tools.calls();
    assert_eq!(calls.len(), 5);
    assert_eq!(calls[0].session_attributes["userId"], json!("alice"));
    assert_eq!(tools.calls_of("slow").len(), 2);
}

fn metric(name: &'static str, value: f64) -> Metric {
    let unit = MetricUnit::Count;
    Metric { name, value, unit }
}

#[test]
fn recording_metrics_sums_across_batches() {
    let metrics = RecordingMetrics::new();
    for (tokens, latency) in [(120.0, 900.0), (80.0, 1100.0)] {
        metrics.emit(&MetricBatch {
            at: t0(),
            dimensions: [("chatAppId".to_string(), "app".to_string())].into(),
            metrics: vec![
                metric("TokenUsage", tokens),
                metric("ResponseLatency", latency),
            ],
        });
    }
    assert_eq!(metrics.batches().len(), 2);
    assert_eq!(metrics.values("ResponseLatency"), vec![900.0, 1100.0]);
    assert_eq!(metrics.sum("TokenUsage"), 200.0);
    assert!(metrics.values("SelfCorrectionRate").is_empty());
}

#[tokio::test]
async fn simulated_uploads_must_match_their_grant() {
    let store = InMemoryFileStore::new();
    let grant = UploadGrant {
        key: "uploads/alice/s/f/a.txt".to_string(),
        content_type: "text/plain".to_string(),
        content_length: 5,
        expires_at: Utc::now(),
    };
    let url = store.presign_upload(&grant).await.unwrap();
    assert!(url
        .url
        .starts_with("memory://upload/uploads/alice/s/f/a.txt?expires="));
    let err = store.simulate_upload(&url.url, b"toolong".to_vec(), "text/plain");
    assert_eq!(err.unwrap_err().kind, ErrorKind::Invalid);
    let err = store.simulate_upload(&url.url, b"hello".to_vec(), "image/png");
    assert_eq!(err.unwrap_err().kind, ErrorKind::Invalid);
    store
        .simulate_upload(&url.url, b"hello".to_vec(), "text/plain")
        .unwrap();
    assert_eq!(store.keys(), vec![grant.key.clone()]);
    assert_eq!(store.head(&grant.key).await.unwrap().unwrap().size, 5);
    let bad = store.put("/abs", Vec::new(), "text/plain").await;
    assert_eq!(bad.unwrap_err().kind, ErrorKind::Invalid);
}

#[tokio::test]
async fn memory_fake_extracts_semantic_and_preference_records() {
    let mem = InMemoryUserMemory::new();
    let alice = user_id("alice");
    for (text, minutes) in [("I prefer tea over coffee", 0), ("I work on billing", 1)] {
        mem.record(&MemoryExchange {
            user_id: alice.clone(),
            session_id: SessionId::from_v7_parts(1_767_225_600_000, &[2; 10]),
            user_text: format!("  {text}  "),
            assistant_text: "Noted.".to_string(),
            at: t0() + pika_domain::chrono::Duration::minutes(minutes),
        })
        .await
        .unwrap();
    }
    let recall = |strategy, query: &'static str| mem.retrieve(&alice, strategy, query, 5);
    let prefs = recall(MemoryStrategy::Preferences, "").await.unwrap();
    assert_eq!(prefs.len(), 1);
    assert_eq!(prefs[0].content, "I prefer tea over coffee");
    let facts = recall(MemoryStrategy::Semantic, "tea").await.unwrap();
    assert_eq!(facts.len(), 2);
    let first = &facts[0].content;
    assert_eq!(first, "I prefer tea over coffee", "sharing a word wins");
    let facts = recall(MemoryStrategy::Semantic, "").await.unwrap();
    assert_eq!(facts[0].content, "I work on billing", "then newest first");
}

#[tokio::test]
async fn file_store_fake_passes_the_contract() {
    files::file_store_contract(|| async { InMemoryFileStore::new() }).await;
}

#[tokio::test]
async fn search_index_fake_passes_the_contract() {
    search::search_index_contract(|| async { InMemorySearchIndex::new() }).await;
}

#[tokio::test]
async fn user_memory_fake_passes_the_contract() {
    memory::user_memory_contract(|| async { InMemoryUserMemory::new() }).await;
}

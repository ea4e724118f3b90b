//! The end of a turn (PIKA.md §7 steps 7–8): title, usage, the stored
//! answer, the session update, the usage ledger, metrics — then the final
//! event, then memory and search before the stream closes. The answer is
//! stored before `done` is sent, so a client that saw `done` finds it on
//! reload; a client that read the stream to its end finds it in search.

use super::emitter::Emitter;
use super::model_loop::LoopEnd;
use super::recover::{after_refusal, store_end, Stored};
use super::runner::{release, Turn};
use super::ChatInner;
use crate::error::from_model_error;
use crate::retry::retry_transient;
use pika_domain::cost::{TokenUsage, Usage};
use pika_domain::message::{Message, MessageError, ToolCallRecord};
use pika_domain::stream::{SequencedEvent, TurnEvent};
use pika_domain::title::{clean_title, title_input, TITLE_INSTRUCTION};
use pika_domain::verification::Verifications;
use pika_ports::{
    CompletionPurpose, CompletionRequest, MemoryExchange, Metric, MetricBatch, MetricUnit,
    ModelUsage, SearchDocument, SessionPatch, TurnFinish, TurnRecord, UsageRecord,
};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long a turn's memory and search writes may hold its final event.
const BEST_EFFORT_WRITES: Duration = Duration::from_secs(2);

/// What the model part of a turn produced.
pub(super) struct Outcome {
    pub(super) text: String,
    pub(super) tool_calls: Vec<ToolCallRecord>,
    pub(super) agent_tokens: TokenUsage,
    pub(super) verifier_tokens: TokenUsage,
    pub(super) verifications: Option<Verifications>,
    /// Whether a correction was asked for.
    pub(super) corrected: bool,
    pub(super) end: LoopEnd,
    /// The knowledge-base passages the answer drew on.
    pub(super) citations: Vec<pika_domain::knowledge::Citation>,
    /// The collaborators' tokens, each under its model.
    pub(super) collaborators: Vec<(String, TokenUsage)>,
}

pub(super) async fn finish(inner: &ChatInner, turn: &Turn, outcome: Outcome, emit: &Emitter) {
    let ports = &inner.ports;
    let prices = &inner.settings.prices;
    let now = ports.clock.now();
    let session_id = turn.session.session_id;

    // Each model's calls at its own price.
    let mut by_model = vec![
        (
            turn.agent.model_id.clone(),
            prices.cost(&turn.agent.model_id, outcome.agent_tokens),
        ),
        (
            turn.agent.verification_model().to_string(),
            prices.cost(turn.agent.verification_model(), outcome.verifier_tokens),
        ),
    ];
    if let Some((model, tokens)) = &turn.routing {
        by_model.push((model.clone(), prices.cost(model, *tokens)));
    }
    for (model, tokens) in &outcome.collaborators {
        by_model.push((model.clone(), prices.cost(model, *tokens)));
    }
    let completed = matches!(outcome.end, LoopEnd::Completed);
    let title = if completed && turn.session.title.is_none() && turn.is_first_turn {
        let (title, title_model, title_usage) = generate_title(inner, turn, &outcome.text).await;
        by_model.push((title_model, title_usage));
        title
    } else {
        None
    };
    let usage = by_model
        .iter()
        .fold(Usage::default(), |sum, (_, u)| sum + *u);
    emit.push(TurnEvent::Usage {
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        total_cost: usage.total_cost,
    });

    let (final_event, error) = final_event(turn, &outcome.end, title.clone());
    let mut answer = Message::assistant(session_id, turn.assistant_message_id, now);
    answer.content = outcome.text.clone();
    answer.model = Some(turn.agent.model_id.clone());
    answer.agent_id = Some(turn.agent.agent_id.clone());
    answer.usage = Some(usage);
    answer.tool_calls = outcome.tool_calls.clone();
    answer.citations = outcome.citations.clone();
    answer.execution_duration_ms =
        Some(u64::try_from(emit.elapsed().as_millis()).unwrap_or(u64::MAX));
    answer.verifications = outcome.verifications.clone();
    answer.error = error;
    answer.stopped = matches!(outcome.end, LoopEnd::Stopped);
    answer.stream_events = emit.log().snapshot();
    answer.stream_events.push(SequencedEvent {
        seq: emit.log().next_seq(),
        event: final_event.clone(),
    });

    let record = TurnRecord {
        usage,
        last_message_id: turn.assistant_message_id,
        at: now,
        mark_for_insights: turn.features.session_insights,
    };
    // One ledger record per turn (it counts the turn): the agent's calls
    // under its model, the verifier's and the title's under theirs.
    let ledger = (usage.tokens().total() > 0).then(|| UsageRecord {
        at: now,
        user_id: turn.caller.user_id.clone(),
        entity_id: turn.session.entity_id.clone(),
        chat_app_id: turn.session.chat_app_id.clone(),
        model_id: turn.agent.model_id.clone(),
        usage: by_model.first().map(|(_, u)| *u).unwrap_or_default(),
        also: by_model
            .iter()
            .skip(1)
            .filter(|(_, u)| u.tokens().total() > 0)
            .map(|(model_id, usage)| ModelUsage {
                model_id: model_id.clone(),
                usage: *usage,
            })
            .collect(),
        counts_turn: true,
    });
    let end = TurnFinish {
        answer,
        record,
        ledger,
    };
    let stored = match store_end(inner, &end).await {
        Ok(stored) => stored,
        Err(e) => after_refusal(inner, &e, &end).await,
    };
    if stored != Stored::Whole {
        release(inner, turn).await;
        let (code, message) = match stored {
            Stored::SessionGone => (
                "not_found",
                "the session was deleted while this answer was written; it was not kept",
            ),
            Stored::Shortened => (
                "internal",
                "the answer could not be stored in full; it was kept shortened",
            ),
            Stored::Whole | Stored::Lost => (
                "internal",
                "the answer could not be stored; your message was kept",
            ),
        };
        emit.push(TurnEvent::Error {
            code: code.to_string(),
            message: message.to_string(),
        });
        emit.log().close();
        return;
    }
    emit_metrics(inner, turn, &outcome, usage, emit, now);

    // Free the session for the next turn before telling the client it may send one.
    release(inner, turn).await;
    emit.push(final_event);
    if !matches!(outcome.end, LoopEnd::Failed(_)) && !outcome.text.trim().is_empty() {
        // Memory and search are best effort: they run after `done` (a search
        // index commit is several fsyncs the reader need not wait for) but
        // before the stream closes, so a client that read the stream to its
        // end finds the turn in search, and a Lambda invocation is not
        // frozen with the writes half done. Bounded: a slow index never
        // holds the stream open for long.
        let best_effort = remember_and_index(inner, turn, &outcome.text, title.as_deref(), now);
        if tokio::time::timeout(BEST_EFFORT_WRITES, best_effort)
            .await
            .is_err()
        {
            tracing::warn!(session = %session_id, "memory and search writes took too long; the stream ends without them");
        }
    }
    emit.log().close();
}

fn final_event(
    turn: &Turn,
    end: &LoopEnd,
    title: Option<String>,
) -> (TurnEvent, Option<MessageError>) {
    let done = |stopped: bool| TurnEvent::Done {
        user_message_id: turn.user_message.message_id,
        assistant_message_id: turn.assistant_message_id,
        title: title.clone(),
        stopped: stopped.then_some(true),
    };
    let failed = |code: &str, message: String| {
        let error = MessageError {
            code: code.to_string(),
            message: message.clone(),
        };
        (
            TurnEvent::Error {
                code: code.to_string(),
                message,
            },
            Some(error),
        )
    };
    match end {
        LoopEnd::Completed => (done(false), None),
        LoopEnd::Stopped => (done(true), None),
        LoopEnd::Failed(e) => {
            tracing::warn!(error = %e, "the model failed mid-turn");
            let err = from_model_error(e.clone());
            failed(err.code(), err.public_message())
        }
        LoopEnd::ToolLimit => failed(
            "tool_iteration_limit",
            "the agent asked for tools too many times; the answer was cut short".to_string(),
        ),
        LoopEnd::Panicked => failed(
            "internal",
            "something went wrong on our side; your message was kept".to_string(),
        ),
        LoopEnd::OutOfTime => failed(
            "turn_timeout",
            "the answer took too long and was cut short; what was written so far is kept"
                .to_string(),
        ),
    }
}

/// A 3–8 word title after the first reply, with the model that wrote it and
/// its usage; failures leave the session untitled.
async fn generate_title(
    inner: &ChatInner,
    turn: &Turn,
    answer: &str,
) -> (Option<String>, String, Usage) {
    let model_id = turn
        .site
        .title_model_id
        .clone()
        .unwrap_or_else(|| turn.agent.verification_model().to_string());
    let request = CompletionRequest {
        model_id: model_id.clone(),
        instruction: TITLE_INSTRUCTION.to_string(),
        input: title_input(&turn.user_message.content, answer),
        max_output_tokens: 32,
        purpose: CompletionPurpose::Title,
    };
    // Past the turn's time limit the session stays untitled: the answer
    // must be stored before the deadline.
    let called = super::verify::within(turn.deadline, inner.ports.completions.complete(request));
    let completion = match called.await {
        Some(Ok(c)) => c,
        Some(Err(e)) => {
            tracing::warn!(error = %e, "title generation failed");
            return (None, model_id, Usage::default());
        }
        None => {
            tracing::warn!("no time left for a title");
            return (None, model_id, Usage::default());
        }
    };
    let usage = inner.settings.prices.cost(&model_id, completion.usage);
    let Some(title) = clean_title(&completion.text, true) else {
        return (None, model_id, usage);
    };
    let patch = SessionPatch {
        title: Some(Some(title.clone())),
        ..SessionPatch::default()
    };
    match retry_transient(|| {
        inner
            .ports
            .sessions
            .update(&turn.session.session_id, &patch)
    })
    .await
    {
        Ok(_) => (Some(title), model_id, usage),
        Err(e) => {
            tracing::warn!(error = %e, "title could not be stored");
            (None, model_id, usage)
        }
    }
}

/// Records the exchange in user memory and indexes it for search (both best
/// effort: the answer is stored already).
async fn remember_and_index(
    inner: &ChatInner,
    turn: &Turn,
    answer: &str,
    new_title: Option<&str>,
    now: pika_domain::chrono::DateTime<pika_domain::chrono::Utc>,
) {
    let ports = &inner.ports;
    if turn.features.user_memory {
        let exchange = MemoryExchange {
            user_id: turn.caller.user_id.clone(),
            session_id: turn.session.session_id,
            user_text: turn.user_message.content.clone(),
            assistant_text: answer.to_string(),
            at: now,
        };
        if let Err(e) = ports.memory.record(&exchange).await {
            tracing::warn!(error = %e, "memory could not be recorded");
        }
    }
    let doc = SearchDocument {
        session_id: turn.session.session_id,
        message_id: turn.assistant_message_id,
        user_id: turn.session.user_id.clone(),
        chat_app_id: turn.session.chat_app_id.clone(),
        entity_id: turn.session.entity_id.clone(),
        title: new_title
            .map(str::to_string)
            .or_else(|| turn.session.title.clone()),
        text: format!("{}\n\n{}", turn.user_message.content, answer),
        created_at: now,
        insight_score: None,
    };
    if let Err(e) = retry_transient(|| ports.search.index(&doc)).await {
        tracing::warn!(error = %e, "the turn could not be indexed for search");
    }
}

fn emit_metrics(
    inner: &ChatInner,
    turn: &Turn,
    outcome: &Outcome,
    usage: Usage,
    emit: &Emitter,
    now: pika_domain::chrono::DateTime<pika_domain::chrono::Utc>,
) {
    let mut metrics = vec![
        Metric {
            name: "TokenUsage",
            value: usage.tokens().total() as f64,
            unit: MetricUnit::Count,
        },
        Metric {
            name: "ResponseLatency",
            value: emit.elapsed().as_millis() as f64,
            unit: MetricUnit::Milliseconds,
        },
        Metric {
            name: "ToolInvocations",
            value: outcome.tool_calls.len() as f64,
            unit: MetricUnit::Count,
        },
    ];
    if let Some(ttft) = emit.time_to_first_token() {
        metrics.push(Metric {
            name: "TimeToFirstToken",
            value: ttft.as_millis() as f64,
            unit: MetricUnit::Milliseconds,
        });
    }
    if outcome.verifications.is_some() {
        metrics.push(Metric {
            name: "SelfCorrectionRate",
            value: if outcome.corrected { 1.0 } else { 0.0 },
            unit: MetricUnit::None,
        });
    }
    let mut dimensions = BTreeMap::new();
    dimensions.insert(
        "chatAppId".to_string(),
        turn.session.chat_app_id.to_string(),
    );
    inner.ports.metrics.emit(&MetricBatch {
        at: now,
        dimensions,
        metrics,
    });
}

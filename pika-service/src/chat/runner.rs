//! The part of a turn that runs on its own task once the user's message is
//! stored (PIKA.md §7 steps 4–9): it ends by itself, whatever the caller does.

use super::collaborate::{self, Collaboration};
use super::confirm::Confirmations;
use super::emitter::Emitter;
use super::model_loop::{self, LoopContext, LoopEnd};
use super::persist::{self, Outcome};
use super::prompt;
use super::registry::RunningTurn;
use super::verify::verify;
use super::ChatInner;
use crate::retry::retry_transient;
use futures::FutureExt;
use pika_domain::agent::Agent;
use pika_domain::cost::TokenUsage;
use pika_domain::directive::{augment, directives_of, matching};
use pika_domain::features::ResolvedFeatures;
use pika_domain::ids::{MessageId, SessionId};
use pika_domain::memory::{memory_preamble, MemoryStrategy};
use pika_domain::message::{Message, Role};
use pika_domain::session::Session;
use pika_domain::site::SiteConfig;
use pika_domain::stream::VerificationStage;
use pika_domain::tool::Tool;
use pika_domain::user::User;
use pika_domain::verification::{
    correction_prompt, should_reprompt, Verifications, CORRECTIONS_SEPARATOR,
};
use pika_ports::ConversationMessage;
use pika_ports::TurnLease;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

/// Everything a started turn needs.
pub(super) struct Turn {
    pub(super) caller: User,
    pub(super) agent: Agent,
    pub(super) tools: Vec<Tool>,
    pub(super) features: ResolvedFeatures,
    /// The site configuration the turn was admitted under; the turn keeps
    /// it to the end, though an admin may change the stored one meanwhile.
    pub(super) site: Arc<SiteConfig>,
    pub(super) is_first_turn: bool,
    pub(super) session: Session,
    pub(super) user_message: Message,
    pub(super) assistant_message_id: pika_domain::ids::MessageId,
    pub(super) running: Arc<RunningTurn>,
    /// When the model loop must give up (from [`super::SendMessage::time_limit`]).
    pub(super) deadline: Option<tokio::time::Instant>,
    /// Its place among the caller's running turns and its reservation
    /// against the quotas, freed when it ends.
    pub(super) admission: crate::fair_use::Admission,
    /// The intent router's call (its model and tokens), when one chose the agent.
    pub(super) routing: Option<(String, TokenUsage)>,
}

/// Runs `turn` on its own task. A panic anywhere in it (a model or tool
/// adapter, the service itself) ends the turn with an `internal` error,
/// stored as its answer, and frees the session: a busy session nobody can
/// ever post to again would be worse than one failed answer.
pub(super) fn spawn(inner: Arc<ChatInner>, turn: Turn) {
    tokio::spawn(async move {
        let session_id = turn.session.session_id;
        let assistant = turn.assistant_message_id;
        let beat = heartbeat(Arc::clone(&inner), Arc::clone(&turn.running), session_id);
        let work = AssertUnwindSafe(run(&inner, &turn)).catch_unwind();
        let finished = tokio::select! {
            finished = work => finished,
            () = beat => Ok(()),
        };
        if finished.is_err() {
            tracing::error!(session = %session_id, "the turn panicked; it ends with an internal error");
            let emit = Emitter::new(
                Arc::clone(&turn.running.log),
                turn.features.traces,
                turn.features.detailed_traces,
                tokio::time::Instant::now(),
            );
            let outcome = Outcome {
                text: String::new(),
                tool_calls: Vec::new(),
                agent_tokens: TokenUsage::default(),
                verifier_tokens: TokenUsage::default(),
                verifications: None,
                corrected: false,
                end: LoopEnd::Panicked,
                citations: Vec::new(),
                collaborators: Vec::new(),
            };
            let stored = AssertUnwindSafe(persist::finish(&inner, &turn, outcome, &emit))
                .catch_unwind()
                .await;
            if stored.is_err() {
                tracing::error!(session = %session_id, "storing the failed turn panicked too");
                emit.log().close();
            }
        }
        // Normally done already, before the final event; this covers a turn
        // whose storing failed half-way.
        let still_held = inner
            .running
            .get(&session_id)
            .is_some_and(|t| t.assistant_message_id == assistant);
        if still_held {
            release(&inner, &turn).await;
        }
    });
}

/// The hold of the turn writing `message` in `session`, valid for
/// [`crate::ServiceSettings::turn_hold`] from now.
pub(super) fn lease(inner: &ChatInner, session: SessionId, message: MessageId) -> TurnLease {
    let hold = pika_domain::chrono::Duration::from_std(inner.settings.turn_hold)
        .unwrap_or(pika_domain::chrono::Duration::seconds(30));
    TurnLease {
        session_id: session,
        assistant_message_id: message,
        expires_at: inner.ports.clock.now() + hold,
    }
}

/// Frees the session for its next turn, here and in the store, and the
/// caller's place and reservation: before the final event, so a client
/// that saw it may send at once, anywhere.
pub(super) async fn release(inner: &ChatInner, turn: &Turn) {
    let (session, message) = (&turn.session.session_id, &turn.assistant_message_id);
    if let Err(e) = retry_transient(|| inner.ports.turns.end(session, message)).await {
        tracing::warn!(error = %e, session = %session, "a turn's hold could not be freed; it expires by itself");
    }
    inner.running.finish_if(session, message);
    crate::fair_use::release(&inner.ports, &turn.admission).await;
}

/// While the turn runs: renews its hold, sends its new events to the store
/// (a resume in another process follows them), and passes on a stop asked
/// in another process. Runs until the turn's task drops it.
async fn heartbeat(inner: Arc<ChatInner>, running: Arc<RunningTurn>, session: SessionId) {
    let mut sent = 0;
    let mut ticks = tokio::time::interval(inner.settings.turn_heartbeat);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let events = running.log.since(sent);
        let lease = lease(&inner, session, running.assistant_message_id);
        match inner.ports.turns.heartbeat(&lease, &events).await {
            Ok(stop) => {
                if let Some(last) = events.last() {
                    sent = last.seq + 1;
                }
                if stop {
                    running.request_stop();
                }
            }
            Err(e) => tracing::warn!(error = %e, session = %session, "a turn's heartbeat failed"),
        }
    }
}

async fn run(inner: &ChatInner, turn: &Turn) {
    let emit = Emitter::new(
        Arc::clone(&turn.running.log),
        turn.features.traces,
        turn.features.detailed_traces,
        tokio::time::Instant::now(),
    );
    let mut stop = turn.running.stop_signal();
    let site = &turn.site;

    let history = if turn.is_first_turn {
        Vec::new()
    } else {
        match inner
            .ports
            .messages
            .latest(&turn.session.session_id, inner.settings.history_messages)
            .await
        {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, "history could not be read; answering without it");
                emit.trace(
                    "history",
                    serde_json::json!({ "error": "history unavailable" }),
                );
                Vec::new()
            }
        }
    };
    let memory = if turn.is_first_turn && turn.features.user_memory {
        recall(inner, turn, &emit).await
    } else {
        None
    };

    let (mut specs, mut tools_by_function) = LoopContext::tool_specs(&turn.tools);
    let (knowledge, native_knowledge) =
        super::knowledge::of_agent(inner, &turn.agent, &turn.caller);
    if let Some(k) = &knowledge {
        specs.extend(super::knowledge::spec(&k.bases));
    }
    let mut collaborators = collaborate::load(inner, &turn.agent).await;
    let native_collaborators = if inner.ports.runtime.collaborates() {
        let native =
            collaborate::native(inner, &collaborators, &turn.caller, &mut tools_by_function);
        collaborators.clear();
        native
    } else {
        Vec::new()
    };
    specs.extend(collaborators.iter().map(collaborate::spec));
    let gathered = Arc::new(std::sync::Mutex::new(collaborate::Gathered::default()));
    let collaboration = (!collaborators.is_empty()).then(|| Collaboration {
        collaborators,
        depth: 0,
        caller: turn.caller.clone(),
        stop: turn.running.stop_signal(),
        gathered: Arc::clone(&gathered),
    });
    let today = inner.ports.clock.now().format("%Y-%m-%d").to_string();
    let mut instruction = prompt::instruction(&turn.agent, &turn.features, memory.as_deref());
    if let Some(block) = prompt::tags_block(site, &turn.features) {
        instruction.push_str("\n\n");
        instruction.push_str(&block);
    }
    if let Some(feature) = &turn.features.instruction_augmentation {
        let directives = directives_of(&feature.settings);
        let applied = matching(&directives, &turn.user_message.content);
        if !applied.is_empty() {
            let ids: Vec<&str> = applied.iter().map(|d| d.id.as_str()).collect();
            emit.trace(
                "instruction_augmentation",
                serde_json::json!({ "directives": ids }),
            );
            instruction = augment(&instruction, &applied);
        }
    }
    let cx = LoopContext {
        model_id: turn.agent.model_id.clone(),
        instruction,
        specs,
        tools_by_function,
        attributes: prompt::session_attributes(
            &turn.caller,
            &turn.session,
            &turn.user_message,
            &today,
        ),
        max_output_tokens: site.turn.max_output_tokens,
        max_tool_iterations: site.turn.max_tool_iterations,
        default_tool_timeout: Duration::from_millis(site.turn.tool_timeout_ms),
        max_tool_output_bytes: site.turn.max_tool_output_bytes,
        session_id: turn.session.session_id,
        deadline: turn.deadline,
        guardrail: turn.agent.guardrail.clone(),
        confirmations: Confirmations {
            local: turn.running.decisions(),
            session: turn.session.session_id,
            message: turn.assistant_message_id,
            timeout: Duration::from_millis(site.turn.confirmation_timeout_ms),
        },
        knowledge,
        native_knowledge,
        collaboration,
        native_collaborators,
    };
    let conversation =
        prompt::conversation(&history, &turn.user_message, site.turn.history_token_budget);

    let main = model_loop::run(inner, &cx, conversation, &emit, &mut stop).await;
    let mut outcome = Outcome {
        text: main.text,
        tool_calls: main.tool_calls,
        agent_tokens: main.tokens,
        verifier_tokens: TokenUsage::default(),
        verifications: None,
        corrected: false,
        end: main.end,
        citations: main.citations,
        collaborators: Vec::new(),
    };

    let question = turn.user_message.content.clone();
    if let (LoopEnd::Completed, Some(verify_cfg)) = (&outcome.end, &turn.features.verify_response) {
        let (graded, used) =
            verify(inner, &turn.agent, &question, &outcome.text, turn.deadline).await;
        outcome.verifier_tokens += used;
        emit.verification(VerificationStage::Main, &graded);
        let mut correction = None;
        if should_reprompt(graded.grade, verify_cfg.auto_reprompt_threshold) {
            if let Some(ask) = correction_prompt(&graded) {
                emit.correction_start();
                outcome.corrected = true;
                emit.delta(CORRECTIONS_SEPARATOR);
                outcome.text.push_str(CORRECTIONS_SEPARATOR);
                let mut again = main.conversation;
                again.push(ConversationMessage::text(Role::User, ask));
                // One correction at most: its result is graded, never re-asked.
                let fixed = model_loop::run(inner, &cx, again, &emit, &mut stop).await;
                outcome.text.push_str(&fixed.text);
                outcome.tool_calls.extend(fixed.tool_calls);
                outcome.citations.extend(fixed.citations);
                outcome.agent_tokens += fixed.tokens;
                outcome.end = fixed.end;
                if matches!(outcome.end, LoopEnd::Completed) {
                    let (regraded, used) =
                        verify(inner, &turn.agent, &question, &fixed.text, turn.deadline).await;
                    outcome.verifier_tokens += used;
                    emit.verification(VerificationStage::Correction, &regraded);
                    correction = Some(regraded);
                }
            }
        }
        outcome.verifications = Some(Verifications {
            main: graded,
            correction,
        });
    }

    let gathered = std::mem::take(&mut *gathered.lock().unwrap_or_else(|e| e.into_inner()));
    outcome.collaborators = gathered.booked;
    outcome.tool_calls.extend(gathered.tool_calls);
    outcome.citations.extend(gathered.citations);
    persist::finish(inner, turn, outcome, &emit).await;
}

/// Memory records of the user, for the first turn of a session (best effort:
/// a memory failure never fails the turn).
async fn recall(inner: &ChatInner, turn: &Turn, emit: &Emitter) -> Option<String> {
    let limit = turn.site.turn.memory_records_per_strategy;
    let mut records = Vec::new();
    for strategy in MemoryStrategy::ALL {
        match inner
            .ports
            .memory
            .retrieve(
                &turn.caller.user_id,
                strategy,
                &turn.user_message.content,
                limit,
            )
            .await
        {
            Ok(found) => records.extend(found.into_iter().take(limit as usize)),
            Err(e) => tracing::warn!(error = %e, ?strategy, "memory retrieval failed"),
        }
    }
    emit.trace(
        "memory",
        serde_json::json!({ "recordsRetrieved": records.len() }),
    );
    memory_preamble(&records)
}

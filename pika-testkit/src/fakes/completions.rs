//! Scripted single-shot completions (verifier, title, assessment), routed
//! on [`CompletionPurpose`]: queued answers first, then a default.

use crate::faults::Faults;
use async_trait::async_trait;
use pika_domain::cost::TokenUsage;
use pika_ports::{
    Completion, CompletionModel, CompletionPurpose, CompletionRequest, PortError, PortResult,
};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

/// The fault-injection operation name of [`ScriptedCompletions::complete`].
pub const COMPLETE_OP: &str = "CompletionModel::complete";

struct State {
    queued: HashMap<CompletionPurpose, VecDeque<String>>,
    defaults: HashMap<CompletionPurpose, String>,
    usage: TokenUsage,
    requests: Vec<CompletionRequest>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            queued: HashMap::new(),
            defaults: HashMap::new(),
            usage: TokenUsage::new(30, 10),
            requests: Vec::new(),
        }
    }
}

/// A [`CompletionModel`] answering from per-purpose queues and defaults.
/// Every call reports the same usage, (30, 10) unless changed.
#[derive(Default)]
pub struct ScriptedCompletions {
    state: Mutex<State>,
    faults: Arc<Faults>,
}

impl ScriptedCompletions {
    /// No answers, no faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// No answers; checks `faults` (op [`COMPLETE_OP`]) on every call.
    pub fn with_faults(faults: Arc<Faults>) -> Self {
        Self {
            state: Mutex::default(),
            faults,
        }
    }

    /// Its fault rules and call counts.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another test thread panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `text` as the next answer for `purpose`.
    pub fn push(&self, purpose: CompletionPurpose, text: impl Into<String>) {
        self.state()
            .queued
            .entry(purpose)
            .or_default()
            .push_back(text.into());
    }

    /// The answer for `purpose` whenever its queue is empty.
    pub fn set_default(&self, purpose: CompletionPurpose, text: impl Into<String>) {
        self.state().defaults.insert(purpose, text.into());
    }

    /// The usage every later call reports.
    pub fn set_usage(&self, usage: TokenUsage) {
        self.state().usage = usage;
    }

    /// Every request received (including failed ones), in order.
    pub fn requests(&self) -> Vec<CompletionRequest> {
        self.state().requests.clone()
    }

    /// The requests received for `purpose`, in order.
    pub fn requests_for(&self, purpose: CompletionPurpose) -> Vec<CompletionRequest> {
        self.state()
            .requests
            .iter()
            .filter(|r| r.purpose == purpose)
            .cloned()
            .collect()
    }
}

#[async_trait]
impl CompletionModel for ScriptedCompletions {
    /// Records `request`, checks faults, then answers from the queue of its
    /// purpose, else its default, else fails `Permanent`.
    async fn complete(&self, request: CompletionRequest) -> PortResult<Completion> {
        let purpose = request.purpose;
        self.state().requests.push(request);
        self.faults.check(COMPLETE_OP).await?;
        let mut s = self.state();
        let queued = s.queued.get_mut(&purpose).and_then(VecDeque::pop_front);
        let text = queued
            .or_else(|| s.defaults.get(&purpose).cloned())
            .ok_or_else(|| {
                PortError::permanent(format!("no scripted completion for {purpose:?}"))
            })?;
        Ok(Completion {
            text,
            usage: s.usage,
        })
    }
}

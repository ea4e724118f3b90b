//! A scripted agent runtime: tests queue one [`Script`] per model call and
//! the runtime plays them back in order, recording every request.
//!
//! A script is a list of steps — events, an error, a cut connection, a hang,
//! a delay — played as written. The stream ends after `Completed` or an
//! error item (the port says nothing follows either), after `cut`, or after
//! [`Script::cut_after`] items.

use crate::faults::Faults;
use async_trait::async_trait;
use futures::stream::{self, StreamExt};
use pika_domain::cost::TokenUsage;
use pika_ports::{
    AgentRequest, AgentRuntime, PortError, PortResult, RuntimeEvent, RuntimeStream, StopReason,
};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The fault-injection operation name of [`ScriptedRuntime::invoke`].
pub const INVOKE_OP: &str = "AgentRuntime::invoke";

/// One step of a script.
#[derive(Debug, Clone)]
enum Step {
    Event(RuntimeEvent),
    Fail(PortError),
    Cut,
    Hang,
    Delay(Duration),
}

/// What one model call does, built step by step.
#[derive(Debug, Clone, Default)]
pub struct Script {
    steps: Vec<Step>,
    invoke_error: Option<PortError>,
    cut_after: Option<usize>,
}

impl Script {
    /// An empty script (its stream ends at once, without `Completed`).
    pub fn new() -> Self {
        Self::default()
    }

    /// A plain answer: `text` as a few deltas, usage (100, 20), then `EndTurn`.
    pub fn answer(text: &str) -> Self {
        let mut script = Self::new();
        for chunk in chunks(text, 3) {
            script = script.delta(chunk);
        }
        script.usage(100, 20).complete(StopReason::EndTurn)
    }

    /// A request for one tool: the tool use, usage (50, 10), then `ToolUse`.
    pub fn tool_call(id: &str, name: &str, input: Value) -> Self {
        Self::new()
            .tool_use(id, name, input)
            .usage(50, 10)
            .complete(StopReason::ToolUse)
    }

    fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    fn event(self, event: RuntimeEvent) -> Self {
        self.step(Step::Event(event))
    }

    /// Answer text.
    pub fn delta(self, text: impl Into<String>) -> Self {
        self.event(RuntimeEvent::TextDelta(text.into()))
    }

    /// The model asks the caller to run a tool (return of control).
    pub fn tool_use(self, id: &str, name: &str, input: Value) -> Self {
        self.event(RuntimeEvent::ToolUse {
            tool_use_id: id.to_string(),
            name: name.to_string(),
            input,
        })
    }

    /// The provider ran a tool itself and reports its result.
    pub fn tool_result(self, id: &str, name: &str, ok: bool, output: Value) -> Self {
        self.event(RuntimeEvent::ToolResult {
            tool_use_id: id.to_string(),
            name: name.to_string(),
            ok,
            output,
        })
    }

    /// A provider trace.
    pub fn trace(self, kind: &str, detail: Value) -> Self {
        self.event(RuntimeEvent::Trace {
            kind: kind.to_string(),
            detail,
        })
    }

    /// Token usage of `input` prompt and `output` generated tokens.
    pub fn usage(self, input: u64, output: u64) -> Self {
        self.event(RuntimeEvent::Usage(TokenUsage::new(input, output)))
    }

    /// The call ends with `reason`; the stream ends after it.
    pub fn complete(self, reason: StopReason) -> Self {
        self.event(RuntimeEvent::Completed(reason))
    }

    /// The call fails mid-stream: an `Err` item, then the stream ends.
    pub fn fail(self, error: PortError) -> Self {
        self.step(Step::Fail(error))
    }

    /// The connection is cut here: the stream ends without `Completed` or error.
    pub fn cut(self) -> Self {
        self.step(Step::Cut)
    }

    /// The stream stays pending here forever; it ends only when dropped.
    pub fn hang(self) -> Self {
        self.step(Step::Hang)
    }

    /// Waits `by` (tokio time) before the next step.
    pub fn delay(self, by: Duration) -> Self {
        self.step(Step::Delay(by))
    }

    /// `invoke` itself fails with `error`; no stream is returned.
    pub fn fail_on_invoke(mut self, error: PortError) -> Self {
        self.invoke_error = Some(error);
        self
    }

    /// The stream ends (cut, no `Completed`) after `k` items.
    pub fn cut_after(mut self, k: usize) -> Self {
        self.cut_after = Some(k);
        self
    }

    /// The text of every delta of the script, joined.
    pub fn text(&self) -> String {
        self.steps
            .iter()
            .filter_map(|s| match s {
                Step::Event(RuntimeEvent::TextDelta(t)) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    fn into_stream(self) -> RuntimeStream {
        let state = Playback {
            steps: self.steps.into(),
            limit: self.cut_after,
            yielded: 0,
            done: false,
        };
        stream::unfold(state, |mut st| async move {
            if st.done || st.limit.is_some_and(|k| st.yielded >= k) {
                return None;
            }
            loop {
                match st.steps.pop_front()? {
                    Step::Delay(by) => tokio::time::sleep(by).await,
                    Step::Hang => futures::future::pending::<()>().await,
                    Step::Cut => return None,
                    Step::Fail(error) => {
                        st.done = true;
                        st.yielded += 1;
                        return Some((Err(error), st));
                    }
                    Step::Event(event) => {
                        st.done = matches!(event, RuntimeEvent::Completed(_));
                        st.yielded += 1;
                        return Some((Ok(event), st));
                    }
                }
            }
        })
        .boxed()
    }
}

/// Where a playing script is.
struct Playback {
    steps: VecDeque<Step>,
    limit: Option<usize>,
    yielded: usize,
    done: bool,
}

/// Splits `text` into at most `parts` non-empty pieces on char boundaries.
fn chunks(text: &str, parts: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return Vec::new();
    }
    let size = chars.len().div_ceil(parts.max(1));
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

#[derive(Default)]
struct State {
    scripts: VecDeque<Script>,
    requests: Vec<AgentRequest>,
}

/// An [`AgentRuntime`] that plays queued [`Script`]s, one per `invoke`.
#[derive(Default)]
pub struct ScriptedRuntime {
    state: Mutex<State>,
    faults: Arc<Faults>,
    /// Plays a runtime that searches knowledge bases itself.
    native_knowledge: std::sync::atomic::AtomicBool,
    native_collaboration: std::sync::atomic::AtomicBool,
}

impl ScriptedRuntime {
    /// A runtime with no scripts and no faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// A runtime checking `faults` (op [`INVOKE_OP`]) on every `invoke`.
    pub fn with_faults(faults: Arc<Faults>) -> Self {
        Self {
            state: Mutex::default(),
            faults,
            native_knowledge: Default::default(),
            native_collaboration: Default::default(),
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

    /// Queues the script of the next model call.
    pub fn push(&self, script: Script) {
        self.state().scripts.push_back(script);
    }

    /// Every request `invoke` received (including failed ones), in order.
    pub fn requests(&self) -> Vec<AgentRequest> {
        self.state().requests.clone()
    }

    /// The last request `invoke` received.
    pub fn last_request(&self) -> Option<AgentRequest> {
        self.state().requests.last().cloned()
    }

    /// How many times `invoke` was called.
    pub fn calls(&self) -> usize {
        self.state().requests.len()
    }

    /// Makes this runtime one that searches knowledge bases itself (as
    /// Bedrock's inline agent does); its scripts report the citations.
    pub fn retrieve_knowledge_natively(&self, yes: bool) {
        self.native_knowledge
            .store(yes, std::sync::atomic::Ordering::SeqCst);
    }

    /// Makes this runtime one that consults collaborators itself (as
    /// Bedrock's inline agent does as a supervisor): they arrive in
    /// [`AgentRequest::collaborators`] instead of as tools.
    pub fn collaborate_natively(&self, yes: bool) {
        self.native_collaboration
            .store(yes, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many scripts are still queued.
    pub fn remaining(&self) -> usize {
        self.state().scripts.len()
    }
}

#[async_trait]
impl AgentRuntime for ScriptedRuntime {
    fn retrieves_knowledge(&self) -> bool {
        self.native_knowledge
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    fn collaborates(&self) -> bool {
        self.native_collaboration
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Records `request`, checks faults, then plays the next script.
    /// A faulted call does not consume a script.
    async fn invoke(&self, request: AgentRequest) -> PortResult<RuntimeStream> {
        self.state().requests.push(request);
        self.faults.check(INVOKE_OP).await?;
        let script = self
            .state()
            .scripts
            .pop_front()
            .ok_or_else(|| PortError::permanent("no scripted turn left"))?;
        if let Some(error) = script.invoke_error.clone() {
            return Err(error);
        }
        Ok(script.into_stream())
    }
}

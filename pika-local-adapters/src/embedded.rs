//! An embedded model: a GGUF chat model run in-process by llama.cpp
//! (through `llama-cpp-2`), so the local platform answers with a real
//! language model with no model server and no network.
//!
//! [`EmbeddedModel`] implements both model ports:
//!
//! - [`AgentRuntime`]: the instruction and the conversation go through the
//!   model's own chat template (read from the GGUF); tool calls and results
//!   in the history are rendered as `<tool_call>` / `<tool_response>` text.
//!   When the request offers tools, their schemas go into the system prompt
//!   ([`crate::tool_text`]) and `<tool_call>{"name": …, "arguments": {…}}</tool_call>`
//!   blocks are lifted out of the generated text (never streamed as text)
//!   and reported as `ToolUse` events followed by `Completed(ToolUse)`; an
//!   answer without a block is a plain answer. Each token's text is streamed
//!   as it is decoded (a character split across tokens is held until it is
//!   whole); the call ends at an end-of-turn token (`EndTurn`) or after
//!   `max_output_tokens` tokens or a full context (`MaxTokens`), with the
//!   real usage: prompt tokens in, generated tokens out.
//! - [`CompletionModel`]: the instruction and the input, the same way,
//!   collected into one text.
//!
//! Decoding is greedy unless [`EmbeddedConfig::temperature`] is above 0.
//!
//! # Threads, concurrency and cancellation
//!
//! Each call decodes on a dedicated OS thread with its own llama.cpp
//! context (its own KV cache of [`EmbeddedConfig::context_tokens`]); the
//! async executor only moves events, which flow through a bounded channel.
//! At most [`EmbeddedConfig::max_concurrent`] calls decode at once; up to
//! [`EmbeddedConfig::max_queue`] more wait their turn, first come first
//! served (the wait happens inside `invoke` / `complete`, so dropping that
//! future leaves the queue). A call beyond that is refused at once with
//! `Transient` ("the embedded model is busy"), which the service retries
//! with backoff and then reports as `model_unavailable`.
//!
//! Dropping the event stream stops decoding within one token (or one
//! 512-token step of prompt processing) and frees the slot: that is how an
//! explicit stop or a shutdown cancels. The chat service keeps reading the
//! stream when a client goes away, so a departing client does not cancel.
//!
//! # Context
//!
//! Room for the answer is reserved — `max_output_tokens`, but at most a
//! quarter of the context. A longer prompt loses its oldest conversation
//! messages (the system prompt and the user's last turn always stay); when
//! even those do not fit, the call is `Invalid`.
//!
//! ```no_run
//! use pika_local_adapters::embedded::{EmbeddedConfig, EmbeddedModel};
//!
//! # fn run() -> Result<(), pika_ports::PortError> {
//! let model = EmbeddedModel::load(EmbeddedConfig::new(
//!     "pika-data/models/SmolLM2-135M-Instruct.Q4_1.gguf",
//! ))?;
//! println!("loaded {} ({} tokens of context)", model.name(), model.context_tokens());
//! # Ok(()) }
//! ```

mod engine;
mod generation;
mod prompt;

use async_trait::async_trait;
use engine::{Engine, Sampling};
use futures::StreamExt;
use generation::Generation;
use pika_domain::cost::TokenUsage;
use pika_ports::{
    AgentRequest, AgentRuntime, Completion, CompletionModel, CompletionRequest, PortError,
    PortResult, RuntimeEvent, RuntimeStream,
};
use prompt::Conversation;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Events buffered between the decoding thread and the stream's reader.
const CHANNEL: usize = 64;

/// How to load and run the model.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedConfig {
    /// The GGUF file of a chat (instruct) model with a chat template.
    pub gguf_path: PathBuf,
    /// Tokens of context per call (prompt and answer), at most what the
    /// model was trained for (smaller values are raised to 256). Each running
    /// call holds a KV cache of this size. Default 4096.
    pub context_tokens: u32,
    /// Calls decoding at once, each on its own thread and context. Default 1.
    pub max_concurrent: usize,
    /// Calls waiting for a slot; more are refused as `Transient`. Default 16.
    pub max_queue: usize,
    /// Threads per decoding call. Default: the available cores. Keep
    /// `threads × max_concurrent` at or below the cores the model has to
    /// itself: llama.cpp's threads spin at their barriers and slow down
    /// tenfold or more when they outnumber free cores. For a small model one
    /// thread decodes almost as fast as two.
    pub threads: usize,
    /// Sampling temperature; 0 decodes greedily (the default).
    pub temperature: f32,
    /// The sampling seed when `temperature` is above 0. Default 0.
    pub seed: u32,
}

impl EmbeddedConfig {
    /// The defaults for the model at `gguf_path`.
    pub fn new(gguf_path: impl Into<PathBuf>) -> Self {
        Self {
            gguf_path: gguf_path.into(),
            context_tokens: 4096,
            max_concurrent: 1,
            max_queue: 16,
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            temperature: 0.0,
            seed: 0,
        }
    }
}

/// How busy the model is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occupancy {
    /// Calls decoding now.
    pub running: usize,
    /// Calls waiting for a slot.
    pub queued: usize,
}

/// A GGUF model run in-process; the [`AgentRuntime`] and the
/// [`CompletionModel`]. Cheap to clone (clones share the model and its
/// slots).
#[derive(Clone, Debug)]
pub struct EmbeddedModel {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    engine: Engine,
    config: EmbeddedConfig,
    /// One permit per call running or waiting.
    admitted: Arc<Semaphore>,
    /// One permit per call decoding.
    slots: Arc<Semaphore>,
    capacity: usize,
    concurrent: usize,
    /// Numbers the calls, for tool-call ids.
    calls: AtomicU64,
}

impl EmbeddedModel {
    /// Loads the model. Blocks while llama.cpp maps the file and reads its
    /// metadata (a fraction of a second for a small model): call it at
    /// startup, or in `spawn_blocking`.
    ///
    /// # Errors
    /// `Permanent` when the file is missing or unreadable (the message says
    /// to run `bash scripts/install-model.sh`), is not a GGUF llama.cpp can
    /// load, or has no chat template llama.cpp can apply.
    pub fn load(config: EmbeddedConfig) -> PortResult<Self> {
        let started = std::time::Instant::now();
        let engine = Engine::load(&config.gguf_path, config.context_tokens, config.threads)?;
        let concurrent = config.max_concurrent.clamp(1, Semaphore::MAX_PERMITS / 2);
        let capacity = concurrent.saturating_add(config.max_queue.min(Semaphore::MAX_PERMITS / 2));
        tracing::info!(
            model = engine.name(),
            path = %config.gguf_path.display(),
            context_tokens = engine.context_tokens(),
            max_concurrent = concurrent,
            max_queue = capacity - concurrent,
            threads = config.threads,
            millis = started.elapsed().as_millis() as u64,
            "embedded model loaded"
        );
        Ok(Self {
            inner: Arc::new(Inner {
                engine,
                admitted: Arc::new(Semaphore::new(capacity)),
                slots: Arc::new(Semaphore::new(concurrent)),
                capacity,
                concurrent,
                config,
                calls: AtomicU64::new(0),
            }),
        })
    }

    /// The model's name (GGUF `general.name`, else the file's name).
    pub fn name(&self) -> &str {
        self.inner.engine.name()
    }

    /// Tokens of context per call, as loaded.
    pub fn context_tokens(&self) -> u32 {
        self.inner.engine.context_tokens()
    }

    /// Its configuration.
    pub fn config(&self) -> &EmbeddedConfig {
        &self.inner.config
    }

    /// Calls decoding and waiting now.
    pub fn occupancy(&self) -> Occupancy {
        let inner = &self.inner;
        let admitted = inner.capacity - inner.admitted.available_permits();
        let running = inner.concurrent - inner.slots.available_permits();
        Occupancy {
            running,
            queued: admitted.saturating_sub(running),
        }
    }

    /// The prompt text `request` becomes: the model's chat template applied
    /// to the instruction (with the tools) and the conversation, trimmed to
    /// the context, ending with the opening of the assistant's turn. For
    /// diagnostics and tests; it blocks while it tokenizes.
    ///
    /// # Errors
    /// `Invalid` when the request does not fit the context.
    pub fn prompt(&self, request: &AgentRequest) -> PortResult<String> {
        let engine = &self.inner.engine;
        let conversation = prompt::agent_conversation(request);
        let messages = engine.fit(conversation, request.max_output_tokens)?;
        engine.render(&messages)
    }

    /// Waits for a slot, prepares the prompt and starts decoding on a new
    /// thread; the stream carries the events.
    async fn start(
        &self,
        conversation: Conversation,
        max_output_tokens: u32,
        tools: bool,
    ) -> PortResult<RuntimeStream> {
        let inner = &self.inner;
        let admitted = Arc::clone(&inner.admitted)
            .try_acquire_owned()
            .map_err(|_| {
                PortError::transient(format!(
                    "the embedded model is busy: {} answers are running or waiting; try again later",
                    inner.capacity
                ))
            })?;
        let slot = Arc::clone(&inner.slots)
            .acquire_owned()
            .await
            .map_err(|_| PortError::permanent("the embedded model is closed"))?;
        let (tx, rx) = mpsc::channel(CHANNEL);
        let (ready_tx, ready_rx) = oneshot::channel();
        let id_prefix = self.id_prefix();
        let sampling = Sampling {
            temperature: inner.config.temperature,
            seed: inner.config.seed,
        };
        let worker = Arc::clone(inner);
        std::thread::Builder::new()
            .name("pika-embedded-model".into())
            .spawn(move || {
                // Both permits are held until decoding ends.
                let _permits = (admitted, slot);
                let prompt = match worker.engine.prepare(conversation, max_output_tokens) {
                    Ok(prompt) => prompt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                if ready_tx.send(Ok(())).is_err() {
                    return; // the caller stopped waiting
                }
                let generation = Generation::new(max_output_tokens, tools, id_prefix);
                worker.engine.generate(&prompt, generation, sampling, &tx);
            })
            .map_err(|e| {
                PortError::transient("cannot start a thread for the embedded model").with_source(e)
            })?;
        match ready_rx.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(PortError::permanent(
                    "the embedded model's thread ended before the answer started",
                ))
            }
        }
        let events = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        Ok(events.boxed())
    }

    /// A prefix for tool-call ids, unique per call and (by the clock) across
    /// restarts.
    fn id_prefix(&self) -> String {
        let call = self.inner.calls.fetch_add(1, Ordering::Relaxed);
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        format!("emb_{millis:x}{call:x}")
    }
}

#[async_trait]
impl AgentRuntime for EmbeddedModel {
    async fn invoke(&self, request: AgentRequest) -> PortResult<RuntimeStream> {
        tracing::debug!(
            model = self.name(),
            messages = request.messages.len(),
            tools = request.tools.len(),
            "embedded model call"
        );
        let conversation = prompt::agent_conversation(&request);
        self.start(
            conversation,
            request.max_output_tokens,
            !request.tools.is_empty(),
        )
        .await
    }
}

#[async_trait]
impl CompletionModel for EmbeddedModel {
    async fn complete(&self, request: CompletionRequest) -> PortResult<Completion> {
        tracing::debug!(model = self.name(), purpose = ?request.purpose, "embedded completion");
        let conversation = prompt::completion_conversation(&request);
        let mut events = self
            .start(conversation, request.max_output_tokens, false)
            .await?;
        let mut text = String::new();
        let mut usage = TokenUsage::default();
        while let Some(event) = events.next().await {
            match event? {
                RuntimeEvent::TextDelta(delta) => text.push_str(&delta),
                RuntimeEvent::Usage(u) => usage += u,
                RuntimeEvent::Completed(_) => return Ok(Completion { text, usage }),
                _ => {}
            }
        }
        Err(PortError::transient(
            "the embedded model stopped before the completion was finished",
        ))
    }
}

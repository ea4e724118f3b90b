//! The llama.cpp side: loading the GGUF, applying its chat template,
//! tokenizing, and the blocking decode loop. Everything here blocks; the
//! adapter calls it on its own threads, never on the async executor.

use super::generation::{Generation, Stop};
use super::prompt::{self, ChatMessage, Conversation};
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use pika_ports::{PortError, PortResult, RuntimeEvent};
use std::io::Read;
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use tokio::sync::mpsc::Sender;

/// Tokens per prompt-processing step (and the context's batch size).
const BATCH: usize = 512;

/// The smallest context we accept.
const MIN_CONTEXT: u32 = 256;

/// What to run to get the default model.
pub(crate) const INSTALL_HINT: &str =
    "install the default model with `bash scripts/install-model.sh` (it prints the GGUF's path) \
     or set model.path to a GGUF chat model";

/// One model load at a time (llama.cpp's loader keeps some global state).
static LOADING: Mutex<()> = Mutex::new(());

/// llama.cpp's backend: initialised once per process, never freed.
static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();

fn backend() -> PortResult<&'static LlamaBackend> {
    BACKEND
        .get_or_init(|| {
            // llama.cpp logs through `tracing`, target `llama-cpp-2`.
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| PortError::permanent(format!("cannot initialise llama.cpp: {e}")))
}

/// How the next token is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sampling {
    /// 0 (or less) decodes greedily.
    pub(crate) temperature: f32,
    /// The seed when sampling.
    pub(crate) seed: u32,
}

impl Sampling {
    fn sampler(self) -> LlamaSampler {
        if self.temperature <= 0.0 {
            LlamaSampler::greedy()
        } else {
            LlamaSampler::chain_simple([
                LlamaSampler::top_k(40),
                LlamaSampler::top_p(0.95, 1),
                LlamaSampler::temp(self.temperature),
                LlamaSampler::dist(self.seed),
            ])
        }
    }
}

/// A loaded model.
pub(crate) struct Engine {
    model: LlamaModel,
    template: LlamaChatTemplate,
    /// The texts of the control tokens, removed from message contents.
    markers: Vec<String>,
    /// llama.cpp must not create two contexts of one model at once.
    new_context: Mutex<()>,
    context_tokens: u32,
    threads: i32,
    name: String,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("name", &self.name)
            .field("context_tokens", &self.context_tokens)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// Refuses a path that is not a readable GGUF file, saying what to do.
fn check_file(path: &Path) -> PortResult<()> {
    let shown = path.display();
    let mut magic = [0u8; 4];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic));
    if let Err(e) = read {
        return Err(PortError::permanent(format!(
            "cannot read the embedded model {shown}: {e}; {INSTALL_HINT}"
        ))
        .with_source(e));
    }
    if &magic != b"GGUF" {
        return Err(PortError::permanent(format!(
            "{shown} is not a GGUF file; {INSTALL_HINT}"
        )));
    }
    Ok(())
}

impl Engine {
    /// Loads the GGUF at `path` with a context of `context_tokens` (at most
    /// what the model was trained for) and `threads` threads per decode.
    pub(crate) fn load(path: &Path, context_tokens: u32, threads: usize) -> PortResult<Self> {
        check_file(path)?;
        let shown = path.display();
        let backend = backend()?;
        let loading = LOADING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
            .map_err(|e| {
                PortError::permanent(format!(
                    "llama.cpp cannot load {shown}: {e}; {INSTALL_HINT}"
                ))
                .with_source(e)
            })?;
        drop(loading);
        let template = model.chat_template(None).map_err(|e| {
            PortError::permanent(format!(
                "{shown} has no chat template ({e}): a base model cannot chat; use an \
                 instruct (chat) model"
            ))
        })?;
        let trained = model.n_ctx_train().max(MIN_CONTEXT);
        let name = model
            .meta_val_str("general.name")
            .ok()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| {
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
        let vocab = model.vocab();
        let markers = vocab
            .tokens()
            .filter(|t| vocab.is_control(*t))
            .filter_map(|t| vocab.text(t).and_then(|c| c.to_str().ok()))
            .filter(|text| text.len() > 1)
            .map(str::to_string)
            .collect();
        let engine = Self {
            model,
            template,
            markers,
            new_context: Mutex::new(()),
            context_tokens: context_tokens.clamp(MIN_CONTEXT, trained),
            threads: i32::try_from(threads.max(1)).unwrap_or(i32::MAX),
            name,
        };
        // A template llama.cpp cannot apply fails now, not on the first turn.
        engine
            .render(&[
                ChatMessage::new("system", "You are helpful."),
                ChatMessage::new("user", "Hello"),
            ])
            .map_err(|e| PortError::permanent(format!("{shown}: {}", e.message)))?;
        Ok(engine)
    }

    /// The model's name (GGUF `general.name`, else the file's name).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Tokens per context.
    pub(crate) fn context_tokens(&self) -> u32 {
        self.context_tokens
    }

    /// `messages` through the model's chat template, ending with the opening
    /// of the assistant's turn. Control-token texts in the contents are
    /// removed first.
    pub(crate) fn render(&self, messages: &[ChatMessage]) -> PortResult<String> {
        let chat = messages
            .iter()
            .map(|m| {
                let content = prompt::strip_markers(&m.content, &self.markers);
                LlamaChatMessage::new(m.role.to_string(), content)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| PortError::invalid(format!("a message cannot be templated: {e}")))?;
        self.model
            .apply_chat_template(&self.template, &chat, true)
            .map_err(|e| {
                PortError::permanent(format!(
                    "llama.cpp cannot apply the model's chat template: {e}"
                ))
            })
    }

    /// The prompt's tokens (control tokens such as `<|im_start|>` parsed as such).
    pub(crate) fn tokenize(&self, prompt: &str) -> Vec<LlamaToken> {
        self.model.vocab().tokenize(prompt.as_bytes(), true, true)
    }

    /// The messages of `conversation` that fit the context with room left
    /// for the answer: `max_output_tokens`, but at most a quarter of the
    /// context.
    pub(crate) fn fit(
        &self,
        conversation: Conversation,
        max_output_tokens: u32,
    ) -> PortResult<Vec<ChatMessage>> {
        let context = self.context_tokens as usize;
        let reserve = (max_output_tokens as usize).clamp(1, context / 4);
        prompt::fit(conversation, context - reserve, |messages| {
            Ok(self.tokenize(&self.render(messages)?).len())
        })
    }

    /// The tokens of `conversation`, trimmed to [`Self::fit`].
    pub(crate) fn prepare(
        &self,
        conversation: Conversation,
        max_output_tokens: u32,
    ) -> PortResult<Vec<LlamaToken>> {
        let messages = self.fit(conversation, max_output_tokens)?;
        let tokens = self.tokenize(&self.render(&messages)?);
        if tokens.is_empty() {
            return Err(PortError::invalid("the prompt is empty"));
        }
        Ok(tokens)
    }

    /// Decodes an answer to `prompt`, sending its events to `tx`; stops as
    /// soon as `tx`'s receiver is gone. A failure is sent as the last item.
    pub(crate) fn generate(
        &self,
        prompt: &[LlamaToken],
        generation: Generation,
        sampling: Sampling,
        tx: &Sender<PortResult<RuntimeEvent>>,
    ) {
        if let Err(e) = self.try_generate(prompt, generation, sampling, tx) {
            tracing::warn!(error = %e, "the embedded model failed");
            // The receiver may be gone already; then nobody needs to know.
            let _ = tx.blocking_send(Err(e));
        }
    }

    fn try_generate(
        &self,
        prompt: &[LlamaToken],
        mut generation: Generation,
        sampling: Sampling,
        tx: &Sender<PortResult<RuntimeEvent>>,
    ) -> PortResult<()> {
        let backend = backend()?;
        let started = std::time::Instant::now();
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(self.context_tokens))
            .with_n_batch(BATCH as u32)
            .with_n_ubatch(BATCH as u32)
            .with_n_threads(self.threads)
            .with_n_threads_batch(self.threads);
        let mut ctx = {
            let _one_at_a_time = self
                .new_context
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            self.model.new_context(backend, params).map_err(|e| {
                PortError::transient(format!(
                    "the embedded model cannot get a context (out of memory?): {e}"
                ))
            })?
        };
        let context_ready = started.elapsed();
        let context = ctx.n_ctx() as usize;
        if prompt.len() >= context {
            return Err(PortError::invalid("the prompt does not fit the context"));
        }

        let failed = |e: &dyn std::fmt::Display| {
            PortError::transient(format!("the embedded model failed to decode: {e}"))
        };
        let position = |p: usize| i32::try_from(p).unwrap_or(i32::MAX);
        let mut batch = LlamaBatch::new(BATCH, 1);
        for (n, chunk) in prompt.chunks(BATCH).enumerate() {
            if tx.is_closed() {
                return Ok(());
            }
            batch.clear();
            for (i, token) in chunk.iter().enumerate() {
                let at = n * BATCH + i;
                batch
                    .add(*token, position(at), &[0], at + 1 == prompt.len())
                    .map_err(|e| failed(&e))?;
            }
            ctx.decode(&mut batch).map_err(|e| failed(&e))?;
        }
        let prompt_done = started.elapsed();

        let vocab = self.model.vocab();
        let mut sampler = sampling.sampler();
        let mut at = prompt.len();
        let stop = loop {
            if tx.is_closed() {
                return Ok(());
            }
            if generation.exhausted() {
                break Stop::OutputLimit;
            }
            let token = sampler.sample(&ctx, batch.n_tokens() - 1);
            if vocab.is_eog(token) {
                break Stop::EndOfGeneration;
            }
            let bytes = vocab.token_to_piece(token, false, None);
            let (events, stop) = generation.token(&bytes);
            for event in events {
                if tx.blocking_send(Ok(event)).is_err() {
                    return Ok(());
                }
            }
            if let Some(stop) = stop {
                break stop;
            }
            if at >= context {
                break Stop::ContextFull;
            }
            batch.clear();
            batch
                .add(token, position(at), &[0], true)
                .map_err(|e| failed(&e))?;
            at += 1;
            ctx.decode(&mut batch).map_err(|e| failed(&e))?;
        };
        tracing::debug!(
            prompt_tokens = prompt.len(),
            generated = generation.generated(),
            ?stop,
            context_ms = context_ready.as_millis() as u64,
            prompt_ms = prompt_done.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "embedded model answered"
        );
        for event in generation.finish(stop, prompt.len()) {
            if tx.blocking_send(Ok(event)).is_err() {
                break;
            }
        }
        Ok(())
    }
}

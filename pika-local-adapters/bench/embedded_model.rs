//! Measures the embedded model: load time, time to first token, prompt and
//! decode speed, two calls at once, and the process's peak memory.
//!
//! ```sh
//! GGUF=$(bash scripts/install-model.sh | tail -n 1)
//! cargo bench -p pika-local-adapters --features embedded --bench embedded_model -- "$GGUF"
//! ```
//!
//! The GGUF comes from the first argument or `PIKA_TEST_GGUF`;
//! `PIKA_BENCH_THREADS` sets the threads per call (default: the available
//! cores), `PIKA_BENCH_CONTEXT` the context tokens (default 4096). Not a test: it asserts nothing and prints a report.

use futures::StreamExt;
use pika_domain::cost::TokenUsage;
use pika_domain::ids::SessionId;
use pika_domain::message::Role;
use pika_local_adapters::embedded::{EmbeddedConfig, EmbeddedModel};
use pika_ports::{AgentRequest, AgentRuntime, ConversationMessage, RuntimeEvent};
use serde_json::Map;
use std::error::Error;
use std::time::{Duration, Instant};

const PROMPT: &str =
    "Write a story of about three hundred words about a robot who learns to paint.";
const MAX_TOKENS: u32 = 256;
const RUNS: usize = 3;

/// What one streamed call measured.
struct Run {
    first_token: Duration,
    total: Duration,
    usage: TokenUsage,
}

impl Run {
    /// Generated tokens per second after the first.
    fn decode_rate(&self) -> f64 {
        let decoding = (self.total - self.first_token).as_secs_f64();
        (self.usage.output_tokens.saturating_sub(1) as f64) / decoding.max(1e-9)
    }

    /// Prompt tokens per second (prompt processing is most of the time to first token).
    fn prompt_rate(&self) -> f64 {
        self.usage.input_tokens as f64 / self.first_token.as_secs_f64().max(1e-9)
    }
}

fn request() -> AgentRequest {
    AgentRequest {
        model_id: "embedded".into(),
        instruction: "You are a helpful assistant.".into(),
        messages: vec![ConversationMessage::text(Role::User, PROMPT)],
        tools: vec![],
        max_output_tokens: MAX_TOKENS,
        session_id: SessionId::from_v7_parts(1_700_000_000_000, &[1; 10]),
        session_attributes: Map::new(),
        guardrail: None,
        knowledge_bases: Vec::new(),
        collaborators: Vec::new(),
    }
}

async fn run(model: &EmbeddedModel) -> Result<Run, Box<dyn Error>> {
    let started = Instant::now();
    let mut stream = model.invoke(request()).await?;
    let mut first_token = None;
    let mut usage = TokenUsage::default();
    while let Some(event) = stream.next().await {
        match event? {
            RuntimeEvent::TextDelta(_) if first_token.is_none() => {
                first_token = Some(started.elapsed());
            }
            RuntimeEvent::Usage(u) => usage += u,
            _ => {}
        }
    }
    let total = started.elapsed();
    Ok(Run {
        first_token: first_token.unwrap_or(total),
        total,
        usage,
    })
}

/// A line of `/proc/self/status` in MB (`VmHWM` is the peak resident set).
fn status_mb(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn Error>> {
    let gguf = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .or_else(|| std::env::var("PIKA_TEST_GGUF").ok())
        .ok_or(
            "give the GGUF as the first argument or in PIKA_TEST_GGUF \
             (bash scripts/install-model.sh prints its path)",
        )?;
    let mut config = EmbeddedConfig::new(&gguf);
    if let Some(threads) = std::env::var("PIKA_BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
    {
        config.threads = threads;
    }
    if let Some(tokens) = std::env::var("PIKA_BENCH_CONTEXT")
        .ok()
        .and_then(|t| t.parse().ok())
    {
        config.context_tokens = tokens;
    }
    println!("model file:      {gguf}");
    println!("threads:         {}", config.threads);
    println!("context:         {} tokens", config.context_tokens);
    println!(
        "rss before load: {:.0} MB",
        status_mb("VmRSS:").unwrap_or(f64::NAN)
    );

    let started = Instant::now();
    let model = EmbeddedModel::load(config.clone())?;
    println!(
        "load:            {:.3} s ({})",
        started.elapsed().as_secs_f64(),
        model.name()
    );

    // A first call warms caches; it is reported but not in the medians.
    let warm = run(&model).await?;
    println!(
        "warm-up:         first token {:.0} ms, {} + {} tokens, {:.1} tokens/s",
        warm.first_token.as_secs_f64() * 1e3,
        warm.usage.input_tokens,
        warm.usage.output_tokens,
        warm.decode_rate()
    );
    let mut runs = Vec::new();
    for n in 1..=RUNS {
        let r = run(&model).await?;
        println!(
            "run {n}:           first token {:.0} ms, prompt {:.0} tokens/s, decode {:.1} tokens/s ({} tokens)",
            r.first_token.as_secs_f64() * 1e3,
            r.prompt_rate(),
            r.decode_rate(),
            r.usage.output_tokens
        );
        runs.push(r);
    }
    println!(
        "median:          first token {:.0} ms, decode {:.1} tokens/s",
        median(
            runs.iter()
                .map(|r| r.first_token.as_secs_f64() * 1e3)
                .collect()
        ),
        median(runs.iter().map(Run::decode_rate).collect())
    );

    println!(
        "peak rss:        {:.0} MB (VmHWM, one model, one context)",
        status_mb("VmHWM:").unwrap_or(f64::NAN)
    );

    // Two calls at once, each on its own context and half the threads.
    let pair = EmbeddedModel::load(EmbeddedConfig {
        max_concurrent: 2,
        threads: (config.threads / 2).max(1),
        ..config
    })?;
    let started = Instant::now();
    let (a, b) = tokio::join!(run(&pair), run(&pair));
    let (a, b) = (a?, b?);
    let wall = started.elapsed().as_secs_f64();
    let tokens = a.usage.output_tokens + b.usage.output_tokens;
    println!(
        "2 concurrent:    {tokens} tokens in {wall:.2} s = {:.1} tokens/s together",
        tokens as f64 / wall
    );
    println!(
        "peak rss:        {:.0} MB (VmHWM, after loading a second copy and two contexts)",
        status_mb("VmHWM:").unwrap_or(f64::NAN)
    );
    Ok(())
}

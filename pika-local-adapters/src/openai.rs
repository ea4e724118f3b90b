//! Models through an OpenAI-compatible chat-completions server: Ollama
//! (`http://127.0.0.1:11434/v1`), the llama.cpp server
//! (`http://127.0.0.1:8080/v1`), vLLM, or OpenAI itself.
//!
//! [`OpenAiCompatible`] implements both model ports:
//!
//! - [`AgentRuntime`]: `POST {base_url}/chat/completions` with `stream: true`;
//!   the server-sent events become [`RuntimeEvent`](pika_ports::RuntimeEvent)s.
//!   Tools go out as OpenAI `tools`, or — with
//!   [`OpenAiConfig::text_tool_calls`], for servers and small models without
//!   native tool calling — into the system prompt, with the model's
//!   `<tool_call>{…}</tool_call>` blocks parsed out of its text.
//! - [`CompletionModel`]: the same endpoint without streaming.
//!
//! Errors follow the ports: no connection, timeouts, 429 and 5xx are
//! `Transient`; 400, 413 and 422 are `Invalid`; 401, 403 and 404 (mostly an
//! unknown model) are `Permanent`. [`OpenAiCompatible::check`] lists the
//! server's models, for startup diagnostics.
//!
//! ```no_run
//! use pika_local_adapters::openai::{OpenAiCompatible, OpenAiConfig};
//!
//! # async fn run() -> Result<(), pika_ports::PortError> {
//! let model = OpenAiCompatible::new(OpenAiConfig {
//!     model_override: Some("qwen2.5:3b".into()),
//!     ..OpenAiConfig::new("http://127.0.0.1:11434/v1")
//! })?;
//! let models = model.check().await?;
//! println!("the server offers {models:?}");
//! # Ok(()) }
//! ```

mod errors;
mod events;
#[cfg(test)]
mod fuzz;
mod sse;
mod stream;
mod text_tools;
mod wire;

use async_trait::async_trait;
use pika_ports::{
    AgentRequest, AgentRuntime, Completion, CompletionModel, CompletionRequest, PortError,
    PortResult, RuntimeStream,
};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Longest wait for the body of an error answer.
const ERROR_BODY_TIMEOUT: Duration = Duration::from_secs(5);

/// How to reach the server.
#[derive(Clone)]
pub struct OpenAiConfig {
    /// The API root, including its version segment, e.g.
    /// `http://127.0.0.1:11434/v1`; a trailing `/` is ignored.
    pub base_url: String,
    /// Sent as `Authorization: Bearer …` when set (local servers need none).
    pub api_key: Option<String>,
    /// The model to use for every call, instead of the agent's `modelId`
    /// (which names a Bedrock model a local server does not know).
    pub model_override: Option<String>,
    /// Longest wait for the answer to start, and for each next chunk of a
    /// streamed answer; bounds a whole non-streamed completion.
    pub request_timeout: Duration,
    /// Longest wait for the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Describe the tools in the system prompt and parse
    /// `<tool_call>{"name": …, "arguments": {…}}</tool_call>` blocks out of
    /// the model's text, for servers without `tools` support. Off by default.
    pub text_tool_calls: bool,
}

impl OpenAiConfig {
    /// The defaults with `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            ..Self::default()
        }
    }
}

impl Default for OpenAiConfig {
    /// Ollama on this machine; 120 s per answer start or chunk; 5 s to connect.
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:11434/v1".to_string(),
            api_key: None,
            model_override: None,
            request_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(5),
            text_tool_calls: false,
        }
    }
}

impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model_override", &self.model_override)
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("text_tool_calls", &self.text_tool_calls)
            .finish()
    }
}

/// A client of an OpenAI-compatible server; the [`AgentRuntime`] and the
/// [`CompletionModel`]. Cheap to clone (clones share connections).
#[derive(Clone, Debug)]
pub struct OpenAiCompatible {
    client: reqwest::Client,
    config: OpenAiConfig,
    base_url: String,
    /// Numbers the calls, for minted tool-call ids.
    calls: Arc<AtomicU64>,
}

impl OpenAiCompatible {
    /// A client for `config`. Nothing is sent until the first call.
    ///
    /// # Errors
    /// `Permanent` when the HTTP client cannot be built (TLS setup).
    pub fn new(config: OpenAiConfig) -> PortResult<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("pika-local-adapters/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PortError::permanent("cannot build the HTTP client").with_source(e))?;
        Ok(Self {
            client,
            base_url: config.base_url.trim_end_matches('/').to_string(),
            config,
            calls: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Its configuration.
    pub fn config(&self) -> &OpenAiConfig {
        &self.config
    }

    /// Asks the server for its models (`GET {base_url}/models`), to tell at
    /// startup whether it is reachable and serves the configured model.
    ///
    /// # Errors
    /// As the model calls: `Transient` when the server is unreachable or
    /// busy, `Permanent` when it refuses the credentials or the URL is wrong.
    pub async fn check(&self) -> PortResult<Vec<String>> {
        let url = self.url("models");
        let request = self.authorized(self.client.get(&url));
        let response = self.send(request, &url, None).await?;
        let listed = tokio::time::timeout(self.config.request_timeout, response.text())
            .await
            .map_err(|_| PortError::transient(format!("{url} did not finish its answer in time")))?
            .map_err(|e| errors::transport_error(e, &url))?;
        // A server that answers but lists nothing readable is still reachable.
        let models = serde_json::from_str::<wire::ModelList>(&listed)
            .map(|list| list.data.into_iter().map(|m| m.id).collect())
            .unwrap_or_default();
        Ok(models)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base_url)
    }

    fn model(&self, requested: &str) -> String {
        self.config
            .model_override
            .clone()
            .unwrap_or_else(|| requested.to_string())
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.config.api_key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    /// Sends `request`; an answer other than 2xx becomes its error.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
        model: Option<&str>,
    ) -> PortResult<reqwest::Response> {
        let timeout = self.config.request_timeout;
        let response = tokio::time::timeout(timeout, request.send())
            .await
            .map_err(|_| {
                PortError::transient(format!(
                    "{url} did not answer within {} s",
                    timeout.as_secs_f64()
                ))
            })?
            .map_err(|e| errors::transport_error(e, url))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = match tokio::time::timeout(ERROR_BODY_TIMEOUT, response.text()).await {
            Ok(Ok(body)) => body,
            _ => String::new(),
        };
        let error = errors::status_error(status.as_u16(), &body, model, url);
        tracing::warn!(status = status.as_u16(), error = %error, "model server refused a call");
        Err(error)
    }

    /// A prefix for the ids of tool calls that arrive without one, unique
    /// per call and (by the clock) across restarts.
    fn id_prefix(&self) -> String {
        let call = self.calls.fetch_add(1, Ordering::Relaxed);
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        format!("call_{millis:x}{call:x}")
    }
}

#[async_trait]
impl AgentRuntime for OpenAiCompatible {
    async fn invoke(&self, request: AgentRequest) -> PortResult<RuntimeStream> {
        let model = self.model(&request.model_id);
        let body = wire::chat_body(&request, &model, self.config.text_tool_calls);
        let url = self.url("chat/completions");
        tracing::debug!(
            %url,
            %model,
            messages = request.messages.len(),
            tools = request.tools.len(),
            "streaming a chat completion"
        );
        let http = self.authorized(self.client.post(&url).json(&body));
        let response = self.send(http, &url, Some(&model)).await?;
        let parser = events::EventParser::new(self.config.text_tool_calls, self.id_prefix());
        Ok(stream::runtime_stream(
            response.bytes_stream(),
            parser,
            self.config.request_timeout,
        ))
    }
}

#[async_trait]
impl CompletionModel for OpenAiCompatible {
    async fn complete(&self, request: CompletionRequest) -> PortResult<Completion> {
        let model = self.model(&request.model_id);
        let body = wire::completion_body(&request, &model);
        let url = self.url("chat/completions");
        tracing::debug!(%url, %model, purpose = ?request.purpose, "chat completion");
        let http = self
            .authorized(self.client.post(&url).json(&body))
            .timeout(self.config.request_timeout);
        let response = self.send(http, &url, Some(&model)).await?;
        let text = response
            .text()
            .await
            .map_err(|e| errors::transport_error(e, &url))?;
        let answer: wire::ChatResponse = serde_json::from_str(&text).map_err(|e| {
            let start = errors::truncate(&text, 200);
            PortError::permanent(format!(
                "{url} answered with something that is not a chat completion: {start}"
            ))
            .with_source(e)
        })?;
        let text = answer
            .choices
            .first()
            .and_then(|c| c.message.as_ref())
            .map(wire::ResponseMessage::text)
            .unwrap_or_default();
        let usage = answer.usage.map(|u| u.tokens()).unwrap_or_default();
        Ok(Completion { text, usage })
    }
}

//! A fake Bedrock endpoint for the adapter tests: it records each request
//! and answers with scripted replies — real AWS event-stream frames
//! (encoded with `aws-smithy-eventstream`, each sent as its own chunk),
//! JSON bodies, AWS JSON errors, or a body cut off mid-frame. The real SDK
//! clients talk to it through `endpoint_url`.

// Each test file uses a different part of it.
#![allow(dead_code)]

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use futures::stream::{self, StreamExt};
use pika_aws_adapters::aws::SdkConfig;
use pika_domain::cost::TokenUsage;
use pika_domain::stream::TurnEvent;
use pika_ports::{PortError, RuntimeEvent, RuntimeStream};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One event-stream frame.
#[derive(Clone, Debug)]
pub enum Frame {
    /// `:message-type: event`, `:event-type: {name}`.
    Event(&'static str, Value),
    /// `:message-type: exception`, `:exception-type: {name}`.
    Exception(&'static str, Value),
}

impl Frame {
    /// The frame's bytes on the wire (prelude, headers, payload, CRCs).
    pub fn encode(&self) -> Vec<u8> {
        let (kind, type_header, name, payload) = match self {
            Frame::Event(name, payload) => ("event", ":event-type", *name, payload),
            Frame::Exception(name, payload) => ("exception", ":exception-type", *name, payload),
        };
        let message = Message::new(Bytes::from(payload.to_string()))
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String(kind.into()),
            ))
            .add_header(Header::new(type_header, HeaderValue::String(name.into())))
            .add_header(Header::new(
                ":content-type",
                HeaderValue::String("application/json".into()),
            ));
        let mut out = Vec::new();
        write_message_to(&message, &mut out).expect("frame encodes");
        out
    }
}

/// Frames of Converse's stream (`ConverseStream`).
pub mod converse_frames {
    use super::Frame;
    use serde_json::json;

    pub fn text(index: i32, text: &str) -> Frame {
        Frame::Event(
            "contentBlockDelta",
            json!({ "contentBlockIndex": index, "delta": { "text": text } }),
        )
    }

    pub fn stop(reason: &str) -> Frame {
        Frame::Event("messageStop", json!({ "stopReason": reason }))
    }

    pub fn metadata(input: u64, output: u64) -> Frame {
        Frame::Event(
            "metadata",
            json!({
                "usage": { "inputTokens": input, "outputTokens": output, "totalTokens": input + output },
                "metrics": { "latencyMs": 120 }
            }),
        )
    }

    pub fn message_start() -> Frame {
        Frame::Event("messageStart", json!({ "role": "assistant" }))
    }

    pub fn block_stop(index: i32) -> Frame {
        Frame::Event("contentBlockStop", json!({ "contentBlockIndex": index }))
    }

    /// A whole streamed text answer: start, the text, stop, usage.
    pub fn answer(said: &str, input: u64, output: u64) -> Vec<Frame> {
        vec![
            message_start(),
            text(0, said),
            block_stop(0),
            stop("end_turn"),
            metadata(input, output),
        ]
    }
}

/// A `Converse` (non-streaming) reply with `text` and its usage.
pub fn converse_json(text: &str, input: u64, output: u64) -> Value {
    serde_json::json!({
        "output": { "message": { "role": "assistant", "content": [{ "text": text }] } },
        "stopReason": "end_turn",
        "usage": { "inputTokens": input, "outputTokens": output, "totalTokens": input + output },
        "metrics": { "latencyMs": 100 }
    })
}

/// One scripted answer.
pub enum Reply {
    /// 200 `application/vnd.amazon.eventstream` with these frames.
    Stream(Vec<Frame>),
    /// 200 with these frames, then half of `partial`, then the connection
    /// breaks (the body never finishes).
    Cut { frames: Vec<Frame>, partial: Frame },
    /// 200 with a JSON body (the non-streaming `Converse`).
    Json(Value),
    /// 200 `application/vnd.amazon.eventstream` with these bytes, in
    /// these chunks, whatever they hold (fuzzing).
    Raw(Vec<Vec<u8>>),
    /// An AWS JSON error: `status`, `x-amzn-errortype: {code}`, and
    /// `{"message": …}`.
    Error {
        status: u16,
        code: &'static str,
        message: &'static str,
    },
}

/// What the server received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// The path as sent (percent-encoded).
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

/// Picks the reply to a request (see [`FakeBedrock::start_routed`]).
type Route = Arc<dyn Fn(&Received) -> Reply + Send + Sync>;

#[derive(Clone, Default)]
struct Shared {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    received: Arc<Mutex<Vec<Received>>>,
    route: Option<Route>,
}

/// A running fake Bedrock endpoint.
pub struct FakeBedrock {
    pub url: String,
    shared: Shared,
}

impl FakeBedrock {
    /// Starts a server on 127.0.0.1 that answers `replies` in order,
    /// whatever the path.
    pub async fn start(replies: Vec<Reply>) -> Self {
        let shared = Shared::default();
        shared.replies.lock().unwrap().extend(replies);
        Self::serve(shared).await
    }

    /// Starts a server that answers each request with `route`'s reply to
    /// it (for callers whose requests may come in any order).
    pub async fn start_routed(route: impl Fn(&Received) -> Reply + Send + Sync + 'static) -> Self {
        Self::serve(Shared {
            route: Some(Arc::new(route)),
            ..Shared::default()
        })
        .await
    }

    async fn serve(shared: Shared) -> Self {
        let app = Router::new().fallback(answer).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url: format!("http://{address}"),
            shared,
        }
    }

    /// The requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// SDK configuration pointing at this server: region us-east-1, dummy
    /// static credentials, no SDK retries (so each reply answers one call).
    pub fn sdk_config(&self) -> SdkConfig {
        let credentials = aws_sdk_bedrockruntime::config::Credentials::new(
            "AKIDFAKEBEDROCK",
            "fake-secret",
            None,
            None,
            "bedrock-tests",
        );
        SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_types::sdk_config::SharedCredentialsProvider::new(
                credentials,
            ))
            .endpoint_url(&self.url)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build()
    }
}

async fn answer(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let received = Received {
        method: method.to_string(),
        path: uri.path().to_string(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let routed = shared.route.as_ref().map(|route| route(&received));
    shared.received.lock().unwrap().push(received);
    let reply = routed.or_else(|| shared.replies.lock().unwrap().pop_front());
    let Some(reply) = reply else {
        return json_response(500, "InternalServerException", "no scripted reply left");
    };
    match reply {
        Reply::Stream(frames) => {
            let chunks = stream::iter(frames).then(|frame| async move {
                tokio::time::sleep(Duration::from_millis(2)).await;
                Ok::<_, std::io::Error>(Bytes::from(frame.encode()))
            });
            event_stream(Body::from_stream(chunks))
        }
        Reply::Cut { frames, partial } => {
            let whole = stream::iter(frames).map(|f| Ok(Bytes::from(f.encode())));
            let mut half = partial.encode();
            half.truncate(half.len() / 2);
            let tail =
                stream::once(async move { Ok(Bytes::from(half)) }).chain(stream::once(async {
                    // The break comes after the frames went out.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(std::io::Error::other("connection dropped"))
                }));
            event_stream(Body::from_stream(whole.chain(tail)))
        }
        Reply::Raw(chunks) => event_stream(Body::from_stream(stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, std::io::Error>(Bytes::from(c))),
        ))),
        Reply::Json(value) => Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from(value.to_string()))
            .unwrap(),
        Reply::Error {
            status,
            code,
            message,
        } => json_response(status, code, message),
    }
}

fn event_stream(body: Body) -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "application/vnd.amazon.eventstream")
        .body(body)
        .unwrap()
}

fn json_response(status: u16, code: &str, message: &str) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", "application/json")
        .header(
            "x-amzn-errortype",
            format!("{code}:http://internal.amazon.com/coral/com.amazon.bedrock/"),
        )
        .body(Body::from(
            serde_json::json!({ "message": message }).to_string(),
        ))
        .unwrap()
}

/// Every item of `stream` (the stream must end within 10 s).
pub async fn collect(stream: RuntimeStream) -> Vec<Result<RuntimeEvent, PortError>> {
    tokio::time::timeout(Duration::from_secs(10), stream.collect())
        .await
        .expect("the stream ends")
}

/// The items, all of which must be events.
pub fn ok_events(items: Vec<Result<RuntimeEvent, PortError>>) -> Vec<RuntimeEvent> {
    items
        .into_iter()
        .map(|i| i.expect("no error item"))
        .collect()
}

/// The text deltas joined.
pub fn text_of(events: &[RuntimeEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            RuntimeEvent::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

/// The usage events added up.
pub fn usage_of(events: &[RuntimeEvent]) -> TokenUsage {
    let mut total = TokenUsage::default();
    for event in events {
        if let RuntimeEvent::Usage(u) = event {
            total += *u;
        }
    }
    total
}

/// A chat turn run by the real chat service on fakes, with `runtime` as
/// its model.
pub struct Turn {
    pub events: Vec<pika_domain::stream::TurnEvent>,
    pub fakes: pika_testkit::FakePorts,
    pub session_id: pika_domain::ids::SessionId,
}

impl Turn {
    /// The first tool call the user saw: (tool use id, tool name).
    pub fn first_tool_call(&self) -> Option<(String, String)> {
        self.events.iter().find_map(|e| match e {
            TurnEvent::ToolCall {
                tool_use_id,
                tool_name,
                ..
            } => Some((tool_use_id.clone(), tool_name.clone())),
            _ => None,
        })
    }

    /// Whether the turn ended with `done`.
    pub fn ended_done(&self) -> bool {
        matches!(self.events.last(), Some(TurnEvent::Done { .. }))
    }

    /// The text the user saw, deltas joined.
    pub fn said(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match e {
                TurnEvent::Delta { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// A user asks `question` in a chat app whose agent has the `get_weather`
/// tool (one required string parameter `query`); the tool answers
/// `{"city": <query>, "tempC": 21}`.
pub async fn weather_turn(runtime: Arc<dyn pika_ports::AgentRuntime>, question: &str) -> Turn {
    use pika_service::{ChatService, ConfigCache, SendMessage, ServiceSettings, TurnTarget};
    use pika_testkit::fixtures;

    let fakes = pika_testkit::FakePorts::with_site(fixtures::site());
    let mut ports = fakes.ports();
    ports.runtime = runtime;
    let settings = ServiceSettings::default();
    let config = Arc::new(ConfigCache::new(ports.clone(), settings.config_ttl));
    let chat = ChatService::new(ports, settings, config);
    fakes
        .seed_app(
            &fixtures::chat_app("support", "agent"),
            &fixtures::agent("agent", &["weather"]),
            &[fixtures::inline_tool("weather", "get_weather")],
        )
        .await
        .unwrap();
    fakes.tool_invoker.on("get_weather", |input| {
        Ok(serde_json::json!({ "city": input["query"], "tempC": 21 }))
    });
    let message = SendMessage::new(
        TurnTarget::NewSession(fixtures::chat_app_id("support")),
        question,
    );
    let stream = chat
        .send(&fixtures::customer("alice"), message)
        .await
        .expect("turn accepted");
    let session_id = stream.session_id;
    let events = tokio::time::timeout(Duration::from_secs(10), stream.events.collect::<Vec<_>>())
        .await
        .expect("the turn ends within 10 s")
        .into_iter()
        .map(|e| e.event)
        .collect();
    Turn {
        events,
        fakes,
        session_id,
    }
}

/// For each `(status, code, kind)`: a call the service refuses with that
/// HTTP status and error code fails before any event, with `kind`
/// (retryable exactly when `Transient`).
pub async fn assert_refused_before_the_stream<R: pika_ports::AgentRuntime>(
    runtime: impl Fn(&FakeBedrock) -> R,
    request: impl Fn() -> pika_ports::AgentRequest,
    cases: &[(u16, &'static str, pika_ports::ErrorKind)],
) {
    for &(status, code, kind) in cases {
        let server = FakeBedrock::start(vec![Reply::Error {
            status,
            code,
            message: "refused by the fake",
        }])
        .await;
        let error = match runtime(&server).invoke(request()).await {
            Err(e) => e,
            Ok(_) => panic!("{code} should fail the call"),
        };
        assert_eq!(error.kind, kind, "{code}: {error}");
        assert_eq!(
            error.kind.is_retryable(),
            kind == pika_ports::ErrorKind::Transient,
            "{code}"
        );
        assert!(error.message.contains(code), "{error}");
    }
}

//! The two encodings of a turn (PIKA.md §9) parsed back and compared with
//! what was stored; heartbeats on a paused clock; disconnects; resume.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use futures::StreamExt;
use http_body_util::BodyExt;
use pika_domain::ids::{MessageId, SessionId};
use pika_domain::stream::{event_id, SequencedEvent, TurnEvent};
use pika_http::streaming::{self, pika_text, sse, Encoding};
use pika_ports::StopReason;
use pika_testkit::fakes::runtime::Script;
use pika_testkit::fixtures;
use serde_json::{json, Value};
use std::time::Duration;
use support::*;
use tower::ServiceExt;

fn stored_events(api: &Api, session: &str) -> (MessageId, Vec<SequencedEvent>) {
    let id = SessionId::parse(session).unwrap();
    let answer = api.fakes.messages.of_session(&id).pop().unwrap();
    (answer.message_id, answer.stream_events)
}

#[tokio::test]
async fn sse_frames_carry_ids_names_and_data_of_every_stored_event() {
    let api = Api::new().await;
    api.fakes.runtime.push(Script::answer(
        "Line one.\nLine two: \"quoted\" <answer>tags</answer>",
    ));
    let alice = fixtures::customer("alice");

    let (session, reply) = api.chat(&alice, "Tell me").await;

    assert_eq!(
        reply.headers["content-type"],
        "text/event-stream; charset=utf-8"
    );
    let frames: Vec<sse::Frame> = sse::parse(&reply.text())
        .into_iter()
        .filter(|f| !f.comment)
        .collect();
    let (assistant, stored) = stored_events(&api, &session);
    assert_eq!(frames.len(), stored.len());
    for (frame, event) in frames.iter().zip(&stored) {
        assert_eq!(
            frame.id.as_deref(),
            Some(event_id(assistant, event.seq).as_str())
        );
        assert_eq!(frame.event.as_deref(), Some(event.event.name()));
        let data: Value = serde_json::from_str(&frame.data).unwrap();
        assert_eq!(data, event.event.data());
    }
    assert_eq!(frames[0].event.as_deref(), Some("session"));
    let data: Value = serde_json::from_str(&frames[0].data).unwrap();
    assert_eq!(data["sessionId"], json!(session));
    assert_eq!(frames.last().unwrap().event.as_deref(), Some("done"));
    let text: String = frames
        .iter()
        .filter(|f| f.event.as_deref() == Some("delta"))
        .map(|f| {
            serde_json::from_str::<Value>(&f.data).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        text,
        "Line one.\nLine two: \"quoted\" <answer>tags</answer>"
    );
}

#[tokio::test]
async fn pika_text_carries_the_answer_traces_and_final_metadata() {
    let mut site = fixtures::site();
    let everyone = pika_domain::access::AccessRules::for_types([
        pika_domain::user::UserType::ExternalUser,
        pika_domain::user::UserType::InternalUser,
    ]);
    site.features.traces = Some(pika_domain::features::TracesFeature {
        enabled: true,
        rules: everyone,
        detailed_traces: None,
    });
    let api = Api::with(site, Default::default()).await;
    api.fakes.runtime.push(
        Script::new()
            .trace("model", json!({ "step": "thinking" }))
            .delta("Hello <pika.chart>{}</pika.chart> world")
            .usage(10, 5)
            .complete(StopReason::EndTurn),
    );
    let alice = fixtures::customer("alice");
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/chat/{APP}/messages"))
        .header("authorization", format!("Bearer {}", api.token(&alice)))
        .header("content-type", "application/json")
        .header("accept", "text/plain")
        .body(Body::from(r#"{"message":"hi"}"#))
        .unwrap();

    let reply = api.send(req).await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "text/plain; charset=utf-8");
    let session = reply.headers["x-chatbot-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let parsed = pika_text::parse(&reply.text());
    assert_eq!(
        parsed.text, "Hello <pika.chart>{}</pika.chart> world",
        "custom tags pass untouched"
    );
    let kinds: Vec<&str> = parsed
        .traces
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["trace", "usage"]);
    assert_eq!(parsed.traces[0]["detail"]["step"], json!("thinking"));
    let (assistant, _) = stored_events(&api, &session);
    let meta = parsed.metadata.unwrap();
    assert_eq!(meta["assistantMessageId"], json!(assistant.to_string()));
    // The same turn as SSE would carry the same text.
    let stored_text: String = stored_events(&api, &session)
        .1
        .iter()
        .filter_map(|e| match &e.event {
            TurnEvent::Delta { text } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(stored_text, parsed.text);
}

#[tokio::test]
async fn errors_before_the_first_byte_are_problems_after_it_error_events() {
    let api = Api::new().await;
    // Before: unknown chat app → a problem document, not a stream.
    let reply = api
        .post(
            "/chat/nope/messages",
            &fixtures::customer("alice"),
            json!({ "message": "hi" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.code(), "not_found");
    // After: the model fails mid-answer → 200 and an `error` event.
    api.fakes.runtime.push(Script::new().delta("partial").cut());
    let (_, reply) = api.chat(&fixtures::customer("alice"), "hi").await;
    let frames = sse::parse(&reply.text());
    let last = frames.last().unwrap();
    assert_eq!(last.event.as_deref(), Some("error"));
    let data: Value = serde_json::from_str(&last.data).unwrap();
    assert_eq!(data["code"], json!("model_unavailable"));
}

fn channel_events() -> (
    tokio::sync::mpsc::UnboundedSender<SequencedEvent>,
    futures::stream::BoxStream<'static, SequencedEvent>,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed();
    (tx, stream)
}

#[tokio::test(start_paused = true)]
async fn heartbeats_come_every_15_seconds_while_the_turn_is_quiet() {
    let assistant = MessageId::parse("01890a5d-ac96-774b-bcce-b302099a8057").unwrap();
    for (encoding, beat) in [
        (Encoding::Sse, &b": heartbeat\n\n"[..]),
        (Encoding::PikaText, &b"<heartbeat/>"[..]),
    ] {
        let (tx, events) = channel_events();
        let mut body = Box::pin(streaming::body(
            events,
            encoding,
            assistant,
            streaming::HEARTBEAT,
        ));
        // Nothing before 15 s.
        let early = tokio::time::timeout(Duration::from_secs(14), body.next()).await;
        assert!(early.is_err(), "no heartbeat before 15 s");
        // At 15 s, a heartbeat.
        let first = tokio::time::timeout(Duration::from_secs(2), body.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(&first[..], beat);
        // An event in between is sent at once, and the next beat still comes 15 s after the last.
        tx.send(SequencedEvent {
            seq: 0,
            event: TurnEvent::Delta { text: "x".into() },
        })
        .unwrap();
        let event = body.next().await.unwrap().unwrap();
        assert_ne!(&event[..], beat);
        let second = tokio::time::timeout(Duration::from_secs(16), body.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(&second[..], beat);
        // The body ends with the events.
        drop(tx);
        assert!(tokio::time::timeout(Duration::from_secs(1), body.next())
            .await
            .unwrap()
            .is_none());
    }
}

#[tokio::test]
async fn a_client_that_disconnects_does_not_stop_the_turn() {
    let api = Api::new().await;
    api.fakes.runtime.push(
        Script::new()
            .delta("first ")
            .delay(Duration::from_millis(100))
            .delta("second")
            .usage(3, 2)
            .complete(StopReason::EndTurn),
    );
    let alice = fixtures::customer("alice");
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/chat/{APP}/messages"))
        .header("authorization", format!("Bearer {}", api.token(&alice)))
        .header("content-type", "application/json")
        .body(Body::from(r#"{"message":"go"}"#))
        .unwrap();
    let response = api.router.clone().oneshot(req).await.unwrap();
    let session =
        SessionId::parse(response.headers()["x-chatbot-session-id"].to_str().unwrap()).unwrap();
    let mut body = response.into_body();
    let first = body.frame().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(first.data_ref().unwrap()).contains("event: session"));
    drop(body); // the client goes away

    assert!(api.state.chat.drain(Duration::from_secs(5)).await);
    let answer = api.fakes.messages.of_session(&session).pop().unwrap();
    assert_eq!(answer.content, "first second");
    assert!(!answer.stopped);
}

#[tokio::test]
async fn a_resumed_stream_completes_the_interrupted_one_exactly() {
    let api = Api::new().await;
    api.fakes.runtime.push(
        Script::new()
            .delta("a ")
            .delta("b ")
            .delay(Duration::from_millis(50))
            .delta("c")
            .usage(3, 3)
            .complete(StopReason::EndTurn),
    );
    let alice = fixtures::customer("alice");
    let token = api.token(&alice);
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/chat/{APP}/messages"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(r#"{"message":"count"}"#))
        .unwrap();
    let response = api.router.clone().oneshot(req).await.unwrap();
    let session = response.headers()["x-chatbot-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    // Read until k = 2 events have arrived, then disconnect.
    let mut body = response.into_body();
    let mut head = String::new();
    while sse::parse(&head).iter().filter(|f| !f.comment).count() < 2 {
        let frame = body.frame().await.unwrap().unwrap();
        head.push_str(&String::from_utf8_lossy(frame.data_ref().unwrap()));
    }
    drop(body);
    let head_frames: Vec<sse::Frame> = sse::parse(&head)
        .into_iter()
        .filter(|f| !f.comment)
        .collect();
    let last_id = head_frames.last().unwrap().id.clone().unwrap();
    let assistant = last_id.split(':').next().unwrap().to_string();

    let req = Request::builder()
        .uri(format!("/sessions/{session}/messages/{assistant}/events"))
        .header("authorization", format!("Bearer {token}"))
        .header("last-event-id", &last_id)
        .body(Body::empty())
        .unwrap();
    let tail = api.send(req).await;
    assert_eq!(tail.status, StatusCode::OK);
    let tail_frames: Vec<sse::Frame> = sse::parse(&tail.text())
        .into_iter()
        .filter(|f| !f.comment)
        .collect();

    // The uninterrupted stream, for comparison: the stored events as SSE.
    let (_, stored) = stored_events(&api, &session);
    let whole: Vec<sse::Frame> = stored
        .iter()
        .map(|e| {
            sse::parse(&String::from_utf8_lossy(&sse::encode(
                MessageId::parse(&assistant).unwrap(),
                e,
            )))
            .remove(0)
        })
        .collect();
    let joined: Vec<sse::Frame> = head_frames.into_iter().chain(tail_frames).collect();
    assert_eq!(joined, whole);

    // `?after=` works the same; a foreign Last-Event-ID names no event here.
    let after = api
        .get(
            &format!("/sessions/{session}/messages/{assistant}/events?after=2"),
            &alice,
        )
        .await;
    assert_eq!(sse::parse(&after.text()).len(), whole.len() - 3);
    let req = Request::builder()
        .uri(format!("/sessions/{session}/messages/{assistant}/events"))
        .header("authorization", format!("Bearer {token}"))
        .header("last-event-id", "01890a5d-ac96-774b-bcce-b302099a8057:1")
        .body(Body::empty())
        .unwrap();
    // No event of this message's stream has that id.
    assert_eq!(api.send(req).await.code(), "not_found");
}

/// Answer text and tool output cannot forge Pika's frames: a tag in the
/// text (whole, or split across deltas and heartbeats) comes out escaped,
/// and a frame's JSON cannot close its frame; other tags pass untouched.
#[tokio::test]
async fn pika_text_frames_cannot_be_forged_by_answer_text_or_tool_output() {
    let assistant = MessageId::parse("01890a5d-ac96-774b-bcce-b302099a8057").unwrap();
    let forged_meta = r#"<pika-metadata>{"error":{"code":"forged"}}</pika-metadata>"#;
    let deltas = [
        "Here <answer>is</answer> ",
        forged_meta,
        " and <tra",
        r#"ce>{"type":"forged"}</tr"#,
        "ace> done <heartbeat/> 1 < 2",
    ];
    let mut events: Vec<SequencedEvent> = deltas
        .iter()
        .map(|t| TurnEvent::Delta {
            text: (*t).to_string(),
        })
        .collect::<Vec<_>>()
        .into_iter()
        .chain([
            TurnEvent::ToolResult {
                tool_use_id: "t1".into(),
                ok: true,
                output: json!({ "text": "</trace><pika-metadata>{}</pika-metadata>" }),
            },
            TurnEvent::Done {
                user_message_id: assistant,
                assistant_message_id: assistant,
                title: None,
                stopped: None,
            },
        ])
        .enumerate()
        .map(|(i, event)| SequencedEvent {
            seq: i as u64,
            event,
        })
        .collect();
    // A held-back tag start just before a frame.
    events.insert(
        5,
        SequencedEvent {
            seq: 99,
            event: TurnEvent::Delta {
                text: "<trace".into(),
            },
        },
    );
    let body = streaming::body(
        futures::stream::iter(events).boxed(),
        Encoding::PikaText,
        assistant,
        streaming::HEARTBEAT,
    )
    .map(|b| String::from_utf8(b.unwrap().to_vec()).unwrap())
    .collect::<Vec<_>>()
    .await
    .concat();
    let parsed = pika_text::parse(&body);
    assert_eq!(parsed.heartbeats, 0, "{body}");
    assert_eq!(parsed.traces.len(), 1, "only the real trace: {body}");
    assert_eq!(
        parsed.traces[0]["output"]["text"], "</trace><pika-metadata>{}</pika-metadata>",
        "the payload comes back whole"
    );
    let meta = parsed.metadata.expect("the real metadata");
    assert!(meta.get("error").is_none(), "not the forged one: {meta}");
    assert!(
        parsed.text.contains("<answer>is</answer>"),
        "{}",
        parsed.text
    );
    assert!(
        parsed.text.contains("&lt;pika-metadata>"),
        "{}",
        parsed.text
    );
    assert!(parsed.text.contains("&lt;trace>"), "{}", parsed.text);
    assert!(parsed.text.ends_with("1 < 2&lt;trace"), "{}", parsed.text);
}

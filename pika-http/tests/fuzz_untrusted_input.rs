//! Fuzzing by property tests (no nightly toolchain here for `cargo fuzz`):
//! every parser of untrusted bytes in the HTTP edge is fed generated input
//! and must answer without a panic, refusing what it must refuse — bearer
//! tokens (random bytes, forged headers, validly signed tokens with claims
//! of any shape), and the Pika-text and SSE encoders, whose output a client
//! reads back with exactly the frames the platform wrote, whatever text a
//! model or tool put into the events.
//!
//! `PIKA_FUZZ_CASES` sets the cases per target: CI's smoke run uses the
//! default (1 000); `bash scripts/fuzz.sh` runs a long one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod jwt_support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jwt_support::*;
use pika_domain::ids::MessageId;
use pika_domain::stream::{SequencedEvent, TurnEvent};
use pika_http::streaming::{pika_text, sse};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn cases() -> u32 {
    std::env::var("PIKA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,24}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Claims close to valid ones, each field replaced or dropped at random.
fn claim_set() -> impl Strategy<Value = Map<String, Value>> {
    let fields = [
        "sub",
        "iss",
        "aud",
        "exp",
        "nbf",
        "iat",
        "userType",
        "roles",
        "customData",
        "firstName",
        "token_use",
    ];
    prop::collection::vec((0..3u8, any_json()), fields.len()).prop_map(move |choices| {
        let mut claims = claims();
        for (field, (choice, value)) in fields.iter().zip(choices) {
            match choice {
                0 => {}
                1 => {
                    claims.remove(*field);
                }
                _ => {
                    claims.insert((*field).to_string(), value);
                }
            }
        }
        claims
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_bearer_bytes_are_refused_without_a_panic(raw in prop::collection::vec(any::<u8>(), 0..600)) {
        let auth = runtime().block_on(authenticator());
        let token = String::from_utf8_lossy(&raw).replace(['\r', '\n'], "");
        let Ok(value) = http::HeaderValue::from_str(&format!("Bearer {token}")) else {
            return Ok(());
        };
        let mut parts = bearer("x");
        parts.headers.insert(http::header::AUTHORIZATION, value);
        let result = runtime().block_on(auth.authenticate(&parts));
        prop_assert!(result.is_err(), "random bytes authenticated");
    }

    #[test]
    fn forged_headers_with_any_payload_are_refused(header in any_json(), claims in any_json(), sig in ".{0,40}") {
        let auth = runtime().block_on(authenticator());
        let token = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            URL_SAFE_NO_PAD.encode(sig),
        );
        let result = runtime().block_on(auth_token(&auth, &token));
        prop_assert!(result.is_err(), "a token with a made-up signature authenticated");
    }

    #[test]
    fn signed_claims_of_any_shape_are_checked_not_trusted(claims in claim_set()) {
        let auth = runtime().block_on(authenticator());
        let token = hs256(&claims);
        let result = runtime().block_on(auth_token(&auth, &token));
        if let Ok(user) = result {
            // Whatever passed had every claim the rules require, as required.
            // A string, or a whole number taken in decimal (identity
            // providers send numeric ids; see auth/claims.rs).
            let sub = claims.get("sub").and_then(|s| match s {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
                _ => None,
            });
            prop_assert_eq!(sub.as_deref(), Some(user.user_id.as_str()));
            prop_assert_eq!(claims.get("iss"), Some(&json!(ISSUER)));
            let exp = claims.get("exp").and_then(Value::as_u64);
            prop_assert!(exp.is_some_and(|e| e > now()), "expired or no exp: {:?}", claims.get("exp"));
            let aud = claims.get("aud").cloned().unwrap_or(Value::Null);
            prop_assert!(aud == json!(AUDIENCE) || aud.as_array().is_some_and(|a| a.contains(&json!(AUDIENCE))));
        }
    }
}

/// Events a turn may emit, with text and JSON from an untrusted model.
fn event() -> impl Strategy<Value = TurnEvent> {
    let text = prop_oneof![
        ".{0,40}",
        prop::sample::select(vec![
            "<trace>",
            "</trace>",
            "<pika-metadata>",
            "</pika-metadata>",
            "<heartbeat/>",
            "<tra",
            "ce>",
            "</pika-",
            "<",
            "&lt;trace>",
            "\n\ndata: {}\n\n",
            "event: done\n",
        ])
        .prop_map(str::to_string),
    ];
    prop_oneof![
        4 => text.clone().prop_map(|text| TurnEvent::Delta { text }),
        1 => (text.clone(), any_json()).prop_map(|(kind, detail)| TurnEvent::Trace { kind, detail }),
        1 => (text.clone(), text.clone(), any_json()).prop_map(|(id, name, input)| TurnEvent::ToolCall {
            tool_use_id: id,
            tool_name: name,
            input,
        }),
        1 => (text.clone(), any::<bool>(), any_json()).prop_map(|(id, ok, output)| TurnEvent::ToolResult {
            tool_use_id: id,
            ok,
            output,
        }),
        1 => (text.clone(), text).prop_map(|(code, message)| TurnEvent::Error { code, message }),
    ]
}

fn message_id() -> MessageId {
    use pika_ports::IdGeneratorExt;
    pika_ports::UuidV7Ids.message_id()
}

fn sequenced(events: &[TurnEvent]) -> Vec<SequencedEvent> {
    events
        .iter()
        .cloned()
        .enumerate()
        .map(|(seq, event)| SequencedEvent {
            seq: seq as u64,
            event,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn pika_text_carries_exactly_the_frames_the_platform_wrote(
        events in prop::collection::vec(event(), 0..24),
        beats in prop::collection::vec(any::<bool>(), 24),
    ) {
        let mut encoder = pika_text::Encoder::default();
        let mut body = Vec::new();
        let (mut traces, mut metadata, mut heartbeats) = (0, 0, 0);
        for (e, beat) in sequenced(&events).iter().zip(beats.iter().chain(std::iter::repeat(&false))) {
            match &e.event {
                TurnEvent::Delta { .. } | TurnEvent::Session { .. } => {}
                TurnEvent::Done { .. } | TurnEvent::Error { .. } => metadata += 1,
                _ => traces += 1,
            }
            if let Some(bytes) = encoder.encode(e) {
                body.extend_from_slice(&bytes);
            }
            if *beat {
                body.extend_from_slice(&encoder.heartbeat());
                heartbeats += 1;
            }
        }
        // The held-back end of the text comes out with the final frame.
        let done = SequencedEvent { seq: 999, event: TurnEvent::Done {
            user_message_id: message_id(),
            assistant_message_id: message_id(),
            title: None,
            stopped: None,
        }};
        body.extend_from_slice(&encoder.encode(&done).unwrap());
        metadata += 1;
        let body = String::from_utf8(body).expect("the body is UTF-8");
        let parsed = pika_text::parse(&body);
        prop_assert_eq!(parsed.traces.len(), traces, "{}", body);
        prop_assert_eq!(parsed.heartbeats, heartbeats, "{}", body);
        prop_assert!(parsed.metadata.is_some());
        prop_assert_eq!(body.matches("<pika-metadata>").count(), metadata, "{}", body);
        for trace in &parsed.traces {
            prop_assert!(!trace.is_null(), "a frame's JSON did not parse: {}", body);
        }
    }

    #[test]
    fn sse_frames_read_back_as_written(events in prop::collection::vec(event(), 0..24)) {
        let assistant = message_id();
        let sequenced = sequenced(&events);
        let mut body = Vec::new();
        for e in &sequenced {
            body.extend_from_slice(&sse::encode(assistant, e));
            body.extend_from_slice(sse::HEARTBEAT);
        }
        let body = String::from_utf8(body).unwrap();
        let frames: Vec<_> = sse::parse(&body).into_iter().filter(|f| !f.comment).collect();
        prop_assert_eq!(frames.len(), sequenced.len(), "{}", body);
        for (frame, e) in frames.iter().zip(&sequenced) {
            prop_assert_eq!(frame.event.as_deref(), Some(e.event.name()));
            // The data line is the event's JSON, byte for byte (compared as
            // text: a float need not survive a parse exactly).
            prop_assert_eq!(&frame.data, &serde_json::to_string(&e.event.data()).unwrap());
        }
    }
}

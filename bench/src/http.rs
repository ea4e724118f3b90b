//! What the HTTP benchmark programs share: a loopback client, sign-in
//! through `POST /dev/token`, and a request timed to its first and last
//! body byte.

use serde_json::{json, Value};
use std::error::Error;
use std::time::{Duration, Instant};

/// A boxed error, for `?` in the programs.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// A client that never uses a proxy (everything is on loopback).
pub fn client(pool: usize) -> Result<reqwest::Client, BoxError> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(pool)
        .timeout(Duration::from_secs(120))
        .build()?)
}

/// A development token for `user` (an internal user), from `POST /dev/token`.
pub async fn sign_in(http: &reqwest::Client, base: &str, user: &str) -> Result<String, BoxError> {
    let response = http
        .post(format!("{base}/dev/token"))
        .json(&json!({ "userId": user, "userType": "internal-user" }))
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    body["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("POST /dev/token answered {status}: {body}").into())
}

/// One request, timed from just before it is sent.
#[derive(Debug, Clone)]
pub struct Timed {
    /// The status.
    pub status: u16,
    /// `x-chatbot-session-id`, when sent.
    pub session: Option<String>,
    /// Until the first body byte.
    pub first_byte: Duration,
    /// Until the first chunk holding `marker` (the whole time when none does).
    pub first_marker: Duration,
    /// Until the body ended.
    pub last_byte: Duration,
    /// The whole body.
    pub body: String,
}

/// Sends `request` and reads its body chunk by chunk, noting when the
/// first byte, the first `marker` and the end arrive.
pub async fn timed(request: reqwest::RequestBuilder, marker: &str) -> Result<Timed, BoxError> {
    let started = Instant::now();
    let mut response = request.send().await?;
    let status = response.status().as_u16();
    let session = response
        .headers()
        .get("x-chatbot-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = Vec::new();
    let mut first_byte = None;
    let mut first_marker = None;
    while let Some(chunk) = response.chunk().await? {
        if chunk.is_empty() {
            continue;
        }
        let now = started.elapsed();
        first_byte.get_or_insert(now);
        body.extend_from_slice(&chunk);
        if first_marker.is_none() && contains(&body, marker.as_bytes()) {
            first_marker = Some(now);
        }
    }
    let last_byte = started.elapsed();
    Ok(Timed {
        status,
        session,
        first_byte: first_byte.unwrap_or(last_byte),
        first_marker: first_marker.unwrap_or(last_byte),
        last_byte,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether an SSE body of a turn ended well: a `done` event, no `error`.
pub fn turn_finished(body: &str) -> bool {
    body.contains("event: done") && !body.contains("event: error")
}

/// Microseconds as milliseconds, for a table cell.
pub fn ms(micros: f64) -> String {
    format!("{:.3}", micros / 1000.0)
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The local server against slow and oversized requests, over raw TCP: a
//! body announced too large is refused before it is sent, a client that
//! never finishes its headers or its body is cut off, and connections past
//! the cap wait until one closes.

mod local_support;

use local_support::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Everything the server sends on `stream` until it closes it or `wait`
/// passes (`None` then).
async fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(wait, stream.read_to_end(&mut out)).await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&out).into_owned())
}

async fn connect(server: &LocalServer) -> TcpStream {
    TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Sends `request` (raw bytes, maybe unfinished) on a new connection and
/// returns what the server answers until it closes it within `wait`
/// (`None` when it does not).
async fn send_raw(server: &LocalServer, request: &[u8], wait: Duration) -> Option<String> {
    let mut stream = connect(server).await;
    stream.write_all(request).await.unwrap();
    read_until_closed(&mut stream, wait).await
}

fn quick_limits(config: &mut pika_local::config::LocalConfig) {
    config.server.header_read_timeout_seconds = 1;
    config.server.body_read_timeout_seconds = 1;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_announced_too_large_is_refused_before_it_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let server = LocalServer::start(config(dir.path(), None)).await;
    // 12 MB announced, nothing sent, no token: 413 at once.
    let answer = send_raw(
        &server,
        b"POST /sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 12000000\r\nConnection: close\r\n\r\n",
        Duration::from_secs(5),
    )
    .await
    .expect("answered without waiting for the body");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_never_finish_headers_or_body_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), None);
    quick_limits(&mut config);
    let server = LocalServer::start(config).await;
    let http = client();
    let token = sign_in(&http, &server, "slow").await;

    let stuck = send_raw(
        &server,
        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        Duration::from_secs(5),
    )
    .await;
    assert!(
        stuck.is_some(),
        "a connection stuck in its headers is closed"
    );

    let stalled = format!(
        "POST /sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"chatApp"
    );
    let answer = send_raw(&server, stalled.as_bytes(), Duration::from_secs(5))
        .await
        .expect("a stalled body is cut off");
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_wait_for_one_to_close() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), None);
    config.server.max_connections = 2;
    config.server.header_read_timeout_seconds = 30;
    let server = LocalServer::start(config).await;
    let (idle_one, idle_two) = (connect(&server).await, connect(&server).await);
    tokio::time::sleep(Duration::from_millis(200)).await;

    let health = |server: &LocalServer| {
        let url = server.url("/health");
        async move {
            client()
                .get(url)
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    };
    let waiting = tokio::spawn(health(&server));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(!waiting.is_finished(), "a third connection waits");
    drop(idle_one);
    let status = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("served once a connection closed")
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
    drop(idle_two);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_with_a_bad_signature_is_refused_before_its_body() {
    let dir = tempfile::tempdir().unwrap();
    let server = LocalServer::start(config(dir.path(), None)).await;
    // 60 MB announced, nothing sent: the signature is checked first.
    let answer = send_raw(
        &server,
        b"PUT /files/uploads/u/s/f/x.bin?expires=9999999999&sig=00 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 60000000\r\nConnection: close\r\n\r\n",
        Duration::from_secs(5),
    )
    .await
    .expect("answered without waiting for the body");
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    server.stop().await;
}

//! The anchor of row 4: a bare axum handler answering `GET /sessions` with
//! fixed bytes from memory (the body pika-local answered for the same
//! user), no authentication, no store.
//!
//! `bare_sessions PORT BODY_FILE` serves on 127.0.0.1:PORT until killed.

use axum::body::Bytes;
use axum::http::header;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use std::error::Error;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bare_sessions PORT BODY_FILE";
    let port: u16 = args.next().ok_or(usage)?.parse()?;
    let body = Bytes::from(std::fs::read(args.next().ok_or(usage)?)?);
    let app = Router::new().route(
        "/sessions",
        get(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body) }
        }),
    );
    // As pika-local serves: no Nagle delay on small writes.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await?
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    axum::serve(listener, app).await?;
    Ok(())
}

//! A typed Rust client of Pika's HTTP API, generated at build time by
//! progenitor from `docs/openapi-3.0.json` (the served document in
//! OpenAPI 3.0: progenitor reads no 3.1 yet), calling a running server:
//! the caller's chat apps, a new session, a streamed turn, the session's
//! messages.
//!
//! `bash scripts/run-client-example.sh` starts a `pika-local`, mints a
//! token and runs this against it (CI does). By hand, against a server you
//! run: `PIKA_URL=http://127.0.0.1:8080 PIKA_TOKEN=$(pika-local token
//! --user alice) cargo run -p pika-examples --example progenitor_client`.

use futures::StreamExt;

mod pika {
    progenitor::generate_api!(spec = "../docs/openapi-3.0.json", interface = Builder);
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("PIKA_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".to_string());
    let token = std::env::var("PIKA_TOKEN")
        .map_err(|_| "set PIKA_TOKEN (pika-local token --user alice)")?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse()?,
    );
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()?;
    let client = pika::Client::new_with_client(&url, http);

    let apps = client.list_chat_apps().send().await?.into_inner();
    let app = apps
        .items
        .first()
        .ok_or("no chat app is open to this user")?;
    println!("chat app: {} ({})", app.title, app.chat_app_id);

    let session = client
        .create()
        .body(pika::types::CreateSession {
            chat_app_id: app.chat_app_id.parse()?,
        })
        .send()
        .await?
        .into_inner();
    println!("session: {}", session.session_id);

    // A turn streams as server-sent events: the generated client hands
    // the body over as bytes.
    let turn = client
        .send_in_session()
        .id(session.session_id.to_string())
        .body(pika::types::SendBody {
            message: "Say hello in five words.".parse()?,
            client_message_id: None,
            file_ids: Vec::new(),
        })
        .send()
        .await?;
    let mut stream = turn.into_inner();
    let mut bytes = 0;
    while let Some(chunk) = stream.next().await {
        bytes += chunk?.len();
    }
    println!("turn: {bytes} bytes of events");

    let messages = client
        .messages()
        .id(session.session_id.to_string())
        .send()
        .await?
        .into_inner();
    for m in &messages.items {
        println!("{:?}: {}", m.role, m.content);
    }
    if messages.items.len() != 2 {
        return Err(format!(
            "expected the message and its answer, got {}",
            messages.items.len()
        )
        .into());
    }
    Ok(())
}

//! The chat service used directly, with no HTTP: a worker takes questions
//! from a queue (a channel here; SQS or Kafka in a real service), runs each
//! as a turn, consumes the turn's events as a stream — text, tool calls,
//! the end — and replies on another channel. The sessions and answers are
//! stored as the HTTP API would store them.
//!
//! Stores are `pika-testkit`'s fakes and the model follows a script, so it
//! runs anywhere.
//!
//! `cargo run -p pika-examples --example chat_in_a_worker`

use futures::StreamExt;
use pika_domain::ids::SessionId;
use pika_domain::stream::TurnEvent;
use pika_domain::user::User;
use pika_service::{Platform, PlatformBuilder, SendMessage, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::{fixtures, FakePorts};
use serde_json::json;
use tokio::sync::mpsc;

/// A question from the queue.
struct Job {
    user: User,
    question: String,
}

/// What the worker sends back.
#[derive(Debug)]
struct Reply {
    session: SessionId,
    answer: String,
    tools_run: Vec<String>,
}

/// Runs each job as a turn until the queue closes.
async fn worker(platform: Platform, mut jobs: mpsc::Receiver<Job>, replies: mpsc::Sender<Reply>) {
    while let Some(job) = jobs.recv().await {
        let target = TurnTarget::NewSession(fixtures::chat_app_id("orders"));
        let mut turn = match platform
            .chat
            .send(&job.user, SendMessage::new(target, job.question))
            .await
        {
            Ok(turn) => turn,
            Err(e) => {
                eprintln!("refused: {e}");
                continue;
            }
        };
        let mut reply = Reply {
            session: turn.session_id,
            answer: String::new(),
            tools_run: Vec::new(),
        };
        while let Some(event) = turn.events.next().await {
            match event.event {
                TurnEvent::Delta { text } => reply.answer.push_str(&text),
                TurnEvent::ToolCall { tool_name, .. } => reply.tools_run.push(tool_name),
                TurnEvent::Error { message, .. } => eprintln!("the turn failed: {message}"),
                _ => {}
            }
        }
        if replies.send(reply).await.is_err() {
            return;
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fakes = FakePorts::with_site(fixtures::site());
    fakes
        .seed_app(
            &fixtures::chat_app("orders", "clerk"),
            &fixtures::agent("clerk", &["order-status"]),
            &[fixtures::inline_tool("order-status", "order_status")],
        )
        .await?;
    fakes
        .tool_invoker
        .on("order_status", |_| Ok(json!({ "status": "shipped" })));
    // The model asks for the tool, then answers with its result.
    fakes.runtime.push(Script::tool_call(
        "t1",
        "order_status",
        json!({ "query": "A-42" }),
    ));
    fakes
        .runtime
        .push(Script::answer("Order A-42 has shipped."));
    let platform = PlatformBuilder::from_ports(fakes.ports()).build()?;

    let (jobs, queue) = mpsc::channel(8);
    let (replies_tx, mut replies) = mpsc::channel(8);
    let running = tokio::spawn(worker(platform.clone(), queue, replies_tx));

    jobs.send(Job {
        user: fixtures::customer("alice"),
        question: "Where is my order A-42?".to_string(),
    })
    .await?;
    drop(jobs);

    let reply = replies.recv().await.ok_or("the worker stopped")?;
    running.await?;
    println!("{reply:?}");
    assert_eq!(reply.answer, "Order A-42 has shipped.");
    assert_eq!(reply.tools_run, ["order_status"]);
    // Stored as the HTTP API would: the question and the answer.
    let stored = fakes.messages.of_session(&reply.session);
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[1].tool_calls.len(), 1);
    Ok(())
}

//! A scripted chat turn in the terminal: a customer asks about the weather,
//! the agent calls a tool, answers, the verifier grades the answer F, and the
//! agent corrects itself once. Everything runs on `pika-testkit` fakes, so no
//! AWS account or model is needed.
//!
//! `cargo run -p pika-examples --example scripted_turn`

use futures::StreamExt;
use pika_domain::access::AccessRules;
use pika_domain::features::{TracesFeature, VerifyResponseFeature};
use pika_domain::user::UserType;
use pika_domain::verification::Grade;
use pika_ports::{AgentStore, ChatAppStore, CompletionPurpose, StopReason, ToolStore};
use pika_service::{ChatService, ConfigCache, SendMessage, ServiceSettings, TurnTarget};
use pika_testkit::fakes::runtime::Script;
use pika_testkit::{fixtures, FakePorts};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Given: a site where answers are verified and corrected from grade C up,
    // a chat app whose agent has a weather tool.
    let mut site = fixtures::site();
    site.features.verify_response = Some(VerifyResponseFeature {
        enabled: true,
        rules: AccessRules::for_types([UserType::ExternalUser, UserType::InternalUser]),
        auto_reprompt_threshold: Some(Grade::C),
    });
    // Show traces, including tool inputs and outputs, to everyone.
    let everyone = AccessRules::for_types([UserType::ExternalUser, UserType::InternalUser]);
    site.features.traces = Some(TracesFeature {
        enabled: true,
        rules: everyone.clone(),
        detailed_traces: Some(everyone),
    });
    let fakes = FakePorts::new();
    fakes
        .tools
        .create(&fixtures::inline_tool("weather", "get_weather"))
        .await?;
    fakes
        .agents
        .create(&fixtures::agent("concierge", &["weather"]))
        .await?;
    fakes
        .chat_apps
        .create(&fixtures::chat_app("travel", "concierge"))
        .await?;
    fakes.tool_invoker.on("get_weather", |input| {
        Ok(json!({ "city": input["query"], "forecast": "rain", "tempC": 14 }))
    });

    // The model's part, scripted: a tool call, an answer, then a correction.
    fakes.runtime.push(Script::tool_call(
        "call-1",
        "get_weather",
        json!({ "query": "Lyon" }),
    ));
    fakes.runtime.push(
        Script::new()
            .delta("Tomorrow in Lyon: sunny, ")
            .delay(Duration::from_millis(150))
            .delta("14 °C.")
            .usage(420, 18)
            .complete(StopReason::EndTurn),
    );
    fakes.runtime.push(Script::answer(
        "Sorry — the forecast says rain, 14 °C. Take an umbrella.",
    ));
    fakes.completions.push(
        CompletionPurpose::Verification,
        r#"{"classification":"F","explanation":"the tool said rain, not sun"}"#,
    );
    fakes.completions.push(
        CompletionPurpose::Verification,
        r#"{"classification":"A","explanation":"matches the tool output"}"#,
    );
    fakes
        .completions
        .push(CompletionPurpose::Title, "Weather in Lyon tomorrow");

    // The site configuration is data in the store, as a deployment seeds it.
    fakes.site.set(site);
    let ports = fakes.ports();
    let settings = ServiceSettings::default();
    let config = Arc::new(ConfigCache::new(ports.clone(), settings.config_ttl));
    let chat = ChatService::new(ports, settings, config);

    // When: a customer sends the first message of a session.
    let customer = fixtures::customer("alice");
    let message = SendMessage::new(
        TurnTarget::NewSession(fixtures::chat_app_id("travel")),
        "What's the weather in Lyon tomorrow?",
    );
    let mut turn = chat.send(&customer, message).await?;
    println!("alice> What's the weather in Lyon tomorrow?\n");
    while let Some(event) = turn.events.next().await {
        println!("{}", pika_examples::describe(&event));
    }

    // Then: what was stored.
    let stored = fakes.messages.of_session(&turn.session_id);
    let session = fakes
        .sessions
        .find(&turn.session_id)
        .ok_or("session missing")?;
    println!(
        "\nstored {} messages; session title: {:?}",
        stored.len(),
        session.title
    );
    if let Some(answer) = stored.last() {
        println!("answer as stored:\n{}", answer.content);
    }
    println!(
        "session usage: {} input + {} output tokens, ${:.6}",
        session.usage.input_tokens, session.usage.output_tokens, session.usage.total_cost
    );
    println!(
        "metrics: SelfCorrectionRate = {:?}",
        fakes.metrics.values("SelfCorrectionRate")
    );
    Ok(())
}

//! The tool answers real Bedrock action-group events (the fixture the Lambda
//! shell's tests use) in the response shape Bedrock expects.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use pika_example_order_status_tool::handle;
use pika_lambda_tool::{self as tool, ActionGroupEvent};
use pika_ports::action_group::ResponseState;
use serde_json::{json, Value};

fn event() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../pika-lambda-tool/tests/events/bedrock_action_group.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn answer(event: Value) -> Value {
    let event: ActionGroupEvent = serde_json::from_value(event).unwrap();
    serde_json::to_value(tool::handle(&handle, event).await).unwrap()
}

#[tokio::test]
async fn a_known_order_is_answered_with_its_status_and_items() {
    let response = answer(event()).await;
    assert_eq!(response["messageVersion"], "1.0");
    assert_eq!(response["response"]["actionGroup"], "order-status");
    assert_eq!(response["response"]["function"], "get_order_status");
    let fr = &response["response"]["functionResponse"];
    assert!(fr.get("responseState").is_none(), "{response}");
    let body: Value =
        serde_json::from_str(fr["responseBody"]["TEXT"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({
            "orderId": "A-1001",
            "status": "shipped",
            "carrier": "DHL",
            "delivery": "2026-11-28",
            "items": ["Espresso machine", "Milk jug"]
        })
    );
}

#[tokio::test]
async fn bad_ids_and_mistyped_parameters_ask_the_model_again() {
    for (name, kind, value) in [
        ("order_id", "string", "1001"),
        ("order_id", "string", "A-9999"),
        ("include_items", "boolean", "perhaps"),
    ] {
        let mut e = event();
        let params = e["parameters"].as_array_mut().unwrap();
        params.retain(|p| p["name"] != name);
        params.push(json!({"name": name, "type": kind, "value": value}));
        let response: pika_ports::action_group::ActionGroupResponse =
            serde_json::from_value(answer(e).await).unwrap();
        assert_eq!(
            response.response.function_response.response_state,
            Some(ResponseState::Reprompt),
            "{name}={value}"
        );
    }
}

#[tokio::test]
async fn an_unknown_function_is_a_failure() {
    let mut e = event();
    e["function"] = json!("cancel_order");
    let response: pika_ports::action_group::ActionGroupResponse =
        serde_json::from_value(answer(e).await).unwrap();
    assert_eq!(
        response.response.function_response.response_state,
        Some(ResponseState::Failure)
    );
    assert!(response
        .response
        .function_response
        .response_body
        .text
        .body
        .contains("cancel_order"));
}

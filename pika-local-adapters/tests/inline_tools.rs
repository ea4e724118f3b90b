//! The inline tool registry and the two demo tools.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use pika_domain::chrono::{DateTime, TimeZone, Utc};
use pika_domain::tool::{ExecutionType, Tool, MAX_PARAMETERS};
use pika_local_adapters::inline_tools::demo::{self, convert_units, current_time};
use pika_local_adapters::inline_tools::InlineTools;
use pika_ports::{ErrorKind, PortError, ToolInvocation, ToolInvoker};
use pika_testkit::fakes::clock::ManualClock;
use pika_testkit::fixtures::{inline_tool, tool_name};
use serde_json::{json, Map, Value};
use std::sync::Arc;

fn call(tool: Tool, function: &str, input: Value) -> ToolInvocation {
    let mut attributes = Map::new();
    attributes.insert("userId".into(), json!("u-1"));
    ToolInvocation {
        tool,
        function: tool_name(function),
        input,
        session_attributes: attributes,
    }
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap()
}

fn registry_with_echo() -> InlineTools {
    let mut tools = InlineTools::new();
    tools.register_fn("echo", |input, attributes| async move {
        Ok(json!({ "input": input, "user": attributes.get("userId") }))
    });
    tools.register_fn("refuse", |_, _| async {
        Err(PortError::invalid("bad input"))
    });
    tools.register_fn("explode", |_, _| async { panic!("boom") });
    tools
}

#[tokio::test]
async fn a_registered_function_gets_the_input_and_the_session_attributes() {
    let tools = registry_with_echo();
    assert_eq!(tools.functions(), vec!["echo", "explode", "refuse"]);
    let output = tools
        .invoke(call(inline_tool("echo", "echo"), "echo", json!({ "q": 1 })))
        .await
        .unwrap();
    assert_eq!(output, json!({ "input": { "q": 1 }, "user": "u-1" }));
}

#[tokio::test]
async fn failures_keep_their_kind_and_a_panic_is_permanent() {
    let tools = registry_with_echo();
    let refused = tools
        .invoke(call(inline_tool("refuse", "refuse"), "refuse", json!({})))
        .await
        .unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Invalid);
    let exploded = tools
        .invoke(call(
            inline_tool("explode", "explode"),
            "explode",
            json!({}),
        ))
        .await
        .unwrap_err();
    assert_eq!(exploded.kind, ErrorKind::Permanent);
    assert!(exploded.message.contains("panicked"));
}

#[tokio::test]
async fn an_unknown_function_is_not_found() {
    let error = registry_with_echo()
        .invoke(call(
            inline_tool("missing", "missing"),
            "missing",
            json!({}),
        ))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert!(error.message.contains("missing"));
}

#[tokio::test]
async fn a_lambda_tool_is_refused_even_when_its_function_name_is_registered() {
    let mut tool = inline_tool("echo", "echo");
    tool.execution_type = ExecutionType::Lambda;
    tool.lambda_arn = Some("arn:aws:lambda:eu-west-1:123456789012:function:echo".into());
    let error = registry_with_echo()
        .invoke(call(tool, "echo", json!({})))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Permanent);
    assert!(
        error.message.contains("no invoker for lambda tools here"),
        "{error}"
    );
}

#[test]
fn current_time_in_named_zones_follows_daylight_saving() {
    let summer = at(2025, 7, 1, 12, 0);
    let winter = at(2025, 1, 15, 12, 0);
    for (zone, now, offset, local, dst) in [
        ("Europe/Paris", summer, "+02:00", "14:00:00", true),
        ("Europe/Paris", winter, "+01:00", "13:00:00", false),
        ("paris", winter, "+01:00", "13:00:00", false),
        ("America/New_York", summer, "-04:00", "08:00:00", true),
        ("America/New_York", winter, "-05:00", "07:00:00", false),
        ("New York", winter, "-05:00", "07:00:00", false),
        ("Asia/Kolkata", winter, "+05:30", "17:30:00", false),
        ("Australia/Sydney", winter, "+11:00", "23:00:00", true),
        ("UTC", summer, "+00:00", "12:00:00", false),
    ] {
        let out = current_time(&json!({ "timeZone": zone }), now).unwrap();
        assert_eq!(out["utcOffset"], offset, "{zone}");
        assert_eq!(out["time"], local, "{zone}");
        assert_eq!(out["dst"], dst, "{zone}");
    }
    let paris = current_time(&json!({ "timeZone": "Europe/Paris" }), summer).unwrap();
    assert_eq!(paris["timeZone"], "Europe/Paris");
    assert_eq!(paris["iso"], "2025-07-01T14:00:00+02:00");
    assert_eq!(paris["date"], "2025-07-01");
    assert_eq!(paris["weekday"], "Tuesday");
}

#[test]
fn current_time_takes_fixed_offsets_and_defaults_to_utc() {
    let now = at(2025, 12, 31, 23, 30);
    let plus_two = current_time(&json!({ "timeZone": "+02:00" }), now).unwrap();
    assert_eq!(plus_two["iso"], "2026-01-01T01:30:00+02:00");
    assert_eq!(plus_two["weekday"], "Thursday");
    let minus = current_time(&json!({ "timeZone": "UTC-05:30" }), now).unwrap();
    assert_eq!(minus["time"], "18:00:00");
    let default = current_time(&json!({}), now).unwrap();
    assert_eq!(default["timeZone"], "UTC");
    assert_eq!(default["time"], "23:30:00");
}

#[test]
fn current_time_refuses_what_it_does_not_know() {
    let now = at(2025, 1, 1, 0, 0);
    for input in [
        json!({ "timeZone": "Mars/Olympus_Mons" }),
        json!({ "timeZone": "+15:00" }),
        json!({ "timeZone": 2 }),
    ] {
        let error = current_time(&input, now).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Invalid, "{input}");
    }
    let unknown = current_time(&json!({ "timeZone": "Mars/Olympus_Mons" }), now).unwrap_err();
    assert!(unknown.message.contains("Europe/Paris") && unknown.message.contains("+02:00"));
}

#[test]
fn convert_units_converts_length_mass_and_temperature() {
    for (value, from, to, expected) in [
        (json!(10), "km", "mi", 6.213711922),
        (json!(1), "mi", "m", 1609.344),
        (json!(12), "in", "ft", 1.0),
        (json!(3), "ft", "m", 0.9144),
        (json!(1), "lb", "kg", 0.45359237),
        (json!(16), "oz", "lb", 1.0),
        (json!(2500), "g", "kg", 2.5),
        (json!(100), "C", "F", 212.0),
        (json!(32), "°F", "celsius", 0.0),
        (json!(0), "K", "C", -273.15),
        (json!(-40), "F", "C", -40.0),
        (json!("5"), "Kilometers", "m", 5000.0),
    ] {
        let out = convert_units(&json!({ "value": value, "from": from, "to": to })).unwrap();
        let got = out["value"].as_f64().unwrap();
        assert!(
            (got - expected).abs() < 1e-9,
            "{value} {from} → {to}: {got}"
        );
    }
    let out = convert_units(&json!({ "value": 1, "from": "kg", "to": "lb" })).unwrap();
    assert_eq!(out["unit"], "lb");
    assert_eq!(out["input"], json!({ "value": 1.0, "unit": "kg" }));
}

#[test]
fn convert_units_refuses_bad_input_with_a_clear_message() {
    let error = |input: Value| convert_units(&input).unwrap_err();
    let unknown = error(json!({ "value": 1, "from": "parsec", "to": "m" }));
    assert_eq!(unknown.kind, ErrorKind::Invalid);
    assert!(
        unknown.message.contains("unknown unit 'parsec'"),
        "{unknown}"
    );
    let mixed = error(json!({ "value": 1, "from": "km", "to": "kg" }));
    assert!(
        mixed
            .message
            .contains("cannot convert km (length) to kg (mass)"),
        "{mixed}"
    );
    let cold = error(json!({ "value": -500, "from": "C", "to": "K" }));
    assert!(cold.message.contains("absolute zero"), "{cold}");
    for input in [
        json!({ "from": "m", "to": "km" }),
        json!({ "value": "lots", "from": "m", "to": "km" }),
        json!({ "value": 1, "to": "km" }),
    ] {
        assert_eq!(error(input).kind, ErrorKind::Invalid);
    }
}

#[tokio::test]
async fn the_demo_tools_run_through_the_registry_with_the_given_clock() {
    let clock = Arc::new(ManualClock::new(at(2026, 6, 1, 8, 0)));
    let mut tools = InlineTools::new();
    demo::register(&mut tools, clock.clone());
    let definitions = demo::demo_tool_definitions();
    let time_tool = definitions
        .iter()
        .find(|t| t.name.as_str() == demo::CURRENT_TIME)
        .unwrap()
        .clone();
    let out = tools
        .invoke(call(
            time_tool.clone(),
            demo::CURRENT_TIME,
            json!({ "timeZone": "Europe/Berlin" }),
        ))
        .await
        .unwrap();
    assert_eq!(out["time"], "10:00:00");
    clock.advance(pika_domain::chrono::Duration::hours(1));
    let later = tools
        .invoke(call(
            time_tool,
            demo::CURRENT_TIME,
            json!({ "timeZone": "Europe/Berlin" }),
        ))
        .await
        .unwrap();
    assert_eq!(later["time"], "11:00:00");
}

#[test]
fn the_demo_tool_definitions_are_valid_inline_tools() {
    let definitions = demo::demo_tool_definitions();
    let names: Vec<&str> = definitions.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec![demo::CURRENT_TIME, demo::CONVERT_UNITS]);
    let mut registry = InlineTools::new();
    demo::register(&mut registry, Arc::new(ManualClock::standard()));
    for tool in &definitions {
        tool.validate().unwrap();
        assert_eq!(tool.execution_type, ExecutionType::Inline);
        for function in &tool.function_schema {
            assert!(function.parameters.len() <= MAX_PARAMETERS);
            assert!(
                registry.contains(function.name.as_str()),
                "{}",
                function.name
            );
        }
    }
    let units = &definitions[1].function_schema[0].json_schema();
    assert_eq!(units["required"], json!(["from", "to", "value"]));
}

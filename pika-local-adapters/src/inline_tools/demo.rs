//! Two real inline tools the local server registers and seeds, so a fresh
//! install has tools a small model can call:
//!
//! - `current_time` — `{"timeZone": "Europe/Paris" | "UTC" | "+02:00"}` → the
//!   time there. Named zones come from a small built-in table with their
//!   daylight-saving rules (no zone database); unknown names are refused
//!   with the list of accepted ones.
//! - `convert_units` — `{"value": 10, "from": "km", "to": "mi"}` for length
//!   (m, km, mi, ft, in), mass (kg, g, lb, oz) and temperature (C, F, K).
//!
//! ```
//! use pika_local_adapters::inline_tools::{demo, InlineTools};
//! use pika_ports::SystemClock;
//! use std::sync::Arc;
//!
//! let mut tools = InlineTools::new();
//! demo::register(&mut tools, Arc::new(SystemClock));
//! assert_eq!(tools.functions(), vec!["convert_units", "current_time"]);
//! assert_eq!(demo::demo_tool_definitions().len(), 2);
//! ```

use super::{time, units, InlineTools};
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{ToolId, ToolName};
use pika_domain::tool::{ExecutionType, FunctionSchema, ParameterSchema, ParameterType, Tool};
use pika_ports::{Clock, PortError};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The function (and tool) name of the time tool.
pub const CURRENT_TIME: &str = "current_time";
/// The function (and tool) name of the unit converter.
pub const CONVERT_UNITS: &str = "convert_units";

/// The time now in the zone `input["timeZone"]` names (UTC when absent).
///
/// # Errors
/// `Invalid` for an unknown zone or an out-of-range offset; the message
/// lists what is accepted.
pub fn current_time(input: &Value, now: DateTime<Utc>) -> Result<Value, PortError> {
    time::current_time(input, now)
}

/// Converts `input["value"]` from unit `input["from"]` to unit `input["to"]`.
///
/// # Errors
/// `Invalid` for a missing or non-numeric value, an unknown unit, units of
/// different dimensions, or a temperature below absolute zero.
pub fn convert_units(input: &Value) -> Result<Value, PortError> {
    units::convert_units(input)
}

/// Registers `current_time` (reading `clock`) and `convert_units` in `tools`.
pub fn register(tools: &mut InlineTools, clock: Arc<dyn Clock>) {
    tools.register_fn(CURRENT_TIME, move |input, _attributes| {
        let now = clock.now();
        async move { current_time(&input, now) }
    });
    tools.register_fn(CONVERT_UNITS, |input, _attributes| async move {
        convert_units(&input)
    });
}

/// The [`Tool`] records of the demo tools (execution type `inline`, one
/// function each), for the local server to seed. Each passes
/// [`Tool::validate`].
pub fn demo_tool_definitions() -> Vec<Tool> {
    let now = Utc::now();
    let time_tool = tool(
        CURRENT_TIME,
        "Current time",
        "Tells the current date and time in a time zone.",
        "Returns the current date, time, weekday and UTC offset in a time zone.",
        &[(
            "timeZone",
            ParameterType::String,
            "IANA zone such as Europe/Paris or America/New_York, 'UTC', or a UTC offset such as +02:00. Defaults to UTC.",
            false,
        )],
        now,
    );
    let units_tool = tool(
        CONVERT_UNITS,
        "Unit converter",
        "Converts lengths, masses and temperatures between units.",
        "Converts a value between units of length (m, km, mi, ft, in), mass (kg, g, lb, oz) or temperature (C, F, K).",
        &[
            ("value", ParameterType::Number, "The number to convert.", true),
            ("from", ParameterType::String, "The unit of the value, e.g. km, lb or C.", true),
            ("to", ParameterType::String, "The unit to convert to, e.g. mi, kg or F.", true),
        ],
        now,
    );
    // The names are constants that match the tool-name pattern, so neither
    // is ever dropped; a test checks that both are there and valid.
    [time_tool, units_tool].into_iter().flatten().collect()
}

/// One inline tool with one function named like the tool.
fn tool(
    name: &str,
    display_name: &str,
    description: &str,
    function_description: &str,
    parameters: &[(&str, ParameterType, &str, bool)],
    now: DateTime<Utc>,
) -> Option<Tool> {
    let parameters: BTreeMap<String, ParameterSchema> = parameters
        .iter()
        .map(|(p, kind, text, required)| {
            let schema = ParameterSchema {
                kind: *kind,
                description: (*text).to_string(),
                required: *required,
            };
            ((*p).to_string(), schema)
        })
        .collect();
    Some(Tool {
        tool_id: ToolId::parse(name).ok()?,
        name: ToolName::parse(name).ok()?,
        display_name: display_name.to_string(),
        description: description.to_string(),
        execution_type: ExecutionType::Inline,
        lambda_arn: None,
        http: None,
        mcp: None,
        execution_timeout_ms: Some(5_000),
        function_schema: vec![FunctionSchema {
            name: ToolName::parse(name).ok()?,
            description: function_description.to_string(),
            parameters,
            require_confirmation: false,
        }],
        version: 1,
        created_at: now,
        updated_at: now,
        updated_by: None,
    })
}

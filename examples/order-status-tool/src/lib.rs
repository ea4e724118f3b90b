//! An example tool function: the status of a customer's order.
//!
//! It serves a Bedrock agent action group and Pika's Lambda tool invoker
//! alike (both send the action-group event), built on
//! [`pika_lambda_tool`]. Register it with `tool.json` (the Pika tool
//! definition, `POST /admin/tools`) and tag the function `agent-tool=true`.
//! The orders are a fixed sample; a real tool would call the order system.

use pika_lambda_tool::{ToolCall, ToolError};
use serde::{Deserialize, Serialize};

/// The arguments of `get_order_status`, as `tool.json` declares them.
#[derive(Debug, Deserialize)]
pub struct OrderQuery {
    /// `A-` followed by digits.
    pub order_id: String,
    /// Also list the items.
    #[serde(default)]
    pub include_items: bool,
}

/// What the tool answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderStatus {
    /// The order.
    pub order_id: String,
    /// `processing`, `shipped` or `delivered`.
    pub status: &'static str,
    /// Who carries it, once shipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier: Option<&'static str>,
    /// Expected (or actual) delivery day.
    pub delivery: &'static str,
    /// The items, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<&'static str>>,
}

struct Order {
    id: &'static str,
    status: &'static str,
    carrier: Option<&'static str>,
    delivery: &'static str,
    items: &'static [&'static str],
}

const ORDERS: &[Order] = &[
    Order {
        id: "A-1001",
        status: "shipped",
        carrier: Some("DHL"),
        delivery: "2026-11-28",
        items: &["Espresso machine", "Milk jug"],
    },
    Order {
        id: "A-1002",
        status: "processing",
        carrier: None,
        delivery: "2026-12-02",
        items: &["Coffee grinder"],
    },
];

fn well_formed(id: &str) -> bool {
    id.strip_prefix("A-")
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// The handler: the order's status, `REPROMPT` for an id that is malformed
/// or unknown (the model should ask the user again).
///
/// # Errors
/// `Reprompt` for bad or unknown order ids; `Failure` for an unknown function.
pub async fn handle(call: ToolCall) -> Result<OrderStatus, ToolError> {
    if call.function != "get_order_status" {
        return Err(ToolError::Failure(format!(
            "unknown function {}",
            call.function
        )));
    }
    let query: OrderQuery = call.args()?;
    let id = query.order_id.trim().to_ascii_uppercase();
    if !well_formed(&id) {
        return Err(ToolError::Reprompt(format!(
            "{:?} is not an order id; order ids look like A-1001",
            query.order_id
        )));
    }
    let order = ORDERS
        .iter()
        .find(|o| o.id == id)
        .ok_or_else(|| ToolError::Reprompt(format!("there is no order {id}; check the id")))?;
    Ok(OrderStatus {
        order_id: order.id.to_string(),
        status: order.status,
        carrier: order.carrier,
        delivery: order.delivery,
        items: query.include_items.then(|| order.items.to_vec()),
    })
}

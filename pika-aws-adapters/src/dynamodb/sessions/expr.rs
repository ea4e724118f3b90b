//! An `UpdateItem` request under construction: its `SET` and `REMOVE`
//! clauses, its condition, and the attribute names and values they use.
//!
//! Every attribute is referred to as `#name` and every value as `:name`, so
//! reserved words (`usage`, `status`, …) never break an expression.

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Update};
use pika_ports::{PortError, PortResult};
use std::collections::HashMap;

/// The clauses, condition, names and values of one `UpdateItem`.
#[derive(Debug, Default)]
pub(super) struct UpdateExpr {
    sets: Vec<String>,
    removes: Vec<String>,
    conditions: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl UpdateExpr {
    /// The placeholder of the attribute `attr`.
    fn name(&mut self, attr: &str) -> String {
        let placeholder = format!("#{attr}");
        self.names.insert(placeholder.clone(), attr.to_string());
        placeholder
    }

    /// The placeholder of a value, named after what it is for.
    fn value(&mut self, label: &str, value: AttributeValue) -> String {
        let placeholder = format!(":{label}");
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// `SET attr = value`.
    pub(super) fn set(&mut self, attr: &str, value: AttributeValue) {
        let name = self.name(attr);
        let value = self.value(attr, value);
        self.sets.push(format!("{name} = {value}"));
    }

    /// `SET attr = value` when there is a value, else `REMOVE attr`.
    pub(super) fn set_or_remove(&mut self, attr: &str, value: Option<AttributeValue>) {
        match value {
            Some(value) => self.set(attr, value),
            None => self.remove(attr),
        }
    }

    /// `REMOVE attr`.
    pub(super) fn remove(&mut self, attr: &str) {
        let name = self.name(attr);
        self.removes.push(name);
    }

    /// `SET map.field = map.field + amount`: an atomic add on a number
    /// inside a map, evaluated by DynamoDB, so concurrent adds never lose
    /// one another.
    pub(super) fn add_nested(&mut self, map: &str, field: &str, amount: AttributeValue) {
        let (map_name, field_name) = (self.name(map), self.name(field));
        let value = self.value(&format!("{map}_{field}"), amount);
        self.sets.push(format!(
            "{map_name}.{field_name} = {map_name}.{field_name} + {value}"
        ));
    }

    /// Requires the item to exist (its key attribute `key` is present).
    pub(super) fn require_exists(&mut self, key: &str) {
        let name = self.name(key);
        self.conditions.push(format!("attribute_exists({name})"));
    }

    /// Requires `attr` to equal `expected`.
    pub(super) fn require_equal(&mut self, attr: &str, expected: AttributeValue) {
        let name = self.name(attr);
        let value = self.value(&format!("expected_{attr}"), expected);
        self.conditions.push(format!("{name} = {value}"));
    }

    /// Whether the update changes nothing.
    pub(super) fn changes_nothing(&self) -> bool {
        self.sets.is_empty() && self.removes.is_empty()
    }

    /// The update expression, e.g. `SET #a = :a, #b = :b REMOVE #c`.
    fn expression(&self) -> String {
        let mut clauses = Vec::new();
        if !self.sets.is_empty() {
            clauses.push(format!("SET {}", self.sets.join(", ")));
        }
        if !self.removes.is_empty() {
            clauses.push(format!("REMOVE {}", self.removes.join(", ")));
        }
        clauses.join(" ")
    }

    /// This update as one item of a transaction on `table`'s item `key`.
    ///
    /// # Errors
    /// `Permanent` if the request is incomplete (a bug).
    pub(crate) fn into_transact_update(
        self,
        table: &str,
        key: HashMap<String, AttributeValue>,
    ) -> PortResult<Update> {
        let expression = self.expression();
        let condition = (!self.conditions.is_empty()).then(|| self.conditions.join(" AND "));
        let values = (!self.values.is_empty()).then_some(self.values);
        Update::builder()
            .table_name(table)
            .set_key(Some(key))
            .update_expression(expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(Some(self.names))
            .set_expression_attribute_values(values)
            .build()
            .map_err(|e| PortError::permanent(format!("transaction update: {e}")))
    }

    /// `request` with this update, condition, names and values.
    pub(super) fn apply(self, request: UpdateItemFluentBuilder) -> UpdateItemFluentBuilder {
        let expression = self.expression();
        let condition = (!self.conditions.is_empty()).then(|| self.conditions.join(" AND "));
        // DynamoDB refuses an empty map of values.
        let values = (!self.values.is_empty()).then_some(self.values);
        request
            .update_expression(expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(Some(self.names))
            .set_expression_attribute_values(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_are_joined_and_names_are_placeholders() {
        let mut e = UpdateExpr::default();
        e.add_nested("usage", "inputTokens", AttributeValue::N("3".into()));
        e.set("title", AttributeValue::S("x".into()));
        e.remove("share");
        e.require_exists("sessionId");
        e.require_equal("lastMessageId", AttributeValue::S("m".into()));
        assert_eq!(
            e.expression(),
            "SET #usage.#inputTokens = #usage.#inputTokens + :usage_inputTokens, \
             #title = :title REMOVE #share"
        );
        assert_eq!(
            e.conditions.join(" AND "),
            "attribute_exists(#sessionId) AND #lastMessageId = :expected_lastMessageId"
        );
        assert_eq!(e.names.get("#usage").map(String::as_str), Some("usage"));
        assert!(!e.changes_nothing());
        assert!(UpdateExpr::default().changes_nothing());
    }
}

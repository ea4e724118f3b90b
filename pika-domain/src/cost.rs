//! Token usage and its cost (PIKA.md §6): cost = tokens × the model's price
//! per million tokens, from a configurable price table.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::{Add, AddAssign};

/// Tokens of one or more model calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
}

impl TokenUsage {
    /// A usage of `input` prompt and `output` generated tokens.
    pub fn new(input: u64, output: u64) -> Self {
        Self {
            input_tokens: input,
            output_tokens: output,
        }
    }

    /// Input plus output.
    pub fn total(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

impl Add for TokenUsage {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        Self {
            input_tokens: self.input_tokens.saturating_add(rhs.input_tokens),
            output_tokens: self.output_tokens.saturating_add(rhs.output_tokens),
        }
    }
}

impl AddAssign for TokenUsage {
    fn add_assign(&mut self, rhs: Self) {
        *self = *self + rhs;
    }
}

/// Tokens with their cost in USD: what sessions and messages carry.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
    /// USD for the prompt tokens.
    pub input_cost: f64,
    /// USD for the generated tokens.
    pub output_cost: f64,
    /// USD in all.
    pub total_cost: f64,
}

impl Usage {
    /// The token part.
    pub fn tokens(&self) -> TokenUsage {
        TokenUsage::new(self.input_tokens, self.output_tokens)
    }
}

impl Add for Usage {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        Self {
            input_tokens: self.input_tokens.saturating_add(rhs.input_tokens),
            output_tokens: self.output_tokens.saturating_add(rhs.output_tokens),
            input_cost: round_usd(self.input_cost + rhs.input_cost),
            output_cost: round_usd(self.output_cost + rhs.output_cost),
            total_cost: round_usd(self.total_cost + rhs.total_cost),
        }
    }
}

impl AddAssign for Usage {
    fn add_assign(&mut self, rhs: Self) {
        *self = *self + rhs;
    }
}

/// Rounds to a millionth of a dollar, so sums of many small costs stay tidy.
pub fn round_usd(value: f64) -> f64 {
    (value * 1_000_000.0).round() / 1_000_000.0
}

/// USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    /// Per million prompt tokens.
    pub input_per_million: f64,
    /// Per million generated tokens.
    pub output_per_million: f64,
}

/// Prices by model id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PriceTable {
    /// Exact model ids (or ids without an inference-profile region prefix).
    #[serde(default)]
    pub models: BTreeMap<String, Price>,
    /// The price of models not listed; unlisted models cost nothing when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Price>,
}

/// Inference-profile prefixes that do not change the price.
const REGION_PREFIXES: [&str; 4] = ["us.", "eu.", "apac.", "global."];

impl PriceTable {
    /// Published on-demand prices of a few Bedrock models (USD per million tokens).
    pub fn bedrock_defaults() -> Self {
        let mut models = BTreeMap::new();
        let mut put = |id: &str, input: f64, output: f64| {
            models.insert(
                id.to_string(),
                Price {
                    input_per_million: input,
                    output_per_million: output,
                },
            );
        };
        put("anthropic.claude-3-5-sonnet-20240620-v1:0", 3.0, 15.0);
        put("anthropic.claude-3-5-sonnet-20241022-v2:0", 3.0, 15.0);
        put("anthropic.claude-3-7-sonnet-20250219-v1:0", 3.0, 15.0);
        put("anthropic.claude-3-haiku-20240307-v1:0", 0.25, 1.25);
        put("anthropic.claude-3-5-haiku-20241022-v1:0", 0.8, 4.0);
        put("anthropic.claude-haiku-4-5-20251001-v1:0", 1.0, 5.0);
        put("anthropic.claude-sonnet-4-5-20250929-v1:0", 3.0, 15.0);
        put("amazon.nova-lite-v1:0", 0.06, 0.24);
        put("amazon.nova-pro-v1:0", 0.8, 3.2);
        Self {
            models,
            fallback: None,
        }
    }

    /// The price of `model_id`: exact match, then without a region prefix,
    /// then the fallback.
    pub fn price_of(&self, model_id: &str) -> Option<Price> {
        if let Some(p) = self.models.get(model_id) {
            return Some(*p);
        }
        REGION_PREFIXES
            .iter()
            .find_map(|prefix| model_id.strip_prefix(prefix))
            .and_then(|bare| self.models.get(bare).copied())
            .or(self.fallback)
    }

    /// The cost of `tokens` on `model_id`.
    pub fn cost(&self, model_id: &str, tokens: TokenUsage) -> Usage {
        let price = self.price_of(model_id).unwrap_or(Price {
            input_per_million: 0.0,
            output_per_million: 0.0,
        });
        let input_cost = round_usd(tokens.input_tokens as f64 * price.input_per_million / 1e6);
        let output_cost = round_usd(tokens.output_tokens as f64 * price.output_per_million / 1e6);
        Usage {
            input_tokens: tokens.input_tokens,
            output_tokens: tokens.output_tokens,
            input_cost,
            output_cost,
            total_cost: round_usd(input_cost + output_cost),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sonnet_costs_three_and_fifteen_per_million() {
        let table = PriceTable::bedrock_defaults();
        let u = table.cost(
            "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
            TokenUsage::new(1_000_000, 100_000),
        );
        assert_eq!(u.input_cost, 3.0);
        assert_eq!(u.output_cost, 1.5);
        assert_eq!(u.total_cost, 4.5);
    }

    #[test]
    fn unknown_models_use_fallback_or_cost_nothing() {
        let mut table = PriceTable::default();
        assert_eq!(table.cost("x", TokenUsage::new(10, 10)).total_cost, 0.0);
        table.fallback = Some(Price {
            input_per_million: 1.0,
            output_per_million: 2.0,
        });
        assert_eq!(
            table
                .cost("x", TokenUsage::new(1_000_000, 1_000_000))
                .total_cost,
            3.0
        );
    }

    #[test]
    fn usage_adds_up() {
        let table = PriceTable::bedrock_defaults();
        let id = "anthropic.claude-3-5-sonnet-20240620-v1:0";
        let a = table.cost(id, TokenUsage::new(100, 10));
        let b = table.cost(id, TokenUsage::new(200, 20));
        let sum = a + b;
        assert_eq!(sum.input_tokens, 300);
        assert_eq!(sum.output_tokens, 30);
        assert_eq!(
            sum.total_cost,
            table.cost(id, TokenUsage::new(300, 30)).total_cost
        );
    }
}

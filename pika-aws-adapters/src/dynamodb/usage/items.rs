//! The items of the usage table: their keys, the `ADD` updates that count
//! a turn, and reading them back.

use crate::dynamodb::codec::{get_s, n, s, time_key, ttl, Item};
use aws_sdk_dynamodb::types::{AttributeValue, Update};
use pika_domain::chrono::{DateTime, Duration, NaiveDate, Utc};
use pika_domain::cost::{round_usd, Usage};
use pika_domain::ids::{ChatAppId, EntityId};
use pika_domain::quota::{bucket_start, QuotaScope, UsageBucket};
use pika_ports::{DailyUsage, PortError, PortResult, UsageRecord};

/// How long hour buckets live: quotas look back at most a month.
const BUCKET_LIFETIME_DAYS: i64 = 40;
/// The prefix of hour sort keys, and the upper end of their range (`~`
/// sorts after every character of a fixed time).
pub(super) const HOUR: &str = "hour#";
pub(super) const HOUR_END: &str = "hour#~";

pub(super) fn scope_pk(scope: QuotaScope, key: &str) -> String {
    match scope {
        QuotaScope::User => format!("user#{key}"),
        QuotaScope::Entity => format!("entity#{key}"),
    }
}

pub(super) fn day_pk(day: NaiveDate) -> String {
    format!("day#{}", day.format("%Y-%m-%d"))
}

fn key(pk: String, sk: String) -> Item {
    Item::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

/// The `ADD` updates that count one record: the user's hour, the entity's
/// hour and the day's aggregate of each of its models. They belong in one transaction
/// (`UsageLedger::record`'s own, or the turn journal's).
///
/// # Errors
/// `Invalid` for a cost that is no number (DynamoDB would refuse it).
pub(crate) fn ledger_updates(table: &str, record: &UsageRecord) -> PortResult<Vec<Update>> {
    let parts = record.by_model();
    for (_, u, _) in &parts {
        if ![u.input_cost, u.output_cost, u.total_cost]
            .iter()
            .all(|c| c.is_finite())
        {
            return Err(PortError::invalid(format!(
                "usage with a cost that is no number: {u:?}"
            )));
        }
    }
    let start = bucket_start(record.at);
    let tokens = record.total_tokens();
    // One update per item: a transaction may not touch an item twice, so
    // the hour buckets take the record's total and each model its own day
    // aggregate (`by_model` merges equal models).
    let mut updates = vec![
        add_to_hour(
            table,
            scope_pk(QuotaScope::User, record.user_id.as_str()),
            start,
            tokens,
        )?,
        add_to_hour(
            table,
            scope_pk(QuotaScope::Entity, record.entity_id.as_str()),
            start,
            tokens,
        )?,
    ];
    for (model, usage, counts_turn) in &parts {
        updates.push(add_to_day(table, record, model, usage, *counts_turn)?);
    }
    Ok(updates)
}

/// A cost as a DynamoDB number, rounded to a micro-dollar as [`Usage`]'s own
/// addition does (DynamoDB adds decimals exactly, so sums never drift).
fn cost(value: f64) -> AttributeValue {
    n(round_usd(value))
}

/// `ADD tokens` to one hour bucket, (re)setting its expiry.
fn add_to_hour(table: &str, pk: String, start: DateTime<Utc>, tokens: u64) -> PortResult<Update> {
    Update::builder()
        .table_name(table)
        .set_key(Some(key(pk, format!("{HOUR}{}", time_key(start)))))
        .update_expression("ADD #tokens :tokens SET #ttl = :ttl")
        .expression_attribute_names("#tokens", "tokens")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":tokens", n(tokens))
        .expression_attribute_values(":ttl", ttl(start + Duration::days(BUCKET_LIFETIME_DAYS)))
        .build()
        .map_err(|e| PortError::permanent(format!("usage update: {e}")))
}

/// `ADD` the turn to its day's aggregate; the descriptive attributes are set
/// by the first turn of the day.
fn add_to_day(
    table: &str,
    record: &UsageRecord,
    model: &str,
    u: &Usage,
    counts_turn: bool,
) -> PortResult<Update> {
    let day = record.at.date_naive();
    let sk = format!(
        "{}#{}#{}",
        record.chat_app_id.as_str(),
        record.entity_id.as_str(),
        model
    );
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(key(day_pk(day), sk)))
        .update_expression(
            "ADD #inputTokens :inputTokens, #outputTokens :outputTokens, \
             #inputCost :inputCost, #outputCost :outputCost, #totalCost :totalCost, #turns :turns \
             SET #day = if_not_exists(#day, :day), #chatAppId = if_not_exists(#chatAppId, :chatAppId), \
             #entityId = if_not_exists(#entityId, :entityId), #modelId = if_not_exists(#modelId, :modelId)",
        );
    let values = [
        ("inputTokens", n(u.input_tokens)),
        ("outputTokens", n(u.output_tokens)),
        ("inputCost", cost(u.input_cost)),
        ("outputCost", cost(u.output_cost)),
        ("totalCost", cost(u.total_cost)),
        ("turns", n(u64::from(counts_turn))),
        ("day", s(day.format("%Y-%m-%d").to_string())),
        ("chatAppId", s(record.chat_app_id.as_str())),
        ("entityId", s(record.entity_id.as_str())),
        ("modelId", s(model)),
    ];
    for (name, value) in values {
        let placeholder = format!(":{name}");
        update = update
            .expression_attribute_names(format!("#{name}"), name)
            .expression_attribute_values(placeholder, value);
    }
    update
        .build()
        .map_err(|e| PortError::permanent(format!("usage update: {e}")))
}

fn missing(name: &str) -> PortError {
    PortError::permanent(format!("usage item without a valid {name}"))
}

fn text<'a>(item: &'a Item, name: &str) -> PortResult<&'a str> {
    get_s(item, name).ok_or_else(|| missing(name))
}

fn number<T: std::str::FromStr>(item: &Item, name: &str) -> PortResult<T> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| missing(name))
}

pub(super) fn bucket_of(item: &Item) -> PortResult<UsageBucket> {
    let start = text(item, "sk")?
        .strip_prefix(HOUR)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .ok_or_else(|| missing("sk"))?;
    Ok(UsageBucket {
        start: start.with_timezone(&Utc),
        tokens: number(item, "tokens")?,
    })
}

pub(super) fn daily_of(item: &Item) -> PortResult<DailyUsage> {
    Ok(DailyUsage {
        day: NaiveDate::parse_from_str(text(item, "day")?, "%Y-%m-%d")
            .map_err(|_| missing("day"))?,
        chat_app_id: ChatAppId::parse(text(item, "chatAppId")?)
            .map_err(|_| missing("chatAppId"))?,
        entity_id: EntityId::parse(text(item, "entityId")?).map_err(|_| missing("entityId"))?,
        model_id: text(item, "modelId")?.to_string(),
        usage: Usage {
            input_tokens: number(item, "inputTokens")?,
            output_tokens: number(item, "outputTokens")?,
            input_cost: number(item, "inputCost")?,
            output_cost: number(item, "outputCost")?,
            total_cost: number(item, "totalCost")?,
        },
        turns: number(item, "turns")?,
    })
}

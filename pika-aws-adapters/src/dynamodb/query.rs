//! Paged queries that hide DynamoDB's 1 MB page limit, and batch deletes
//! that retry unprocessed items.

use super::codec::Item;
use super::cursor::key_of;
use super::errors::ddb_error;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use pika_ports::{PortError, PortResult};
use std::time::Duration;

/// One page of `limit` items of a query, continued past DynamoDB's 1 MB
/// pages, and the key of its last item when more follow (`key_attrs`: the
/// table's and the index's key attributes, which is what DynamoDB's own
/// `LastEvaluatedKey` holds).
///
/// `make` builds the query afresh for each request (builders are consumed).
///
/// # Errors
/// As DynamoDB's, classified.
pub async fn query_page(
    make: impl Fn() -> QueryFluentBuilder,
    limit: usize,
    start: Option<Item>,
    key_attrs: &[&str],
) -> PortResult<(Vec<Item>, Option<Item>)> {
    let want = limit.saturating_add(1);
    let mut items: Vec<Item> = Vec::new();
    let mut start = start;
    loop {
        let remaining = i32::try_from(want - items.len()).unwrap_or(i32::MAX);
        let output = make()
            .limit(remaining)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| ddb_error("query", e))?;
        items.extend(output.items.unwrap_or_default());
        match output.last_evaluated_key {
            Some(key) if items.len() < want => start = Some(key),
            _ => break,
        }
    }
    if items.len() > limit {
        items.truncate(limit);
        let next = items.last().map(|last| key_of(last, key_attrs));
        Ok((items, next))
    } else {
        Ok((items, None))
    }
}

/// Every item of a query (for deletes and small bounded reads).
///
/// # Errors
/// As DynamoDB's, classified.
pub async fn query_all(make: impl Fn() -> QueryFluentBuilder) -> PortResult<Vec<Item>> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let output = make()
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| ddb_error("query", e))?;
        items.extend(output.items.unwrap_or_default());
        match output.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return Ok(items),
        }
    }
}

/// Deletes the items with `keys` from `table` (see [`batch_write`]).
///
/// # Errors
/// As [`batch_write`].
pub async fn batch_delete(client: &Client, table: &str, keys: Vec<Item>) -> PortResult<()> {
    let requests = keys
        .into_iter()
        .map(|key| {
            DeleteRequest::builder()
                .set_key(Some(key))
                .build()
                .map(|d| WriteRequest::builder().delete_request(d).build())
                .map_err(|e| PortError::permanent(format!("delete request: {e}")))
        })
        .collect::<PortResult<Vec<_>>>()?;
    batch_write(client, table, requests, "batch delete").await
}

/// Sends `requests` to `table`, 25 per `BatchWriteItem`, retrying the
/// items DynamoDB leaves unprocessed (with a short backoff).
///
/// # Errors
/// As DynamoDB's; `Transient` if items stay unprocessed after retries.
pub async fn batch_write(
    client: &Client,
    table: &str,
    requests: Vec<WriteRequest>,
    what: &str,
) -> PortResult<()> {
    for chunk in requests.chunks(25) {
        let mut pending: Vec<WriteRequest> = chunk.to_vec();
        for attempt in 0..8u32 {
            if pending.is_empty() {
                break;
            }
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(25 << attempt.min(5))).await;
            }
            let output = client
                .batch_write_item()
                .request_items(table, std::mem::take(&mut pending))
                .send()
                .await
                .map_err(|e| ddb_error(what, e))?;
            pending = output
                .unprocessed_items
                .and_then(|mut m| m.remove(table))
                .unwrap_or_default();
        }
        if !pending.is_empty() {
            return Err(PortError::transient(format!(
                "{what}: items left unprocessed"
            )));
        }
    }
    Ok(())
}

//! `BatchGetItem` over any number of keys: 100 keys per request, the keys
//! DynamoDB leaves unprocessed (throttling, the 16 MB response limit) asked
//! again with a short backoff.

use crate::dynamodb::codec::Item;
use crate::dynamodb::ddb_error;
use aws_sdk_dynamodb::types::KeysAndAttributes;
use aws_sdk_dynamodb::Client;
use pika_ports::{PortError, PortResult};
use std::time::Duration;

/// DynamoDB's limit of keys per `BatchGetItem`.
const KEYS_PER_REQUEST: usize = 100;
/// Requests per chunk before unprocessed keys count as a failure.
const ATTEMPTS: u32 = 8;

/// The items of `table` with `keys` that exist, in no particular order,
/// read consistently.
///
/// # Errors
/// As DynamoDB's; `Transient` if keys stay unprocessed after retries.
pub(super) async fn batch_get(
    client: &Client,
    table: &str,
    keys: Vec<Item>,
) -> PortResult<Vec<Item>> {
    let mut found = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(KEYS_PER_REQUEST) {
        let mut pending = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(chunk.to_vec()))
                .consistent_read(true)
                .build()
                .map_err(|e| PortError::permanent(format!("batch get request: {e}")))?,
        );
        for attempt in 0..ATTEMPTS {
            let Some(request) = pending.take() else { break };
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(25 << attempt.min(5))).await;
            }
            let output = client
                .batch_get_item()
                .request_items(table, request)
                .send()
                .await
                .map_err(|e| ddb_error("batch get", e))?;
            found.extend(
                output
                    .responses
                    .and_then(|mut r| r.remove(table))
                    .unwrap_or_default(),
            );
            pending = output
                .unprocessed_keys
                .and_then(|mut u| u.remove(table))
                .filter(|k| !k.keys.is_empty());
        }
        if pending.is_some() {
            return Err(PortError::transient("batch get: keys left unprocessed"));
        }
    }
    Ok(found)
}

//! The idempotency claims of client message ids on the claims table: one
//! item per `{userId}#{clientMessageId}`, written with a condition so the
//! first claim wins, and expiring (DynamoDB TTL) after seven days.

use crate::dynamodb::codec::{self, s, ttl, Item};
use crate::dynamodb::errors::ddb_error;
use crate::dynamodb::{is_condition_failure, tables, Dynamo};
use aws_sdk_dynamodb::types::Put;
use pika_domain::chrono::{DateTime, Duration, Utc};
use pika_domain::ids::{ClientMessageId, MessageId, SessionId, UserId};
use pika_ports::{ClaimOutcome, PortError, PortResult, TurnClaim};
use serde::{Deserialize, Serialize};

/// The table key.
const CLAIM_KEY: &str = "claimKey";
/// The TTL attribute (epoch seconds).
const TTL: &str = "ttl";
/// How long a claim stands; after it, the same client id is a new message.
pub const CLAIM_LIFETIME_DAYS: i64 = 7;

/// A claim as stored (the port's `TurnClaim` has no serde shape).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredClaim {
    session_id: SessionId,
    user_message_id: MessageId,
    assistant_message_id: MessageId,
    claimed_at: DateTime<Utc>,
}

impl From<&TurnClaim> for StoredClaim {
    fn from(c: &TurnClaim) -> Self {
        Self {
            session_id: c.session_id,
            user_message_id: c.user_message_id,
            assistant_message_id: c.assistant_message_id,
            claimed_at: c.claimed_at,
        }
    }
}

impl From<StoredClaim> for TurnClaim {
    fn from(c: StoredClaim) -> Self {
        Self {
            session_id: c.session_id,
            user_message_id: c.user_message_id,
            assistant_message_id: c.assistant_message_id,
            claimed_at: c.claimed_at,
        }
    }
}

/// A claim as one item of a transaction (the turn journal): the same item,
/// TTL and condition as a claim through the store.
///
/// # Errors
/// `Permanent` if the claim does not serialise (a bug).
pub(crate) fn claim_put(
    table: &str,
    user: &UserId,
    client_id: &ClientMessageId,
    claim: &TurnClaim,
) -> PortResult<Put> {
    Put::builder()
        .table_name(table)
        .set_item(Some(claim_item(user, client_id, claim)?))
        .condition_expression("attribute_not_exists(#k)")
        .expression_attribute_names("#k", CLAIM_KEY)
        .build()
        .map_err(|e| PortError::permanent(format!("claim put: {e}")))
}

fn claim_item(user: &UserId, client_id: &ClientMessageId, claim: &TurnClaim) -> PortResult<Item> {
    let mut item = codec::to_item(&StoredClaim::from(claim))?;
    item.extend(Claims::key(user, client_id));
    item.insert(
        TTL.to_string(),
        ttl(claim.claimed_at + Duration::days(CLAIM_LIFETIME_DAYS)),
    );
    Ok(item)
}

/// The claims of client message ids.
#[derive(Debug, Clone)]
pub(super) struct Claims {
    dynamo: Dynamo,
    table: String,
}

/// How often a claim is tried when the claim that beat it is released
/// before it could be read (a race that needs a release in between).
const CLAIM_ATTEMPTS: usize = 3;

impl Claims {
    pub(super) fn new(dynamo: Dynamo) -> Self {
        let table = dynamo.table(&tables::CLAIMS);
        Self { dynamo, table }
    }

    fn key(user: &UserId, client_id: &ClientMessageId) -> Item {
        // Neither id may contain '#', so the key is unambiguous.
        [(CLAIM_KEY.to_string(), s(format!("{user}#{client_id}")))].into()
    }

    pub(super) async fn claim(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
        claim: &TurnClaim,
    ) -> PortResult<ClaimOutcome> {
        let item = claim_item(user, client_id, claim)?;
        for _ in 0..CLAIM_ATTEMPTS {
            let result = self
                .dynamo
                .client()
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .condition_expression("attribute_not_exists(#k)")
                .expression_attribute_names("#k", CLAIM_KEY)
                .send()
                .await;
            match result {
                Ok(_) => return Ok(ClaimOutcome::Claimed),
                Err(e) if is_condition_failure(&e) => {
                    if let Some(existing) = self.get(user, client_id).await? {
                        return Ok(ClaimOutcome::Existing(existing));
                    }
                }
                Err(e) => return Err(ddb_error("claim client message", e)),
            }
        }
        Err(PortError::transient(
            "claim client message: the claim kept changing, retry",
        ))
    }

    /// The claim, read consistently (a retry right after the first request
    /// must find it).
    pub(super) async fn get(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
    ) -> PortResult<Option<TurnClaim>> {
        let output = self
            .dynamo
            .client()
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user, client_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| ddb_error("get client message claim", e))?;
        output
            .item
            .map(|item| codec::from_item::<StoredClaim>(&item, &[CLAIM_KEY, TTL]).map(Into::into))
            .transpose()
    }

    pub(super) async fn release(
        &self,
        user: &UserId,
        client_id: &ClientMessageId,
    ) -> PortResult<()> {
        self.dynamo
            .client()
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user, client_id)))
            .send()
            .await
            .map_err(|e| ddb_error("release client message claim", e))?;
        Ok(())
    }
}

//! The turn journal on DynamoDB: a turn's writes as two
//! `TransactWriteItems` requests (docs/storage.md, "Requests per turn").
//!
//! - start: the claim of the client id (when there is one), the new session
//!   (when the turn opens one) and the user's message — all or none;
//! - finish: the answer, the session's totals and newest message, and the
//!   three usage counters — all or none.
//!
//! A retry of a request whose response was lost finds its own writes: a
//! claim with the same ids, or a stored message equal to the one it
//! carries, counts as done (so retries are idempotent without DynamoDB's
//! request tokens, whose handling of cancelled transactions is not
//! documented).

use super::contention::{backoff, cancelled_by_contention, ATTEMPTS};
use super::errors::ddb_error;
use super::messages::{claim_put, message_put, stage, DynamoMessageStore};
use super::sessions::{create_put, turn_update};
use super::usage::ledger_updates;
use super::{tables, Dynamo};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use pika_domain::message::Message;
use pika_ports::{
    MessageStore, PortError, PortResult, StartOutcome, TurnFinish, TurnJournal, TurnStart,
};

type TransactError = SdkError<TransactWriteItemsError, HttpResponse>;

/// [`TurnJournal`] on Pika's DynamoDB tables.
#[derive(Debug, Clone)]
pub struct DynamoTurnJournal {
    dynamo: Dynamo,
    messages: DynamoMessageStore,
}

impl DynamoTurnJournal {
    /// The journal over `dynamo`'s tables.
    pub fn new(dynamo: Dynamo) -> Self {
        Self {
            messages: DynamoMessageStore::new(dynamo.clone()),
            dynamo,
        }
    }

    /// Sends the transaction, again while DynamoDB cancels it because
    /// concurrent turns touched the same items (every turn of a chat app,
    /// entity and model that day adds to one usage item): nothing was
    /// written then, so sending it again is safe.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), TransactError> {
        let mut attempt = 0;
        loop {
            let sent = self
                .dynamo
                .client()
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            match sent {
                Ok(_) => return Ok(()),
                Err(e) if cancelled_by_contention(&e) && attempt + 1 < ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Whether `message` is stored exactly as it is (a retried write whose
    /// first attempt landed).
    async fn stored_as_is(&self, message: &Message) -> PortResult<bool> {
        let stored = self
            .messages
            .get(&message.session_id, &message.message_id)
            .await?;
        Ok(stored.as_ref() == Some(message))
    }
}

/// Which items of a cancelled transaction failed their condition, by
/// position (the cancellation reasons come in the order of the items).
fn failed_conditions(err: &TransactError) -> Option<Vec<bool>> {
    match err.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(e) => Some(
            e.cancellation_reasons()
                .iter()
                .map(|r| r.code() == Some("ConditionalCheckFailed"))
                .collect(),
        ),
        _ => None,
    }
}

#[async_trait]
impl TurnJournal for DynamoTurnJournal {
    async fn start(&self, start: &TurnStart) -> PortResult<StartOutcome> {
        let mut items = Vec::new();
        if let Some(c) = &start.claim {
            let table = self.dynamo.table(&tables::CLAIMS);
            let put = claim_put(&table, &c.user_id, &c.client_id, &c.claim)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        if let Some(session) = &start.new_session {
            let put = create_put(&self.dynamo.table(&tables::SESSIONS), session)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        let staged = stage(&start.user_message)?;
        let put = message_put(&self.dynamo.table(&tables::MESSAGES), &staged)?;
        items.push(TransactWriteItem::builder().put(put).build());

        self.messages.write_parts(&staged).await?;
        let err = match self.transact(items).await {
            Ok(()) => return Ok(StartOutcome::Started),
            Err(err) => err,
        };
        self.messages.discard_parts(&staged).await;
        let Some(failed) = failed_conditions(&err) else {
            return Err(ddb_error("start a turn", err));
        };
        if let (Some(c), Some(true)) = (&start.claim, failed.first()) {
            let previous = self
                .messages
                .get_client_message(&c.user_id, &c.client_id)
                .await?;
            return match previous {
                // Our own claim: an earlier attempt of this request landed.
                Some(p) if p == c.claim && self.stored_as_is(&start.user_message).await? => {
                    Ok(StartOutcome::Started)
                }
                // Someone's earlier turn with this client id wins.
                Some(p) => Ok(StartOutcome::Claimed(p)),
                None => Err(PortError::transient(
                    "start a turn: the client id's claim was released meanwhile; retry",
                )),
            };
        }
        if failed.last() == Some(&true) && self.stored_as_is(&start.user_message).await? {
            return Ok(StartOutcome::Started);
        }
        if failed.iter().any(|f| *f) {
            return Err(PortError::conflict(
                "start a turn: the session or the message exists already",
            ));
        }
        Err(ddb_error("start a turn", err))
    }

    async fn finish(&self, finish: &TurnFinish) -> PortResult<()> {
        let session_id = finish.answer.session_id;
        let staged = stage(&finish.answer)?;
        let mut items = vec![
            TransactWriteItem::builder()
                .put(message_put(&self.dynamo.table(&tables::MESSAGES), &staged)?)
                .build(),
            TransactWriteItem::builder()
                .update(turn_update(
                    &self.dynamo.table(&tables::SESSIONS),
                    &session_id,
                    &finish.record,
                )?)
                .build(),
        ];
        if let Some(ledger) = &finish.ledger {
            for update in ledger_updates(&self.dynamo.table(&tables::USAGE), ledger)? {
                items.push(TransactWriteItem::builder().update(update).build());
            }
        }
        // A large answer's parts go first; a transaction that does not
        // land leaves them to be removed (the stored answer, if any, has
        // its own).
        self.messages.write_parts(&staged).await?;
        let err = match self.transact(items).await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        self.messages.discard_parts(&staged).await;
        match failed_conditions(&err).as_deref() {
            // The answer is stored; if exactly this one, an earlier attempt
            // of this request landed (with its totals and counts).
            Some([true, ..]) if self.stored_as_is(&finish.answer).await? => Ok(()),
            Some([true, ..]) => Err(PortError::conflict(format!(
                "finish a turn: answer {} exists already",
                finish.answer.message_id
            ))),
            Some([_, true, ..]) => Err(PortError::not_found(format!(
                "finish a turn: session {session_id} does not exist"
            ))),
            _ => Err(ddb_error("finish a turn", err)),
        }
    }
}

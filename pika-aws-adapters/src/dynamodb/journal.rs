//! The turn journal on DynamoDB: a turn's writes as two
//! `TransactWriteItems` requests (docs/storage.md, "Requests per turn").
//!
//! - start: the claim of the client id (when there is one), the new session
//!   (when the turn opens one) and the user's message — all or none;
//! - finish: the answer, the session's totals and newest message, and the
//!   three usage counters — all or none.
//!
//! Each transaction carries a client request token (the message id it
//! stores), so a retry of a request whose answer was lost within DynamoDB's
//! ten-minute window is applied once.

use super::errors::ddb_error;
use super::messages::{claim_put, message_put, DynamoMessageStore};
use super::sessions::{create_put, turn_update};
use super::usage::ledger_updates;
use super::{tables, Dynamo};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;
use pika_ports::{
    MessageStore, PortError, PortResult, StartOutcome, TurnFinish, TurnJournal, TurnStart,
};

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

    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
        token: String,
    ) -> Result<
        (),
        SdkError<
            TransactWriteItemsError,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    > {
        self.dynamo
            .client()
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(token)
            .send()
            .await
            .map(|_| ())
    }
}

/// Which items of a cancelled transaction failed their condition, by
/// position (the cancellation reasons come in the order of the items).
fn failed_conditions(
    err: &SdkError<
        TransactWriteItemsError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> Option<Vec<bool>> {
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
        let put = message_put(&self.dynamo.table(&tables::MESSAGES), &start.user_message)?;
        items.push(TransactWriteItem::builder().put(put).build());

        let token = start.user_message.message_id.to_string();
        let err = match self.transact(items, token).await {
            Ok(()) => return Ok(StartOutcome::Started),
            Err(err) => err,
        };
        let Some(failed) = failed_conditions(&err) else {
            return Err(ddb_error("start a turn", err));
        };
        if let (Some(c), Some(true)) = (&start.claim, failed.first()) {
            // The client id was claimed before: that claim wins.
            return match self
                .messages
                .get_client_message(&c.user_id, &c.client_id)
                .await?
            {
                Some(previous) => Ok(StartOutcome::Claimed(previous)),
                None => Err(PortError::transient(
                    "start a turn: the client id's claim was released meanwhile; retry",
                )),
            };
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
        let mut items = vec![
            TransactWriteItem::builder()
                .put(message_put(
                    &self.dynamo.table(&tables::MESSAGES),
                    &finish.answer,
                )?)
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
        let token = finish.answer.message_id.to_string();
        let err = match self.transact(items, token).await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        match failed_conditions(&err).as_deref() {
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

//! Forgetting a user: their extracted records (`BatchDeleteMemoryRecords`,
//! 100 at a time) and the raw conversation events they were extracted from
//! (`ListSessions` → `ListEvents` → `DeleteEvent`), which AgentCore would
//! otherwise keep until the memory's event expiry.

use super::records::list_namespace;
use crate::aws::classify;
use aws_sdk_bedrockagentcore::types::MemoryRecordDeleteInput;
use aws_sdk_bedrockagentcore::Client;
use pika_ports::{ErrorKind, PortError, PortResult};

/// The most records one `BatchDeleteMemoryRecords` call takes.
pub(super) const DELETE_BATCH: usize = 100;
/// Page size of the session and event listings.
const LIST_PAGE: i32 = 100;

/// Deletes every record in `namespace`.
///
/// # Errors
/// The classified call error; a record AgentCore failed to delete (other
/// than one already gone) fails the call, `Transient` when its error code
/// says throttled or unavailable.
pub(super) async fn erase_records(
    client: &Client,
    memory_id: &str,
    namespace: &str,
) -> PortResult<()> {
    let summaries = list_namespace(client, memory_id, namespace).await?;
    for batch in summaries.chunks(DELETE_BATCH) {
        let records = batch
            .iter()
            .map(|s| {
                MemoryRecordDeleteInput::builder()
                    .memory_record_id(&s.memory_record_id)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                PortError::permanent(format!("agentcore BatchDeleteMemoryRecords: {e}"))
                    .with_source(e)
            })?;
        let out = client
            .batch_delete_memory_records()
            .memory_id(memory_id)
            .set_records(Some(records))
            .send()
            .await
            .map_err(|e| classify("agentcore BatchDeleteMemoryRecords", e))?;
        let failed: Vec<_> = out
            .failed_records
            .iter()
            .filter(|f| f.error_code != Some(404))
            .collect();
        if let Some(first) = failed.first() {
            let code = first.error_code.unwrap_or(500);
            let kind = if code == 429 || code >= 500 {
                ErrorKind::Transient
            } else {
                ErrorKind::Permanent
            };
            return Err(PortError::new(
                kind,
                format!(
                    "agentcore BatchDeleteMemoryRecords: {} records not deleted, first {} ({code}): {}",
                    failed.len(),
                    first.memory_record_id,
                    first.error_message.as_deref().unwrap_or("no message")
                ),
            ));
        }
    }
    Ok(())
}

/// Deletes every event of `actor_id`, session by session. Each session's
/// events are listed to the end before any is deleted: deleting while
/// paging could shift later pages past events never seen.
///
/// # Errors
/// The classified call error; an event already gone is not one.
pub(super) async fn erase_events(
    client: &Client,
    memory_id: &str,
    actor_id: &str,
) -> PortResult<()> {
    for session_id in sessions_of(client, memory_id, actor_id).await? {
        for event_id in events_of(client, memory_id, actor_id, &session_id).await? {
            let deleted = client
                .delete_event()
                .memory_id(memory_id)
                .actor_id(actor_id)
                .session_id(&session_id)
                .event_id(&event_id)
                .send()
                .await;
            match deleted {
                Ok(_) => {}
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_resource_not_found_exception()) => {}
                Err(e) => return Err(classify("agentcore DeleteEvent", e)),
            }
        }
    }
    Ok(())
}

async fn events_of(
    client: &Client,
    memory_id: &str,
    actor_id: &str,
    session_id: &str,
) -> PortResult<Vec<String>> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_events()
            .memory_id(memory_id)
            .actor_id(actor_id)
            .session_id(session_id)
            .include_payloads(false)
            .max_results(LIST_PAGE)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| classify("agentcore ListEvents", e))?;
        events.extend(page.events.into_iter().map(|e| e.event_id));
        match page.next_token {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(events),
        }
    }
}

async fn sessions_of(client: &Client, memory_id: &str, actor_id: &str) -> PortResult<Vec<String>> {
    let mut sessions = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_sessions()
            .memory_id(memory_id)
            .actor_id(actor_id)
            .max_results(LIST_PAGE)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| classify("agentcore ListSessions", e))?;
        sessions.extend(page.session_summaries.into_iter().map(|s| s.session_id));
        match page.next_token {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(sessions),
        }
    }
}

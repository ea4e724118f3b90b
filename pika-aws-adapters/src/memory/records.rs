//! Reading AgentCore memory records as the port's [`MemoryRecord`]s.

use crate::aws::classify;
use aws_sdk_bedrockagentcore::types::{MemoryContent, MemoryRecordSummary};
use aws_sdk_bedrockagentcore::Client;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::UserId;
use pika_domain::memory::{MemoryRecord, MemoryStrategy};
use pika_ports::PortResult;

/// The most records one `ListMemoryRecords` page may hold.
const LIST_PAGE: i32 = 100;

/// `summary` as a record of `user` for `strategy`; `None` when it holds no
/// text (a content type this adapter does not know).
pub(super) fn to_record(
    summary: &MemoryRecordSummary,
    user: &UserId,
    strategy: MemoryStrategy,
) -> Option<MemoryRecord> {
    let content = match summary.content.as_ref()? {
        MemoryContent::Text(text) => text.clone(),
        _ => return None,
    };
    let created = summary.created_at;
    Some(MemoryRecord {
        record_id: summary.memory_record_id.clone(),
        user_id: user.clone(),
        strategy,
        content,
        created_at: DateTime::<Utc>::from_timestamp(created.secs(), created.subsec_nanos())
            .unwrap_or_default(),
        source_session_id: None,
    })
}

/// Every record summary in `namespace`, following `nextToken` to the end.
pub(super) async fn list_namespace(
    client: &Client,
    memory_id: &str,
    namespace: &str,
) -> PortResult<Vec<MemoryRecordSummary>> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_memory_records()
            .memory_id(memory_id)
            .namespace(namespace)
            .max_results(LIST_PAGE)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| classify("agentcore ListMemoryRecords", e))?;
        all.extend(page.memory_record_summaries);
        match page.next_token {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(all),
        }
    }
}

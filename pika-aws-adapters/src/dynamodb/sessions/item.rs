//! A session as an item of the sessions table: the session's own attributes
//! plus the index attributes of docs/storage.md, which every write keeps in
//! step with the session (the sparse ones present only while they apply).

use crate::dynamodb::codec::{self, s, time_key, to_attribute, Item};
use aws_sdk_dynamodb::types::AttributeValue;
use pika_domain::session::{InsightStatus, Session};
use pika_ports::{PortError, PortResult};
use serde::Serialize;

/// The table key (also the sort key of the listing indexes).
pub(super) const SESSION_ID: &str = "sessionId";
/// Partition of `byUser`.
pub(super) const USER_ID: &str = "userId";
/// Partition of `byEntity`.
pub(super) const ENTITY_ID: &str = "entityId";
/// Partition of `byUserApp`: `{userId}#{chatAppId}`.
pub(super) const USER_APP: &str = "userApp";
/// Partition of the sparse `byShare`: the share id, while there is a share.
pub(super) const SHARE_KEY: &str = "shareKey";
/// Partition of the sparse `byInsightsDue`, present while the insight
/// status is `pending` or `failed`.
pub(super) const INSIGHTS_DUE: &str = "insightsDue";
/// Sort key of `byInsightsDue`: `updatedAt` as a fixed-width time.
pub(super) const UPDATED_KEY: &str = "updatedKey";
/// Partition of the sparse `byExpiry`, present while there is an expiry.
pub(super) const EXPIRY_DUE: &str = "expiryDue";
/// Sort key of `byExpiry`: `expiresAt` as a fixed-width time.
pub(super) const EXPIRES_KEY: &str = "expiresKey";
/// The one value of the sparse partitions.
pub(super) const DUE: &str = "due";

/// The attributes a session item has beyond the session's own.
const INDEX_ATTRS: &[&str] = &[
    USER_APP,
    SHARE_KEY,
    INSIGHTS_DUE,
    UPDATED_KEY,
    EXPIRY_DUE,
    EXPIRES_KEY,
];

/// Whether a session in `status` belongs in the "needs insights" index.
pub(super) fn needs_insights(status: InsightStatus) -> bool {
    matches!(status, InsightStatus::Pending | InsightStatus::Failed)
}

/// The `userApp` value of a user and chat app.
pub(super) fn user_app(user: &str, chat_app: &str) -> String {
    format!("{user}#{chat_app}")
}

/// A value as the attribute the session's serde shape gives it.
///
/// # Errors
/// `Permanent` if it does not serialise (a bug).
pub(super) fn attr_of<T: Serialize>(value: &T) -> PortResult<AttributeValue> {
    serde_json::to_value(value)
        .map(|json| to_attribute(&json))
        .map_err(|e| PortError::permanent(format!("serialising a session field: {e}")))
}

/// The item of `session`, with its index attributes.
///
/// # Errors
/// `Permanent` if the session does not serialise (a bug).
pub(super) fn to_session_item(session: &Session) -> PortResult<Item> {
    let mut item = codec::to_item(session)?;
    item.insert(
        USER_APP.to_string(),
        s(user_app(
            session.user_id.as_str(),
            session.chat_app_id.as_str(),
        )),
    );
    item.insert(UPDATED_KEY.to_string(), s(time_key(session.updated_at)));
    if let Some(share) = &session.share {
        item.insert(SHARE_KEY.to_string(), s(share.share_id.to_string()));
    }
    if needs_insights(session.insight_status) {
        item.insert(INSIGHTS_DUE.to_string(), s(DUE));
    }
    if let Some(expires) = session.expires_at {
        item.insert(EXPIRY_DUE.to_string(), s(DUE));
        item.insert(EXPIRES_KEY.to_string(), s(time_key(expires)));
    }
    Ok(item)
}

/// The session of an item, without its index attributes.
///
/// # Errors
/// `Permanent` if the item does not hold a session.
pub(super) fn from_session_item(item: &Item) -> PortResult<Session> {
    codec::from_item(item, INDEX_ATTRS)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use pika_domain::chrono::{TimeZone, Utc};
    use pika_domain::ids::{AgentId, ChatAppId, EntityId, SessionId, ShareId, UserId};
    use pika_domain::session::ShareInfo;

    fn a_session() -> Session {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        Session::new(
            SessionId::from_v7_parts(1_700_000_000_000, &[1; 10]),
            UserId::parse("alice").unwrap(),
            ChatAppId::parse("app-a").unwrap(),
            AgentId::parse("agent").unwrap(),
            EntityId::parse("acme").unwrap(),
            at,
        )
    }

    #[test]
    fn a_plain_session_is_in_no_sparse_index() {
        let item = to_session_item(&a_session()).unwrap();
        assert_eq!(codec::get_s(&item, USER_APP), Some("alice#app-a"));
        assert_eq!(
            codec::get_s(&item, UPDATED_KEY),
            Some("2026-01-02T03:04:05.000000Z")
        );
        for sparse in [SHARE_KEY, INSIGHTS_DUE, EXPIRY_DUE, EXPIRES_KEY] {
            assert!(!item.contains_key(sparse), "{sparse} is absent");
        }
    }

    #[test]
    fn shared_pending_expiring_sessions_carry_their_index_keys_and_read_back() {
        let mut session = a_session();
        let share_id = ShareId::parse("0191e3a2-7c4e-7000-8000-000000000001").unwrap();
        session.share = Some(ShareInfo {
            share_id,
            shared_by: session.user_id.clone(),
            shared_at: session.created_at,
            revoked_at: None,
        });
        session.insight_status = InsightStatus::Failed;
        session.expires_at = Some(session.created_at);
        let item = to_session_item(&session).unwrap();
        assert_eq!(
            codec::get_s(&item, SHARE_KEY),
            Some(share_id.to_string().as_str())
        );
        assert_eq!(codec::get_s(&item, INSIGHTS_DUE), Some(DUE));
        assert_eq!(codec::get_s(&item, EXPIRY_DUE), Some(DUE));
        assert_eq!(
            codec::get_s(&item, EXPIRES_KEY),
            Some("2026-01-02T03:04:05.000000Z")
        );
        assert_eq!(from_session_item(&item).unwrap(), session);
    }
}

//! The `UpdateItem` of a finished turn and of a patch: which attributes
//! change, with the index attributes kept in step.

use super::expr::UpdateExpr;
use super::item::{
    attr_of, needs_insights, DUE, EXPIRES_KEY, EXPIRY_DUE, INSIGHTS_DUE, SESSION_ID, SHARE_KEY,
    UPDATED_KEY,
};
use crate::dynamodb::codec::{self, s, time_key};
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::session::InsightStatus;
use pika_ports::{PortResult, SessionPatch, TurnRecord};

const USAGE: &str = "usage";
const LAST_MESSAGE_ID: &str = "lastMessageId";
const UPDATED_AT: &str = "updatedAt";
const INSIGHT_STATUS: &str = "insightStatus";
const TITLE: &str = "title";
const PINNED: &str = "pinned";
const SHARE: &str = "share";
const LAST_ANALYZED: &str = "lastAnalyzedMessageId";
const EXPIRES_AT: &str = "expiresAt";

/// `updatedAt` and its index key.
fn set_updated(e: &mut UpdateExpr, at: DateTime<Utc>) -> PortResult<()> {
    e.set(UPDATED_AT, attr_of(&at)?);
    e.set(UPDATED_KEY, s(time_key(at)));
    Ok(())
}

/// The insight status and the sparse "needs insights" key.
fn set_insight_status(e: &mut UpdateExpr, status: InsightStatus) -> PortResult<()> {
    e.set(INSIGHT_STATUS, attr_of(&status)?);
    e.set_or_remove(INSIGHTS_DUE, needs_insights(status).then(|| s(DUE)));
    Ok(())
}

/// A finished turn: the usage totals grow by atomic adds (each field of the
/// usage map, named as the session's serde shape names them), the newest
/// message and `updatedAt` are set, and a marked turn sets `pending`.
/// The session must exist.
///
/// # Errors
/// `Permanent` if a value does not serialise (a bug).
pub(super) fn turn_update(turn: &TurnRecord) -> PortResult<UpdateExpr> {
    let mut e = UpdateExpr::default();
    let mut fields: Vec<_> = codec::to_item(&turn.usage)?.into_iter().collect();
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    for (field, amount) in fields {
        e.add_nested(USAGE, &field, amount);
    }
    e.set(LAST_MESSAGE_ID, s(turn.last_message_id.to_string()));
    set_updated(&mut e, turn.at)?;
    if turn.mark_for_insights {
        set_insight_status(&mut e, InsightStatus::Pending)?;
    }
    e.require_exists(SESSION_ID);
    Ok(e)
}

/// A patch: only the fields it names change; a cleared share or expiry
/// also leaves its sparse index. The session must exist and, when asked,
/// still have the expected newest message.
///
/// # Errors
/// `Permanent` if a value does not serialise (a bug).
pub(super) fn patch_update(patch: &SessionPatch) -> PortResult<UpdateExpr> {
    let mut e = UpdateExpr::default();
    if let Some(title) = &patch.title {
        e.set_or_remove(TITLE, title.as_ref().map(|t| s(t.clone())));
    }
    if let Some(pinned) = patch.pinned {
        e.set(PINNED, attr_of(&pinned)?);
    }
    if let Some(share) = &patch.share {
        e.set_or_remove(SHARE, share.as_ref().map(attr_of).transpose()?);
        e.set_or_remove(
            SHARE_KEY,
            share.as_ref().map(|sh| s(sh.share_id.to_string())),
        );
    }
    if let Some(status) = patch.insight_status {
        set_insight_status(&mut e, status)?;
    }
    if let Some(analysed) = patch.last_analyzed_message_id {
        e.set(LAST_ANALYZED, s(analysed.to_string()));
    }
    if let Some(expires) = patch.expires_at {
        e.set_or_remove(EXPIRES_AT, expires.as_ref().map(attr_of).transpose()?);
        e.set_or_remove(EXPIRY_DUE, expires.map(|_| s(DUE)));
        e.set_or_remove(EXPIRES_KEY, expires.map(|at| s(time_key(at))));
    }
    if let Some(at) = patch.updated_at {
        set_updated(&mut e, at)?;
    }
    e.require_exists(SESSION_ID);
    if let Some(expected) = patch.if_last_message_id {
        e.require_equal(LAST_MESSAGE_ID, s(expected.to_string()));
    }
    Ok(e)
}

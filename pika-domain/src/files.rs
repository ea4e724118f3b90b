//! Where files live in the file store (PIKA.md §10): upload keys scoped to a
//! user and session, and insight documents.

use crate::ids::{ChatAppId, FileId, SessionId, UserId};

/// The prefix of every upload of `user` in `session`:
/// `uploads/{userId}/{sessionId}/`.
pub fn session_upload_prefix(user: &UserId, session: &SessionId) -> String {
    format!("uploads/{}/{session}/", user_segment(user))
}

/// The prefix of every upload of `user`: `uploads/{userId}/`.
pub fn user_upload_prefix(user: &UserId) -> String {
    format!("uploads/{}/", user_segment(user))
}

/// The key of one upload: `uploads/{userId}/{sessionId}/{fileId}/{name}`.
/// The name is reduced to safe characters so it cannot leave the prefix.
pub fn upload_key(user: &UserId, session: &SessionId, file: &FileId, name: &str) -> String {
    format!(
        "{}{file}/{}",
        session_upload_prefix(user, session),
        key_segment(name)
    )
}

/// Where every insight document lives.
pub const INSIGHTS_PREFIX: &str = "session-insights/";

/// The key of a session's insight document:
/// `session-insights/{chatAppId}/{userId}/{sessionId}.json`.
pub fn insight_key(app: &ChatAppId, user: &UserId, session: &SessionId) -> String {
    // The same user segment as `insight_prefix`, so erasing a user finds
    // every document (an injective encoding: no two users share one).
    format!(
        "session-insights/{app}/{}/{session}.json",
        user_segment(user)
    )
}

/// The prefix of a user's insight documents in one chat app.
pub fn insight_prefix(app: &ChatAppId, user: &UserId) -> String {
    format!("session-insights/{app}/{}/", user_segment(user))
}

/// A user id as one key segment, percent-encoded so that two user ids never
/// share a segment (`auth0|1` and `auth0_1` stay apart): letters, digits,
/// `-`, `_`, `@` and non-leading `.` are kept, every other byte is `%XX`.
pub fn user_segment(user: &UserId) -> String {
    let mut out = String::new();
    for (i, b) in user.as_str().bytes().enumerate() {
        let keep =
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'@') || (b == b'.' && i > 0);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A file name made safe as one key segment (not injective: the file id in
/// front of it keeps keys apart). Keeps letters, digits, `.`, `-`, `_` and
/// `@`; everything else becomes `_`.
/// Leading dots are replaced so `..` can never appear as a segment.
pub fn key_segment(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect();
    while out.starts_with('.') {
        out.replace_range(0..1, "_");
    }
    if out.is_empty() {
        out.push('_');
    }
    out.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn different_user_ids_never_share_a_prefix() {
        let a = UserId::parse("auth0|123").unwrap();
        let b = UserId::parse("auth0_123").unwrap();
        let c = UserId::parse("auth0%7C123").unwrap();
        let prefixes = [
            user_upload_prefix(&a),
            user_upload_prefix(&b),
            user_upload_prefix(&c),
        ];
        assert_eq!(prefixes[0], "uploads/auth0%7C123/");
        assert_ne!(prefixes[0], prefixes[1]);
        assert_ne!(prefixes[0], prefixes[2]);
        assert_eq!(
            user_segment(&UserId::parse(".hidden").unwrap()),
            "%2Ehidden"
        );
    }

    #[test]
    fn names_cannot_escape_their_prefix() {
        let user = UserId::parse("alice@example.com").unwrap();
        let session = SessionId::parse("01890a5d-ac96-774b-bcce-b302099a8057").unwrap();
        let file = FileId::parse("01890a5d-ac96-774b-bcce-b302099a8058").unwrap();
        let key = upload_key(&user, &session, &file, "../../etc/passwd");
        assert!(key.starts_with(&session_upload_prefix(&user, &session)));
        assert!(key
            .split('/')
            .all(|segment| segment != ".." && segment != "."));
        assert_eq!(key.split('/').count(), 5, "{key}");
        assert_eq!(
            insight_key(&ChatAppId::parse("app").unwrap(), &user, &session),
            "session-insights/app/alice@example.com/01890a5d-ac96-774b-bcce-b302099a8057.json"
        );
    }
}

#[cfg(test)]
mod insight_key_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_users_insight_documents_are_under_their_prefix() {
        let app = ChatAppId::parse("support").unwrap();
        let session = SessionId::parse("01890a5d-ac96-774b-bcce-b302099a8057").unwrap();
        for user in ["alice", "auth0|alice", "x.y@example.com"] {
            let user = UserId::parse(user).unwrap();
            assert!(insight_key(&app, &user, &session).starts_with(&insight_prefix(&app, &user)));
        }
    }
}

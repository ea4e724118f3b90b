#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Who may read or post into a session (PIKA.md §2), and who may read a
//! shared one.

mod access_support;

use pika_domain::ids::EntityId;
use pika_domain::session::{may_read_shared, session_access, Session, SessionAccess};
use pika_domain::user::{User, UserType, ROLE_CONTENT_ADMIN, ROLE_SITE_ADMIN};
use serde_json::json;

use access_support::*;
use UserType::{ExternalUser as External, InternalUser as Internal};

#[test]
fn session_access_by_role() {
    let s = session_of("owner", EntityId::global(), None);
    let rows: Vec<(&str, User, SessionAccess)> = vec![
        ("owner", internal("owner"), SessionAccess::Owner),
        (
            "owner who is also a site admin is still the owner",
            user("owner", Internal, &[ROLE_SITE_ADMIN], json!({})),
            SessionAccess::Owner,
        ),
        (
            "content admin views",
            user("cora", Internal, &[ROLE_CONTENT_ADMIN], json!({})),
            SessionAccess::Viewer,
        ),
        (
            "site admin views",
            user("sam", External, &[ROLE_SITE_ADMIN], json!({})),
            SessionAccess::Viewer,
        ),
        (
            "other user gets nothing",
            internal("eve"),
            SessionAccess::None,
        ),
        (
            "other user with an unrelated role gets nothing",
            user("eve", Internal, &["support", "pika:content"], json!({})),
            SessionAccess::None,
        ),
    ];
    for (name, u, expected) in rows {
        assert_eq!(session_access(&u, &s), expected, "{name}");
    }
}

#[test]
fn shared_sessions_are_readable_as_the_share_and_entity_allow() {
    let path = Some("accountId");
    let acme = eid("acme");
    let cases: Vec<(&str, Session, User, Option<&str>, bool)> = vec![
        (
            "no share: not even a same-entity user reads it",
            session_of("owner", acme.clone(), None),
            in_entity("eve", External, "acme"),
            path,
            false,
        ),
        (
            "no share: the owner does not read it through a share link",
            session_of("owner", acme.clone(), None),
            internal("owner"),
            path,
            false,
        ),
        (
            "revoked share: same-entity user refused",
            session_of("owner", acme.clone(), Some(share(true))),
            in_entity("eve", External, "acme"),
            path,
            false,
        ),
        (
            "revoked share: owner refused",
            session_of("owner", acme.clone(), Some(share(true))),
            internal("owner"),
            path,
            false,
        ),
        (
            "revoked share of a global session: anyone refused",
            session_of("owner", EntityId::global(), Some(share(true))),
            external("eve"),
            None,
            false,
        ),
        (
            "active share: owner reads",
            session_of("owner", acme.clone(), Some(share(false))),
            internal("owner"),
            path,
            true,
        ),
        (
            "active share: content admin of another entity reads",
            session_of("owner", acme.clone(), Some(share(false))),
            user(
                "cora",
                Internal,
                &[ROLE_CONTENT_ADMIN],
                json!({"accountId": "globex"}),
            ),
            path,
            true,
        ),
        (
            "active share of a global session: anyone reads",
            session_of("owner", EntityId::global(), Some(share(false))),
            external("eve"),
            None,
            true,
        ),
        (
            "active share: same-entity user reads",
            session_of("owner", acme.clone(), Some(share(false))),
            in_entity("eve", External, "acme"),
            path,
            true,
        ),
        (
            "active share: other-entity user refused",
            session_of("owner", acme.clone(), Some(share(false))),
            in_entity("eve", External, "globex"),
            path,
            false,
        ),
        (
            "active share: user without an entity refused",
            session_of("owner", acme.clone(), Some(share(false))),
            external("eve"),
            path,
            false,
        ),
        (
            "active share: no entity path configured refuses non-owners of an entity session",
            session_of("owner", acme.clone(), Some(share(false))),
            in_entity("eve", External, "acme"),
            None,
            false,
        ),
    ];
    for (name, s, u, p, expected) in cases {
        assert_eq!(may_read_shared(&u, &s, p), expected, "{name}");
    }
}

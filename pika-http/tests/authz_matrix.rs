//! The authorization matrix over HTTP: every (user, session, action) of a
//! generated population — over 10 000 cases — answered exactly as the rules
//! say: the owner may do everything, content and site admins may read but
//! never write, everybody else gets 404 (existence never leaks).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use axum::http::{Method, StatusCode};
use pika_domain::ids::SessionId;
use pika_domain::session::Session;
use pika_domain::user::{User, UserType};
use pika_ports::SessionStore;
use pika_testkit::fixtures;
use serde_json::{json, Value};
use support::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Read,
    Messages,
    Events,
    Insight,
    Feedback,
    Title,
    Pin,
    Share,
    Upload,
    Post,
    Stop,
    Delete,
}

const ACTIONS: [Action; 12] = [
    Action::Read,
    Action::Messages,
    Action::Events,
    Action::Insight,
    Action::Feedback,
    Action::Title,
    Action::Pin,
    Action::Share,
    Action::Upload,
    Action::Post,
    Action::Stop,
    Action::Delete,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    Forbidden,
    NotFound,
}

fn population() -> Vec<User> {
    let mut users = Vec::new();
    for (i, entity) in ["acme", "globex", "initech"].iter().enumerate() {
        for n in 0..8 {
            let kind = if n % 3 == 0 {
                UserType::InternalUser
            } else {
                UserType::ExternalUser
            };
            users.push(fixtures::user(&format!("u{i}-{n}"), kind, Some(entity)));
        }
    }
    users.push(fixtures::user("no-entity", UserType::ExternalUser, None));
    users.push(fixtures::content_admin("carol"));
    users.push(fixtures::content_admin("casey"));
    users.push(fixtures::site_admin("root"));
    users
}

fn expected(user: &User, session: &Session, action: Action) -> Expect {
    let owner = session.user_id == user.user_id;
    let reader = user.may_view_others();
    let reads = matches!(action, Action::Read | Action::Messages | Action::Events);
    if owner {
        return Expect::Allowed;
    }
    if action == Action::Insight {
        // Insights are for the owner and site admins.
        return if user.is_site_admin() {
            Expect::Allowed
        } else {
            Expect::NotFound
        };
    }
    match (reader, reads) {
        (true, true) => Expect::Allowed,
        (true, false) => Expect::Forbidden,
        (false, _) => Expect::NotFound,
    }
}

fn request(action: Action, session: &SessionId, answer: &str) -> (Method, String, Option<Value>) {
    let base = format!("/sessions/{session}");
    match action {
        Action::Read => (Method::GET, base, None),
        Action::Messages => (Method::GET, format!("{base}/messages"), None),
        Action::Events => (
            Method::GET,
            format!("{base}/messages/{answer}/events"),
            None,
        ),
        Action::Insight => (Method::GET, format!("/insights/{session}"), None),
        Action::Feedback => (
            Method::POST,
            format!("{base}/feedback"),
            Some(json!({ "kind": "thumbs_down" })),
        ),
        Action::Title => (
            Method::POST,
            format!("{base}/title"),
            Some(json!({ "title": "Mine now" })),
        ),
        Action::Pin => (Method::PUT, format!("{base}/pin"), None),
        Action::Share => (Method::POST, format!("{base}/share"), None),
        Action::Upload => (
            Method::POST,
            format!("{base}/files"),
            Some(json!({ "name": "a.txt", "contentType": "text/plain", "size": 10 })),
        ),
        Action::Post => (
            Method::POST,
            format!("{base}/messages"),
            Some(json!({ "message": "hi" })),
        ),
        Action::Stop => (Method::POST, format!("{base}/stop"), None),
        Action::Delete => (Method::DELETE, base, None),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_user_reaches_a_session_the_rules_do_not_allow() {
    let mut site = fixtures::site();
    site.features.file_upload = Some(pika_domain::features::FileUploadFeature {
        enabled: true,
        mime_types_allowed: vec!["*".into()],
        max_file_size_bytes: None,
    });
    let api = Api::with(site, Default::default()).await;
    let users = population();
    // Sessions of ordinary users, each with one finished turn.
    let mut sessions = Vec::new();
    for owner in users.iter().filter(|u| !u.may_view_others()).step_by(2) {
        for _ in 0..2 {
            api.fakes
                .runtime
                .push(pika_testkit::fakes::runtime::Script::answer("hello"));
            let (id, _) = api.chat(owner, "hi").await;
            let id = SessionId::parse(&id).unwrap();
            let answer = api
                .fakes
                .messages
                .of_session(&id)
                .pop()
                .unwrap()
                .message_id
                .to_string();
            sessions.push((api.fakes.sessions.find(&id).unwrap(), answer));
        }
    }
    let tokens: Vec<String> = users.iter().map(|u| api.token(u)).collect();

    let mut cases = 0usize;
    let mut leaks = Vec::new();
    for _round in 0..3 {
        for (u, user) in users.iter().enumerate() {
            for (session, answer) in &sessions {
                for action in ACTIONS {
                    let expect = expected(user, session, action);
                    // Destructive or turn-starting actions are checked for
                    // everyone but the owner here; the owner's path is
                    // covered by the route tests.
                    if expect == Expect::Allowed && matches!(action, Action::Delete | Action::Post)
                    {
                        continue;
                    }
                    let (method, path, body) = request(action, &session.session_id, answer);
                    let reply = api.call(method, &path, Some(&tokens[u]), body).await;
                    cases += 1;
                    let ok = match expect {
                        Expect::Allowed => reply.status.is_success(),
                        Expect::Forbidden => {
                            reply.status == StatusCode::FORBIDDEN && reply.code() == "forbidden"
                        }
                        Expect::NotFound => {
                            reply.status == StatusCode::NOT_FOUND && reply.code() == "not_found"
                        }
                    };
                    if !ok {
                        leaks.push(format!(
                            "{} {action:?} on {}'s session: {} {}",
                            user.user_id,
                            session.user_id,
                            reply.status,
                            reply.text()
                        ));
                    }
                }
            }
        }
    }
    assert!(cases >= 10_000, "only {cases} cases");
    assert!(
        leaks.is_empty(),
        "{} of {cases} cases broke the rules, e.g.:\n{}",
        leaks.len(),
        leaks
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    // Nothing was deleted or posted by anyone but owners.
    for (session, _) in &sessions {
        let still = api
            .fakes
            .sessions
            .get(&session.session_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            api.fakes.messages.of_session(&session.session_id).len(),
            2,
            "no foreign message in {}",
            still.session_id
        );
    }
}

//! The authorization matrix against an independent oracle: over 20 000
//! distinct requests over HTTP — sessions and every action on them, ids
//! of one session's objects used through another, share links (active and
//! revoked, across entities), chat-app access rules and overrides, search,
//! insights, feedback triage and memory — each answered exactly as the
//! oracle (`authz_oracle_support`, written from PIKA.md §2, §3 and §11)
//! says. It runs on the local server's composition over SQLite (as `main`
//! builds it) and on the fakes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod authz_oracle_support;
mod authz_oracle_world;

use authz_oracle_support::*;
use authz_oracle_world::*;
use axum::http::Method;
use pika_domain::chat_app::ChatAppOverride;
use pika_domain::ids::{EntityId, UserId};
use pika_domain::user::UserType;
use pika_testkit::fixtures;
use serde_json::{json, Value};
use std::collections::HashMap;

fn request(
    action: Action,
    s: &Seeded,
    foreign: &Seeded,
) -> Option<(Method, String, Option<Value>)> {
    let base = format!("/sessions/{}", s.id);
    Some(match action {
        Action::Read => (Method::GET, base, None),
        Action::Messages => (Method::GET, format!("{base}/messages"), None),
        Action::Events => (
            Method::GET,
            format!("{base}/messages/{}/events", s.answer),
            None,
        ),
        Action::Insight => (Method::GET, format!("/insights/{}", s.id), None),
        Action::Title => (
            Method::POST,
            format!("{base}/title"),
            Some(json!({"title": "Mine"})),
        ),
        Action::Pin => (Method::PUT, format!("{base}/pin"), None),
        Action::Unpin => (Method::DELETE, format!("{base}/pin"), None),
        Action::Share => (Method::POST, format!("{base}/share"), None),
        Action::Unshare => (Method::DELETE, format!("{base}/share"), None),
        Action::Feedback => (
            Method::POST,
            format!("{base}/feedback"),
            Some(json!({"kind": "thumbs_down", "messageId": s.answer})),
        ),
        Action::Upload => (
            Method::POST,
            format!("{base}/files"),
            Some(json!({"name": "a.txt", "contentType": "text/plain", "size": 10})),
        ),
        Action::Post => (
            Method::POST,
            format!("{base}/messages"),
            Some(json!({"message": "hi"})),
        ),
        Action::Stop => (Method::POST, format!("{base}/stop"), None),
        Action::Delete => (Method::DELETE, base, None),
        Action::ForeignEvents => (
            Method::GET,
            format!("{base}/messages/{}/events", foreign.answer),
            None,
        ),
        Action::ForeignFeedback => (
            Method::POST,
            format!("{base}/feedback"),
            Some(json!({"kind": "thumbs_up", "messageId": foreign.answer})),
        ),
    })
}

async fn session_matrix(world: &World, sessions: &[Seeded], tally: &mut Tally) {
    for (i, s) in sessions.iter().enumerate() {
        let foreign = &sessions[(i + 1) % sessions.len()];
        for caller in &world.people {
            let rel = relation(caller, &s.owner);
            for (action, _) in SESSION_TABLE {
                let expect = session_outcome(rel, *action);
                // The owner's delete and post change the world (and a post
                // needs a model); the route tests cover them.
                if rel == Relation::Owner && matches!(action, Action::Delete | Action::Post) {
                    continue;
                }
                let Some((method, path, body)) = request(*action, s, foreign) else {
                    continue;
                };
                let reply = world.call(caller, method.clone(), &path, body).await;
                tally.check(
                    format!("{} {action:?} {method} {path}", caller.id),
                    expect,
                    &reply,
                );
            }
        }
    }
}

async fn share_matrix(world: &World, sessions: &[Seeded], tally: &mut Tally) {
    let people: HashMap<&str, &Person> = world.people.iter().map(|p| (p.id.as_str(), p)).collect();
    for (i, s) in sessions.iter().enumerate() {
        let owner = people[s.owner.as_str()];
        let shared = world
            .call(
                owner,
                Method::POST,
                &format!("/sessions/{}/share", s.id),
                None,
            )
            .await;
        assert!(shared.status.is_success(), "{:?}", shared.body);
        let share_id = world
            .ports
            .sessions
            .get(&s.id)
            .await
            .unwrap()
            .unwrap()
            .share
            .unwrap()
            .share_id;
        let state = if i % 3 == 0 {
            let revoked = world
                .call(
                    owner,
                    Method::DELETE,
                    &format!("/sessions/{}/share", s.id),
                    None,
                )
                .await;
            assert!(revoked.status.is_success(), "{:?}", revoked.body);
            ShareState::Revoked
        } else {
            ShareState::Active
        };
        for caller in &world.people {
            let expect = share_outcome(caller, &s.owner, s.entity, state);
            let reply = world
                .call(caller, Method::GET, &format!("/shared/{share_id}"), None)
                .await;
            tally.check(
                format!("{} reads {state:?} share of {}", caller.id, s.owner),
                expect,
                &reply,
            );
        }
    }
}

fn rules_of(rules: &Rules) -> pika_domain::access::AccessRules {
    pika_domain::access::AccessRules {
        enabled: true,
        user_types: rules.types.as_ref().map(|t| {
            t.iter()
                .map(|k| match k {
                    Kind::Internal => UserType::InternalUser,
                    Kind::External => UserType::ExternalUser,
                })
                .collect()
        }),
        user_roles: rules
            .roles
            .as_ref()
            .map(|r| r.iter().map(|s| (*s).to_string()).collect()),
        apply_rules_as: if rules.or {
            pika_domain::access::ApplyRulesAs::Or
        } else {
            pika_domain::access::ApplyRulesAs::And
        },
    }
}

async fn chat_app_matrix(world: &World, tally: &mut Tally) {
    let listed_users = vec!["acme-0".to_string(), "root".to_string()];
    let specs = apps(&listed_users);
    for (i, spec) in specs.iter().enumerate() {
        let mut app = fixtures::chat_app(&format!("app-{i}"), "agent");
        app.enabled = spec.enabled;
        app.access_rules = rules_of(&spec.rules);
        world.ports.chat_apps.create(&app).await.unwrap();
        if let Some(o) = &spec.ovr {
            let entities =
                |list: &[&str]| list.iter().map(|e| EntityId::parse(*e).unwrap()).collect();
            let ovr = ChatAppOverride {
                enabled: o.enabled,
                exclusive_user_id_access_control: o
                    .user_ids
                    .iter()
                    .map(|u| UserId::parse(u).unwrap())
                    .collect(),
                exclusive_internal_access_control: entities(&o.internal_entities),
                exclusive_external_access_control: entities(&o.external_entities),
                access_rules: (o.rules.types.is_some() || o.rules.roles.is_some())
                    .then(|| rules_of(&o.rules)),
                ..ChatAppOverride::default()
            };
            world
                .ports
                .chat_apps
                .put_override(&app.chat_app_id, &ovr)
                .await
                .unwrap();
        }
    }
    for caller in &world.people {
        let mut allowed = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let expect = if may_use(caller, spec) {
                Outcome::Ok
            } else {
                Outcome::NotFound
            };
            if expect == Outcome::Ok {
                allowed.push(format!("app-{i}"));
            }
            let reply = world
                .call(caller, Method::GET, &format!("/chatapps/app-{i}"), None)
                .await;
            tally.check(
                format!("{} uses app-{i} {spec:?}", caller.id),
                expect,
                &reply,
            );
        }
        // The list shows exactly the apps the caller may use (and `open`).
        allowed.push("open".to_string());
        allowed.sort();
        let list = world.call(caller, Method::GET, "/chatapps", None).await;
        let mut listed: Vec<String> = list.body["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|a| a["chatAppId"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        listed.sort();
        tally.holds(
            format!("{} lists {listed:?}, may use {allowed:?}", caller.id),
            listed == allowed,
        );
    }
}

/// Search: others' sessions only for content and site admins (§11).
async fn search_matrix(world: &World, sessions: &[Seeded], tally: &mut Tally) {
    let owner_of: HashMap<String, &str> = sessions
        .iter()
        .map(|s| (s.id.to_string(), s.owner.as_str()))
        .collect();
    let mut filters = vec![String::new()];
    filters.extend(world.people.iter().map(|p| format!("&userId={}", p.id)));
    filters.extend(["acme", "globex", "initech"].map(|e| format!("&entityId={e}")));
    for caller in &world.people {
        let sees_all = caller.admin != Admin::No;
        for filter in &filters {
            let path = format!("/search?q=quokka&limit=100{filter}");
            let reply = world.call(caller, Method::GET, &path, None).await;
            let owners: Vec<&str> = reply.body["items"]
                .as_array()
                .map(|hits| {
                    hits.iter()
                        .filter_map(|h| h["document"]["sessionId"].as_str())
                        .map(|id| owner_of.get(id).copied().unwrap_or("?"))
                        .collect()
                })
                .unwrap_or_default();
            let own_only = owners.iter().all(|o| *o == caller.id);
            let ok = reply.status.is_success() && (sees_all || own_only);
            tally.holds(
                format!("{} searched {path}: owners {owners:?}", caller.id),
                ok,
            );
        }
    }
}

/// Insights lists and feedback triage are for site admins (403 for
/// everyone else); memory is the caller's own.
async fn admin_and_memory_matrix(world: &World, tally: &mut Tally) {
    let feedback = world
        .ports
        .feedback
        .list(&Default::default(), pika_ports::PageRequest::first(100))
        .await
        .unwrap()
        .items;
    assert!(!feedback.is_empty(), "the owners' feedback was stored");
    for caller in &world.people {
        let admin = if caller.admin == Admin::Site {
            Outcome::Ok
        } else {
            Outcome::Forbidden
        };
        let reply = world.call(caller, Method::GET, "/insights", None).await;
        tally.check(format!("{} lists insights", caller.id), admin, &reply);
        for f in feedback.iter().take(8) {
            let path = format!("/admin/feedback/{}", f.feedback_id);
            let reply = world
                .call(
                    caller,
                    Method::PATCH,
                    &path,
                    Some(json!({"status": "in_review"})),
                )
                .await;
            tally.check(format!("{} triages {path}", caller.id), admin, &reply);
        }
        let reply = world.call(caller, Method::GET, "/memory", None).await;
        let owners: Vec<String> = reply.body["items"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|m| m["userId"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let ok = reply.status.is_success()
            && !owners.is_empty()
            && owners.iter().all(|o| *o == caller.id);
        tally.holds(format!("{} reads memory of {owners:?}", caller.id), ok);
    }
}

async fn run_matrix(world: World) {
    let sessions = seed_sessions(&world).await;
    let mut tally = Tally::default();
    share_matrix(&world, &sessions, &mut tally).await;
    session_matrix(&world, &sessions, &mut tally).await;
    chat_app_matrix(&world, &mut tally).await;
    search_matrix(&world, &sessions, &mut tally).await;
    admin_and_memory_matrix(&world, &mut tally).await;
    assert!(tally.cases >= 20_000, "only {} cases", tally.cases);
    assert!(
        tally.wrong.is_empty(),
        "{} of {} cases differ from the oracle, e.g.:\n{}",
        tally.wrong.len(),
        tally.cases,
        tally
            .wrong
            .iter()
            .take(12)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Nobody but owners wrote into a session: each still has its two messages.
    for s in &sessions {
        let stored = world
            .ports
            .messages
            .list(&s.id, pika_ports::PageRequest::first(10))
            .await
            .unwrap();
        assert_eq!(stored.items.len(), 2, "session of {}", s.owner);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_server_answers_every_case_as_the_oracle_says() {
    let dir = tempfile::tempdir().unwrap();
    run_matrix(local_world(dir.path()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_on_fakes_answers_every_case_as_the_oracle_says() {
    let dir = tempfile::tempdir().unwrap();
    run_matrix(fake_world(dir.path()).await).await;
}

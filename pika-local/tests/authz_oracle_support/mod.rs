//! The oracle of the authorization matrix: what each caller may do,
//! written from PIKA.md §2 (tenancy), §3 (chat-app access) and §11 (the
//! API), in the test's own small types. It uses nothing of the code under
//! test — no `session_access`, `decide_access` or `may_view_others` — so a
//! mistake in those helpers cannot hide itself.
#![allow(dead_code)]

/// A user type (§2; a missing type means external).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Internal,
    External,
}

/// The reserved role a person holds, if any (§2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admin {
    No,
    Content,
    Site,
}

/// A caller, as the oracle sees them.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub kind: Kind,
    pub admin: Admin,
    /// Other roles (e.g. `editor`), for role-based chat-app rules.
    pub roles: Vec<&'static str>,
    /// The value of `accountId` in custom data.
    pub entity: Option<&'static str>,
}

impl Person {
    /// Every role name the person's token carries.
    pub fn role_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.roles.iter().map(|r| (*r).to_string()).collect();
        match self.admin {
            Admin::No => {}
            Admin::Content => names.push("pika:content-admin".to_string()),
            Admin::Site => names.push("pika:site-admin".to_string()),
        }
        names
    }
}

/// What the API answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx.
    Ok,
    /// 403 `forbidden`.
    Forbidden,
    /// 404 `not_found`.
    NotFound,
}

/// Who the caller is to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Owner,
    SiteAdmin,
    ContentAdmin,
    Stranger,
}

pub fn relation(caller: &Person, owner_id: &str) -> Relation {
    if caller.id == owner_id {
        Relation::Owner
    } else {
        match caller.admin {
            Admin::Site => Relation::SiteAdmin,
            Admin::Content => Relation::ContentAdmin,
            Admin::No => Relation::Stranger,
        }
    }
}

/// What is done to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Messages,
    Events,
    Insight,
    Title,
    Pin,
    Unpin,
    Share,
    Unshare,
    Feedback,
    Upload,
    Post,
    Stop,
    Delete,
    /// The events of another session's answer, through this session.
    ForeignEvents,
    /// Feedback on another session's answer, through this session.
    ForeignFeedback,
}

use Outcome::{Forbidden as F, NotFound as N, Ok as Y};

/// §2 and §11: the owner does everything; admins view (a content admin
/// "may view another user's sessions but never post into them": 403);
/// insights are for the owner and site admins; a session the caller may
/// not read is 404, never 403. An id of another session's object never
/// reaches through this one.
///
/// Columns: owner, site admin, content admin, anyone else.
pub const SESSION_TABLE: &[(Action, [Outcome; 4])] = &[
    (Action::Read, [Y, Y, Y, N]),
    (Action::Messages, [Y, Y, Y, N]),
    (Action::Events, [Y, Y, Y, N]),
    (Action::Insight, [Y, Y, N, N]),
    (Action::Title, [Y, F, F, N]),
    (Action::Pin, [Y, F, F, N]),
    (Action::Unpin, [Y, F, F, N]),
    (Action::Share, [Y, F, F, N]),
    (Action::Unshare, [Y, F, F, N]),
    (Action::Feedback, [Y, F, F, N]),
    (Action::Upload, [Y, F, F, N]),
    (Action::Post, [Y, F, F, N]),
    (Action::Stop, [Y, F, F, N]),
    (Action::Delete, [Y, F, F, N]),
    (Action::ForeignEvents, [N, N, N, N]),
    (Action::ForeignFeedback, [N, F, F, N]),
];

pub fn session_outcome(relation: Relation, action: Action) -> Outcome {
    let column = match relation {
        Relation::Owner => 0,
        Relation::SiteAdmin => 1,
        Relation::ContentAdmin => 2,
        Relation::Stranger => 3,
    };
    SESSION_TABLE
        .iter()
        .find(|(a, _)| *a == action)
        .map(|(_, row)| row[column])
        .unwrap_or(N)
}

/// A share link's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareState {
    Active,
    Revoked,
}

/// §11 `GET /shared/{shareId}`: an active share is read by the session's
/// entity (anyone when the session has no real entity), and by those who
/// may read the session anyway; a revoked one by nobody.
pub fn share_outcome(
    caller: &Person,
    owner_id: &str,
    session_entity: Option<&str>,
    state: ShareState,
) -> Outcome {
    if state == ShareState::Revoked {
        return N;
    }
    let reads_anyway = relation(caller, owner_id) != Relation::Stranger;
    let same_entity = match session_entity {
        None => true,
        Some(e) => caller.entity == Some(e),
    };
    if reads_anyway || same_entity {
        Y
    } else {
        N
    }
}

/// Access rules as §3 states them.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub types: Option<Vec<Kind>>,
    pub roles: Option<Vec<&'static str>>,
    /// `applyRulesAs: or` (default `and`).
    pub or: bool,
}

/// A chat app's override (§3).
#[derive(Debug, Clone, Default)]
pub struct Override {
    pub enabled: Option<bool>,
    pub user_ids: Vec<String>,
    pub internal_entities: Vec<&'static str>,
    pub external_entities: Vec<&'static str>,
    pub rules: Rules,
}

/// A chat app as §3 states it.
#[derive(Debug, Clone)]
pub struct AppSpec {
    pub enabled: bool,
    pub rules: Rules,
    pub ovr: Option<Override>,
}

/// §3 step 3: neither list set denies; any match inside a list; `and` /
/// `or` between them; an empty list counts as unset when the other has
/// entries.
fn general(rules: &Rules, caller: &Person) -> bool {
    let types = rules.types.as_ref().filter(|t| !t.is_empty());
    let roles = rules.roles.as_ref().filter(|r| !r.is_empty());
    let names = caller.role_names();
    let type_match = types.map(|t| t.contains(&caller.kind));
    let role_match = roles.map(|r| r.iter().any(|role| names.iter().any(|n| n == role)));
    match (type_match, role_match) {
        (None, None) => false,
        (Some(t), None) => t,
        (None, Some(r)) => r,
        (Some(t), Some(r)) => {
            if rules.or {
                t || r
            } else {
                t && r
            }
        }
    }
}

/// §3's access decision for (caller, chat app).
pub fn may_use(caller: &Person, app: &AppSpec) -> bool {
    // Step 1.
    if !app.enabled || app.ovr.as_ref().is_some_and(|o| o.enabled == Some(false)) {
        return false;
    }
    // Step 2.
    if let Some(ovr) = &app.ovr {
        if !ovr.user_ids.is_empty() {
            return ovr.user_ids.contains(&caller.id);
        }
        let list = match caller.kind {
            Kind::Internal => &ovr.internal_entities,
            Kind::External => &ovr.external_entities,
        };
        if !list.is_empty() {
            return caller.entity.is_some_and(|e| list.contains(&e));
        }
        let sets_rules = ovr.rules.types.as_ref().is_some_and(|t| !t.is_empty())
            || ovr.rules.roles.as_ref().is_some_and(|r| !r.is_empty());
        if sets_rules {
            return general(&ovr.rules, caller);
        }
    }
    // Step 3.
    general(&app.rules, caller)
}

/// The population: three entities and none, both user types, ordinary
/// users (some with the `editor` role), content and site admins.
pub fn population() -> Vec<Person> {
    let mut people = Vec::new();
    for entity in [Some("acme"), Some("globex"), Some("initech"), None] {
        for (n, kind) in [Kind::Internal, Kind::External, Kind::External]
            .into_iter()
            .enumerate()
        {
            let tag = entity.unwrap_or("none");
            people.push(Person {
                id: format!("{tag}-{n}"),
                kind,
                admin: Admin::No,
                roles: if n == 1 { vec!["editor"] } else { vec![] },
                entity,
            });
        }
    }
    for (id, admin, entity) in [
        ("carol", Admin::Content, Some("acme")),
        ("casey", Admin::Content, None),
        ("root", Admin::Site, Some("globex")),
        ("rhea", Admin::Site, None),
    ] {
        people.push(Person {
            id: id.to_string(),
            kind: Kind::Internal,
            admin,
            roles: vec![],
            entity,
        });
    }
    people
}

/// Every chat app the matrix checks: each combination of the app's own
/// rules with each kind of override (none, off, user list, entity lists,
/// override rules, an override that sets no rules), enabled and not.
pub fn apps(user_list: &[String]) -> Vec<AppSpec> {
    let type_options: [Option<Vec<Kind>>; 5] = [
        None,
        Some(vec![]),
        Some(vec![Kind::Internal]),
        Some(vec![Kind::External]),
        Some(vec![Kind::Internal, Kind::External]),
    ];
    let role_options: [Option<Vec<&'static str>>; 4] = [
        None,
        Some(vec![]),
        Some(vec!["editor"]),
        Some(vec!["pika:content-admin"]),
    ];
    let overrides: Vec<Option<Override>> = vec![
        None,
        Some(Override {
            enabled: Some(false),
            ..Override::default()
        }),
        Some(Override {
            user_ids: user_list.to_vec(),
            ..Override::default()
        }),
        Some(Override {
            internal_entities: vec!["acme"],
            ..Override::default()
        }),
        Some(Override {
            external_entities: vec!["globex", "initech"],
            ..Override::default()
        }),
        Some(Override {
            rules: Rules {
                types: Some(vec![Kind::Internal]),
                roles: None,
                or: false,
            },
            ..Override::default()
        }),
        Some(Override {
            rules: Rules {
                types: Some(vec![Kind::External]),
                roles: Some(vec!["editor"]),
                or: true,
            },
            ..Override::default()
        }),
        Some(Override {
            enabled: Some(true),
            ..Override::default()
        }),
    ];
    let mut apps = Vec::new();
    for enabled in [true, false] {
        for types in &type_options {
            for roles in &role_options {
                for or in [false, true] {
                    for ovr in &overrides {
                        apps.push(AppSpec {
                            enabled,
                            rules: Rules {
                                types: types.clone(),
                                roles: roles.clone(),
                                or,
                            },
                            ovr: ovr.clone(),
                        });
                    }
                }
            }
        }
    }
    apps
}

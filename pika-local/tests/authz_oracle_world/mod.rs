//! The world of the authorization matrix: the API under test (the local
//! server's composition, or the same router on fakes), tokens for the
//! population, seeded sessions, and the tally of cases.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::authz_oracle_support::{population, Admin, Kind, Outcome, Person};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use pika_domain::ids::{ChatAppId, EntityId, SessionId, UserId};
use pika_domain::message::Message;
use pika_http::auth::DevClaims;
use pika_local::config::{LocalConfig, Provider};
use pika_local::server;
use pika_ports::{IdGeneratorExt, MemoryExchange, Ports, SearchDocument, UuidV7Ids};
use pika_testkit::fixtures;
use serde_json::{json, Value};
use std::collections::HashMap;
use tower::ServiceExt;

/// The API under test and the stores behind it.
pub struct World {
    pub app: Router,
    pub ports: Ports,
    pub people: Vec<Person>,
    pub tokens: HashMap<String, String>,
}

pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl World {
    pub async fn call(
        &self,
        caller: &Person,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path).header(
            "authorization",
            format!("Bearer {}", self.tokens[&caller.id]),
        );
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, body }
    }
}

pub fn config(dir: &std::path::Path) -> LocalConfig {
    let mut config = LocalConfig {
        data_dir: Some(dir.to_path_buf()),
        ..LocalConfig::default()
    };
    // A model server that is never reached: turns are available, so a
    // refused post is refused by the rules, not for want of a model.
    config.model.provider = Provider::Openai;
    config.model.base_url = Some("http://127.0.0.1:9/v1".into());
    config.model.model = "unreachable".into();
    config.demo.seed = false;
    // The matrix sends thousands of requests per user in seconds.
    config.server.rate_limit_per_minute = 100_000_000;
    config.server.rate_limit_burst = 100_000_000;
    let mut site = fixtures::site();
    site.features.file_upload = Some(pika_domain::features::FileUploadFeature {
        enabled: true,
        mime_types_allowed: vec!["*".into()],
        max_file_size_bytes: None,
    });
    config.site = Some(site);
    config
}

pub async fn tokens(config: &LocalConfig, people: &[Person]) -> HashMap<String, String> {
    let mut tokens = HashMap::new();
    for p in people {
        let mut claims = DevClaims::new(p.id.clone());
        claims.user_type = Some(match p.kind {
            Kind::Internal => "internal-user".to_string(),
            Kind::External => "external-user".to_string(),
        });
        claims.roles = p.role_names();
        if let Some(entity) = p.entity {
            claims.custom_data.insert("accountId".into(), json!(entity));
        }
        tokens.insert(
            p.id.clone(),
            server::dev_token(config, claims).await.unwrap(),
        );
    }
    tokens
}

/// The local server's platform, built as `main` builds it (SQLite, tantivy).
pub async fn local_world(dir: &std::path::Path) -> World {
    let config = config(dir);
    let platform = server::build(&config).await.unwrap();
    let people = population();
    World {
        app: platform.app,
        ports: platform.state.ports.clone(),
        tokens: tokens(&config, &people).await,
        people,
    }
}

/// The same API over the fakes.
pub async fn fake_world(dir: &std::path::Path) -> World {
    let config = config(dir);
    let fakes = pika_testkit::FakePorts::new();
    let ports = fakes.ports();
    pika_service::seed_site(&ports, config.site.clone().unwrap())
        .await
        .unwrap();
    let auth = server::authenticator(&config).await.unwrap();
    let state = pika_http::AppState::new(
        ports.clone(),
        pika_service::ServiceSettings::default(),
        std::sync::Arc::new(auth),
        pika_http::ApiConfig::default(),
    );
    let people = population();
    World {
        app: pika_http::router(state),
        ports,
        tokens: tokens(&config, &people).await,
        people,
    }
}

/// One session of the matrix.
pub struct Seeded {
    pub id: SessionId,
    pub owner: String,
    pub entity: Option<&'static str>,
    pub answer: String,
}

pub async fn seed_sessions(world: &World) -> Vec<Seeded> {
    world
        .ports
        .agents
        .create(&fixtures::agent("agent", &[]))
        .await
        .unwrap();
    world
        .ports
        .chat_apps
        .create(&fixtures::chat_app("open", "agent"))
        .await
        .unwrap();
    let ids = UuidV7Ids;
    let mut sessions = Vec::new();
    for owner in world.people.clone() {
        let count = if owner.admin == Admin::No { 3 } else { 1 };
        for _ in 0..count {
            let created = world
                .call(
                    &owner,
                    Method::POST,
                    "/sessions",
                    Some(json!({"chatAppId": "open"})),
                )
                .await;
            assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
            let id = SessionId::parse(created.body["sessionId"].as_str().unwrap()).unwrap();
            let now = pika_domain::chrono::Utc::now();
            let question = Message::user(id, ids.message_id(), "hello".into(), now);
            let mut answer = Message::assistant(id, ids.message_id(), now);
            answer.content = "hi".into();
            world.ports.messages.put(&question).await.unwrap();
            world.ports.messages.put(&answer).await.unwrap();
            world
                .ports
                .search
                .index(&SearchDocument {
                    session_id: id,
                    message_id: answer.message_id,
                    user_id: UserId::parse(&owner.id).unwrap(),
                    chat_app_id: ChatAppId::parse("open").unwrap(),
                    entity_id: EntityId::parse(owner.entity.unwrap_or(EntityId::GLOBAL)).unwrap(),
                    title: None,
                    text: format!("quokka facts for {}", owner.id),
                    created_at: now,
                    insight_score: None,
                })
                .await
                .unwrap();
            sessions.push(Seeded {
                id,
                owner: owner.id.clone(),
                entity: owner.entity,
                answer: answer.message_id.to_string(),
            });
        }
        world
            .ports
            .memory
            .record(&MemoryExchange {
                user_id: UserId::parse(&owner.id).unwrap(),
                session_id: sessions.last().unwrap().id,
                user_text: format!("remember that my code word is {}", owner.id),
                assistant_text: "noted".into(),
                at: pika_domain::chrono::Utc::now(),
            })
            .await
            .unwrap();
    }
    sessions
}

/// Collects cases and the ones the API answered otherwise than the oracle.
#[derive(Default)]
pub struct Tally {
    pub cases: usize,
    pub wrong: Vec<String>,
}

impl Tally {
    pub fn check(&mut self, what: String, expect: Outcome, reply: &Reply) {
        self.cases += 1;
        let code = reply.body["code"].as_str().unwrap_or("");
        let ok = match expect {
            Outcome::Ok => reply.status.is_success(),
            Outcome::Forbidden => reply.status == StatusCode::FORBIDDEN && code == "forbidden",
            Outcome::NotFound => reply.status == StatusCode::NOT_FOUND && code == "not_found",
        };
        if !ok {
            self.wrong.push(format!(
                "{what}: expected {expect:?}, got {} {}",
                reply.status, reply.body
            ));
        }
    }

    pub fn holds(&mut self, what: String, ok: bool) {
        self.cases += 1;
        if !ok {
            self.wrong.push(what);
        }
    }
}

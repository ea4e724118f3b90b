//! A whole platform on fakes, for scenario tests: `given` a site and a chat
//! app, `when` a user sends, `then` these events and this state.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use futures::StreamExt;
use pika_domain::site::SiteConfig;
use pika_domain::stream::{SequencedEvent, TurnEvent};
use pika_domain::user::User;
use pika_service::Ports;
use pika_service::{
    AdminService, AnalyticsService, ChatService, CleanupService, ConfigCache, FeedbackService,
    InsightsRunner, SearchService, SendMessage, ServiceSettings, SessionService, TurnStream,
    TurnTarget, UploadService,
};
use pika_testkit::fixtures;
use pika_testkit::FakePorts;
use std::sync::Arc;
use std::time::Duration;

pub const APP: &str = "support";
pub const AGENT: &str = "agent";

pub struct Platform {
    pub fakes: FakePorts,
    pub ports: Ports,
    pub settings: ServiceSettings,
    pub config: Arc<ConfigCache>,
    pub chat: ChatService,
}

impl Platform {
    /// A platform with `site`, no chat apps yet.
    pub fn with_site(site: SiteConfig) -> Self {
        let fakes = FakePorts::with_site(site);
        let ports = fakes.ports();
        let settings = ServiceSettings::default();
        let config = Arc::new(ConfigCache::new(ports.clone(), settings.config_ttl));
        let chat = ChatService::new(ports.clone(), settings.clone(), config.clone());
        Self {
            fakes,
            ports,
            settings,
            config,
            chat,
        }
    }

    /// The standard platform writing turns through a turn journal (the
    /// DynamoDB write path), and the journal to count its calls.
    pub async fn standard_with_journal() -> (Self, pika_testkit::fakes::journal::InMemoryTurnJournal)
    {
        let mut p = Self::standard().await;
        let (ports, journal) = p.fakes.ports_with_journal();
        p.config = Arc::new(ConfigCache::new(ports.clone(), p.settings.config_ttl));
        p.chat = ChatService::new(ports.clone(), p.settings.clone(), p.config.clone());
        p.ports = ports;
        (p, journal)
    }

    /// The standard site with chat app `support` (agent `agent`, no tools).
    pub async fn standard() -> Self {
        Self::standard_with_site(fixtures::site()).await
    }

    /// `site` with chat app `support` (agent `agent`, no tools).
    pub async fn standard_with_site(site: SiteConfig) -> Self {
        let p = Self::with_site(site);
        p.seed_app(
            fixtures::chat_app(APP, AGENT),
            fixtures::agent(AGENT, &[]),
            vec![],
        )
        .await;
        p
    }

    pub async fn seed_app(
        &self,
        app: pika_domain::chat_app::ChatApp,
        agent: pika_domain::agent::Agent,
        tools: Vec<pika_domain::tool::Tool>,
    ) {
        self.fakes.seed_app(&app, &agent, &tools).await.unwrap();
    }

    pub fn sessions(&self) -> SessionService {
        SessionService::new(self.ports.clone(), self.config.clone())
    }
    pub fn admin(&self) -> AdminService {
        AdminService::new(self.ports.clone(), self.config.clone())
    }
    pub fn feedback(&self) -> FeedbackService {
        FeedbackService::new(self.ports.clone())
    }
    pub fn insights(&self) -> InsightsRunner {
        InsightsRunner::new(self.ports.clone())
    }
    pub fn search(&self) -> SearchService {
        SearchService::new(self.ports.clone())
    }
    pub fn uploads(&self) -> UploadService {
        UploadService::new(
            self.ports.clone(),
            self.settings.clone(),
            self.config.clone(),
        )
    }
    pub fn cleanup(&self) -> CleanupService {
        CleanupService::new(self.ports.clone())
    }
    pub fn analytics(&self) -> AnalyticsService {
        AnalyticsService::new(self.ports.clone())
    }

    /// Sends the first message of a new session in `support` and collects the stream.
    pub async fn first_turn(&self, user: &User, text: &str) -> (TurnStream, Vec<TurnEvent>) {
        self.send(
            user,
            SendMessage::new(TurnTarget::NewSession(fixtures::chat_app_id(APP)), text),
        )
        .await
    }

    pub async fn send(&self, user: &User, message: SendMessage) -> (TurnStream, Vec<TurnEvent>) {
        let mut stream = self.chat.send(user, message).await.expect("turn accepted");
        let events = collect(&mut stream).await;
        (stream, events)
    }
}

/// Every event of a turn, in order (with a generous timeout).
pub async fn collect(stream: &mut TurnStream) -> Vec<TurnEvent> {
    let sequenced = collect_sequenced(stream).await;
    sequenced.into_iter().map(|e| e.event).collect()
}

pub async fn collect_sequenced(stream: &mut TurnStream) -> Vec<SequencedEvent> {
    let mut out = Vec::new();
    let events = &mut stream.events;
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(e) = events.next().await {
            out.push(e);
        }
    })
    .await
    .expect("the turn ended within 10 s");
    out
}

/// The answer text the stream carried.
pub fn text_of(events: &[TurnEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            TurnEvent::Delta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

pub fn names(events: &[TurnEvent]) -> Vec<&'static str> {
    events.iter().map(TurnEvent::name).collect()
}

/// The error code of a call that must fail.
pub fn code<T: std::fmt::Debug>(result: Result<T, pika_service::ServiceError>) -> &'static str {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code(),
    }
}

/// One answered turn of `user` in a new `support` session.
pub async fn chat(
    p: &Platform,
    user: &User,
    text: &str,
    answer: &str,
) -> pika_domain::ids::SessionId {
    p.fakes
        .runtime
        .push(pika_testkit::fakes::runtime::Script::answer(answer));
    let (stream, _) = p.first_turn(user, text).await;
    stream.session_id
}

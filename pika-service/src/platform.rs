//! The whole platform over one set of ports: every service, sharing one
//! configuration cache. [`Platform::builder`] is the one way to compose it
//! (the local server, the Lambda functions and an embedding service all
//! use it): give it the stores, the model and the tool executors, and it
//! fills in what has a sensible default.

mod builder;

pub use builder::{MissingPorts, PlatformBuilder};

use crate::{
    AdminService, AnalyticsService, ChatService, CleanupService, ConfigCache, FeedbackService,
    InsightsRunner, JobRunner, Ports, SearchService, ServiceSettings, SessionService,
    UploadService, UserDataService, UserDirectory,
};
use std::sync::Arc;

/// Every service of the platform. Cheap to clone (the services share their
/// ports and cache).
#[derive(Clone)]
pub struct Platform {
    /// The ports the services were built over.
    pub ports: Ports,
    /// The settings they run with.
    pub settings: ServiceSettings,
    /// The configuration cache they share.
    pub config: Arc<ConfigCache>,
    /// Chat turns.
    pub chat: ChatService,
    /// Sessions.
    pub sessions: SessionService,
    /// Site administration.
    pub admin: AdminService,
    /// Feedback.
    pub feedback: FeedbackService,
    /// Insights.
    pub insights: InsightsRunner,
    /// Search.
    pub search: SearchService,
    /// Uploads.
    pub uploads: UploadService,
    /// Cleanup.
    pub cleanup: CleanupService,
    /// Analytics.
    pub analytics: AnalyticsService,
    /// The users store, kept current from each caller's claims.
    pub users: UserDirectory,
    /// The callers' user data overrides.
    pub user_data: UserDataService,
}

impl Platform {
    /// A builder with no ports yet.
    pub fn builder() -> PlatformBuilder {
        PlatformBuilder::default()
    }

    /// Every service over `ports`.
    pub fn new(ports: Ports, settings: ServiceSettings) -> Self {
        let config = Arc::new(ConfigCache::new(ports.clone(), settings.config_ttl));
        Self {
            chat: ChatService::new(ports.clone(), settings.clone(), config.clone()),
            sessions: SessionService::new(ports.clone(), config.clone())
                .with_prices(settings.prices.clone()),
            admin: AdminService::new(ports.clone(), config.clone()),
            feedback: FeedbackService::new(ports.clone()),
            insights: InsightsRunner::new(ports.clone()).with_prices(settings.prices.clone()),
            search: SearchService::new(ports.clone()),
            uploads: UploadService::new(ports.clone(), settings.clone(), config.clone()),
            cleanup: CleanupService::new(ports.clone()),
            analytics: AnalyticsService::new(ports.clone()),
            users: UserDirectory::new(ports.clone()),
            user_data: UserDataService::new(ports.clone(), config.clone()),
            ports,
            settings,
            config,
        }
    }

    /// The scheduled jobs over the same ports.
    pub fn jobs(&self) -> JobRunner {
        JobRunner::new(self.ports.clone())
    }
}

//! Analytics for site admins (PIKA.md §10): totals, a daily time series and
//! cost by model, chat app and entity, from the usage ledger's daily
//! aggregates.

use crate::error::ServiceError;
use crate::ports::Ports;
use pika_domain::chrono::NaiveDate;
use pika_domain::cost::Usage;
use pika_domain::ids::{ChatAppId, EntityId};
use pika_domain::user::User;
use std::collections::BTreeMap;

/// The longest range one report covers, in days.
pub const MAX_RANGE_DAYS: i64 = 366;

/// Which usage to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyticsQuery {
    /// First day (UTC), included.
    pub from: NaiveDate,
    /// Last day (UTC), included.
    pub to: NaiveDate,
    /// Only this chat app.
    pub chat_app_id: Option<ChatAppId>,
    /// Only this entity.
    pub entity_id: Option<EntityId>,
}

/// Usage and turns of one group.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Totals {
    /// Tokens and cost.
    pub usage: Usage,
    /// Turns.
    pub turns: u64,
}

impl Totals {
    fn add(&mut self, usage: Usage, turns: u64) {
        self.usage += usage;
        self.turns += turns;
    }
}

/// The report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AnalyticsReport {
    /// Everything in the range.
    pub totals: Totals,
    /// Per day, every day of the range (zero days included).
    pub series: Vec<(NaiveDate, Totals)>,
    /// Per model, most expensive first.
    pub by_model: Vec<(String, Totals)>,
    /// Per chat app, most expensive first.
    pub by_chat_app: Vec<(String, Totals)>,
    /// Per entity, most expensive first.
    pub by_entity: Vec<(String, Totals)>,
}

/// The analytics use case.
#[derive(Clone)]
pub struct AnalyticsService {
    ports: Ports,
}

fn ranked(map: BTreeMap<String, Totals>) -> Vec<(String, Totals)> {
    let mut v: Vec<_> = map.into_iter().collect();
    v.sort_by(|a, b| {
        b.1.usage
            .total_cost
            .total_cmp(&a.1.usage.total_cost)
            .then(a.0.cmp(&b.0))
    });
    v
}

impl AnalyticsService {
    /// An analytics service.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// The report for `query`. Site admins only.
    ///
    /// # Errors
    /// `Forbidden`; `Invalid` for an over-long range (an inverted one is empty).
    pub async fn report(
        &self,
        caller: &User,
        query: &AnalyticsQuery,
    ) -> Result<AnalyticsReport, ServiceError> {
        if !caller.is_site_admin() {
            return Err(ServiceError::Forbidden("site admins only".to_string()));
        }
        let days = (query.to - query.from).num_days();
        // An inverted range holds no day: its report is empty, as a
        // listing filtered to nothing is (no store read).
        if days < 0 {
            return Ok(AnalyticsReport::default());
        }
        if days >= MAX_RANGE_DAYS {
            return Err(ServiceError::Invalid(format!(
                "a report covers at most {MAX_RANGE_DAYS} days"
            )));
        }
        self.build(query).await
    }

    /// The report for `query`, for jobs (no caller to check).
    pub(crate) async fn build(
        &self,
        query: &AnalyticsQuery,
    ) -> Result<AnalyticsReport, ServiceError> {
        let rows = self.ports.usage.daily(query.from, query.to).await?;
        let mut report = AnalyticsReport::default();
        let mut series: BTreeMap<NaiveDate, Totals> = query
            .from
            .iter_days()
            .take_while(|d| *d <= query.to)
            .map(|d| (d, Totals::default()))
            .collect();
        let (mut by_model, mut by_app, mut by_entity) =
            (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        for row in rows {
            if query
                .chat_app_id
                .as_ref()
                .is_some_and(|a| a != &row.chat_app_id)
                || query
                    .entity_id
                    .as_ref()
                    .is_some_and(|e| e != &row.entity_id)
            {
                continue;
            }
            report.totals.add(row.usage, row.turns);
            series.entry(row.day).or_default().add(row.usage, row.turns);
            by_model
                .entry(row.model_id.clone())
                .or_insert_with(Totals::default)
                .add(row.usage, row.turns);
            by_app
                .entry(row.chat_app_id.to_string())
                .or_insert_with(Totals::default)
                .add(row.usage, row.turns);
            by_entity
                .entry(row.entity_id.to_string())
                .or_insert_with(Totals::default)
                .add(row.usage, row.turns);
        }
        report.series = series.into_iter().collect();
        report.by_model = ranked(by_model);
        report.by_chat_app = ranked(by_app);
        report.by_entity = ranked(by_entity);
        Ok(report)
    }
}

//! Fair use at the start of every model-spending request (a turn, a
//! generated title), across every process sharing the stores: the user's
//! and the entity's rate limits, the token quotas, the number of turns one
//! user runs at once, and each running turn's reservation against the
//! quotas until it records its real usage (`pika_domain::fair_use`).
//!
//! The state lives in the [`AllowanceStore`]; each change is read, decided
//! by the domain rule and written back naming the version read, again on a
//! conflict, so concurrent containers never both take the last place.

use crate::error::ServiceError;
use crate::ports::Ports;
use crate::retry::retry_transient;
use pika_domain::chrono::{DateTime, Utc};
use pika_domain::fair_use::{AllowanceState, HoldRefused, HoldRules, Rate, Refusal, TurnHold};
use pika_domain::ids::{EntityId, UserId};
use pika_domain::quota::{check_quota, window_start, QuotaLimits, QuotaScope};
use pika_domain::site::SiteConfig;
use pika_ports::{Allowance, AllowanceStore, ErrorKind, PortError};
use std::time::Duration;

/// How often a write that lost a race is decided again before giving up.
const ATTEMPTS: u32 = 16;

/// A running turn's holds, to release when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Admission {
    turn: String,
    /// Each record holding the turn, as this process wrote it.
    held: Vec<(String, Allowance)>,
}

/// One record to admit against: a user's or an entity's.
struct Scope {
    key: String,
    rate: Option<Rate>,
    /// The quota and the tokens the ledger counts in its window.
    quota: Option<(u64, u64)>,
    max_holds: Option<u32>,
}

impl Scope {
    /// Whether a turn must hold a place here: to be counted among the
    /// running turns, or to reserve tokens against a quota.
    fn holds(&self) -> bool {
        self.max_holds.is_some() || self.quota.is_some()
    }
}

/// The user's and (for a real tenant) the entity's records, with the
/// limits that apply; the recorded usage alone at or over a quota refuses.
async fn scopes(
    ports: &Ports,
    site: &SiteConfig,
    app_quotas: Option<&QuotaLimits>,
    user: &UserId,
    entity: &EntityId,
) -> Result<Vec<Scope>, ServiceError> {
    let limits = &site.fair_use;
    let quotas = QuotaLimits::effective(&site.quotas, app_quotas);
    let mut scopes = vec![Scope {
        key: format!("user#{user}"),
        rate: limits.user_rate(),
        quota: recorded(
            ports,
            &quotas,
            QuotaScope::User,
            user.as_str(),
            quotas.user_tokens_per_window,
        )
        .await?,
        max_holds: (limits.max_concurrent_turns_per_user > 0)
            .then_some(limits.max_concurrent_turns_per_user),
    }];
    // Sessions without a real entity share no tenant: no entity limit.
    if entity.as_str() != EntityId::GLOBAL {
        scopes.push(Scope {
            key: format!("entity#{entity}"),
            rate: limits.entity_rate(),
            quota: recorded(
                ports,
                &quotas,
                QuotaScope::Entity,
                entity.as_str(),
                quotas.entity_tokens_per_window,
            )
            .await?,
            max_holds: None,
        });
    }
    Ok(scopes)
}

/// Admits a turn: takes from the rate limits, checks the quotas counting
/// running turns' reservations, and holds a place and a reservation for
/// `turn` until [`release`].
///
/// # Errors
/// `RateLimited` (too fast, too many turns running, or the quota reserved
/// by running turns), `QuotaExceeded`, store failures.
pub(crate) async fn admit_turn(
    ports: &Ports,
    site: &SiteConfig,
    app_quotas: Option<&QuotaLimits>,
    user: &UserId,
    entity: &EntityId,
    turn: &str,
) -> Result<Admission, ServiceError> {
    let now = ports.clock.now();
    let hold = TurnHold {
        turn: turn.to_string(),
        tokens: site.fair_use.quota_reservation_tokens,
        expires_at: now + site.fair_use.hold_for(),
    };
    let mut admission = Admission {
        turn: turn.to_string(),
        held: Vec::new(),
    };
    for scope in scopes(ports, site, app_quotas, user, entity).await? {
        // Nothing to take or hold here: no request at all.
        if scope.rate.is_none() && !scope.holds() {
            continue;
        }
        let holds = scope.holds().then(|| hold.clone());
        match admit(ports, &scope, holds).await {
            Ok(Some(written)) if scope.holds() => admission.held.push((scope.key, written)),
            Ok(_) => {}
            Err(refused) => {
                release(ports, &admission).await;
                return Err(refused);
            }
        }
    }
    Ok(admission)
}

/// Admits one model call outside a turn (a generated title): the rate
/// limits, and the quotas counting running turns' reservations.
///
/// # Errors
/// As [`admit_turn`], without the running-turn limit.
pub(crate) async fn admit_call(
    ports: &Ports,
    site: &SiteConfig,
    app_quotas: Option<&QuotaLimits>,
    user: &UserId,
    entity: &EntityId,
) -> Result<(), ServiceError> {
    for scope in scopes(ports, site, app_quotas, user, entity).await? {
        if scope.rate.is_some() || scope.quota.is_some() {
            admit(ports, &scope, None).await?;
        }
    }
    Ok(())
}

/// Frees a turn's places and reservations; failures are logged (a hold
/// lapses by itself).
pub(crate) async fn release(ports: &Ports, admission: &Admission) {
    let turn = admission.turn.as_str();
    for (key, written) in &admission.held {
        let result = update(ports, key, Some(written.clone()), |state, now| {
            let state = state.cloned().unwrap_or_default();
            if !state.holds.holds.iter().any(|h| h.turn == turn) {
                return Ok(None);
            }
            let left = state.release(turn, now);
            // The bucket's refill does not matter here: keep the later time.
            let until = left
                .forget_after(None, now)
                .max(now + Duration::from_secs(3600));
            Ok(Some((left, until)))
        })
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, key, "a turn's fair-use hold could not be freed; it lapses by itself");
        }
    }
}

/// The state written, when admitted.
async fn admit(
    ports: &Ports,
    scope: &Scope,
    hold: Option<TurnHold>,
) -> Result<Option<Allowance>, ServiceError> {
    let rules = HoldRules {
        max_holds: scope.max_holds,
        quota: scope.quota,
    };
    let mut refused = None;
    let written = update(ports, &scope.key, None, |state, now| {
        let stored = state.cloned().unwrap_or_default();
        match stored.admit(scope.rate, hold.clone(), rules, now) {
            // Nothing changed (a check without rate or hold): no write.
            Ok(next) if state.is_some_and(|s| *s == next) => {
                refused = None;
                Ok(None)
            }
            Ok(next) => {
                let until = next.forget_after(scope.rate, now);
                refused = None;
                Ok(Some((next, until)))
            }
            Err(why) => {
                refused = Some(why);
                Ok(None)
            }
        }
    })
    .await?;
    let Some(why) = refused else {
        return Ok(written);
    };
    tracing::info!(key = scope.key, ?why, "refused: fair use");
    let who = if scope.key.starts_with("user#") {
        "you"
    } else {
        "your organisation"
    };
    let (message, wait) = match why {
        Refusal::TooFast(wait) => (
            format!("{who} started too many conversation turns in a short time; wait a moment"),
            wait.0.to_std().unwrap_or(Duration::from_secs(1)),
        ),
        Refusal::Hold(HoldRefused::TooManyTurns { limit }) => (
            format!("you have {limit} answers being written already; wait for one to finish"),
            Duration::from_secs(5),
        ),
        Refusal::Hold(HoldRefused::QuotaReached { .. }) => (
            "the answers being written now may use the rest of the token quota; \
             try again when they finish"
                .to_string(),
            Duration::from_secs(5),
        ),
    };
    Err(ServiceError::RateLimited {
        message,
        retry_after: Some(wait),
    })
}

/// The quota of `scope` and the tokens the ledger counts in its window;
/// refuses when those alone reach it.
async fn recorded(
    ports: &Ports,
    quotas: &QuotaLimits,
    scope: QuotaScope,
    key: &str,
    limit: Option<u64>,
) -> Result<Option<(u64, u64)>, ServiceError> {
    let Some(limit) = limit else {
        return Ok(None);
    };
    let hours = quotas.window_hours();
    let now = ports.clock.now();
    let since = window_start(now, hours);
    let buckets = ports.usage.buckets(scope, key, since).await?;
    if let Err(exceeded) = check_quota(scope, limit, hours, &buckets, now) {
        tracing::info!(
            key,
            ?scope,
            limit,
            used = exceeded.used,
            "refused: quota exceeded"
        );
        return Err(ServiceError::QuotaExceeded(exceeded));
    }
    let used = buckets
        .iter()
        .filter(|b| b.start >= since)
        .map(|b| b.tokens)
        .sum();
    Ok(Some((limit, used)))
}

/// Reads the state under `key`, lets `decide` choose the next one (with
/// when it may be forgotten; `None` writes nothing) and writes it naming
/// the version read; decides again when another write came first.
async fn update<F>(
    ports: &Ports,
    key: &str,
    mut guess: Option<Allowance>,
    mut decide: F,
) -> Result<Option<Allowance>, PortError>
where
    F: FnMut(
        Option<&AllowanceState>,
        DateTime<Utc>,
    ) -> Result<Option<(AllowanceState, DateTime<Utc>)>, PortError>,
{
    let store: &dyn AllowanceStore = ports.allowances.as_ref();
    for attempt in 1..=ATTEMPTS {
        // A state this process wrote last is tried without reading it
        // again; a conflict says someone wrote since, and it is read.
        let current = match guess.take() {
            Some(known) => Some(known),
            None => retry_transient(|| store.load(key)).await?,
        };
        let now = ports.clock.now();
        let Some((next, forget_after)) = decide(current.as_ref().map(|a| &a.state), now)? else {
            return Ok(None);
        };
        let version = current.map(|a| a.version);
        match store.save(key, &next, version, forget_after).await {
            Ok(()) => {
                return Ok(Some(Allowance {
                    state: next,
                    version: version.unwrap_or(0) + 1,
                }))
            }
            Err(e) if e.kind == ErrorKind::Conflict => {
                // Spread racing writers apart a little.
                tokio::time::sleep(Duration::from_millis(u64::from(attempt))).await;
            }
            Err(e) if e.kind.is_retryable() => {
                tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
            }
            Err(e) => return Err(e),
        }
    }
    Err(PortError::transient(format!(
        "the fair-use state {key} changed on every one of {ATTEMPTS} tries"
    )))
}

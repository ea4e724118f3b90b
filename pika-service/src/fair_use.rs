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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Admission {
    turn: String,
    /// Each record holding the turn, as this process wrote it.
    held: Vec<(String, Allowance)>,
}

/// An admission not yet handed to its turn: released when dropped, so a
/// request cancelled between admission and the turn's start (a client
/// that hangs up) does not keep its place until the hold lapses.
pub(crate) struct Held {
    ports: Ports,
    admission: std::sync::Mutex<Option<Admission>>,
}

impl Held {
    pub(crate) fn new(ports: &Ports, admission: Admission) -> Self {
        Self {
            ports: ports.clone(),
            admission: std::sync::Mutex::new(Some(admission)),
        }
    }

    fn take(&self) -> Option<Admission> {
        self.admission
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// Frees the places now (the turn will not run).
    pub(crate) async fn release(&self) {
        if let Some(admission) = self.take() {
            release(&self.ports, &admission).await;
        }
    }

    /// The admission, for the turn that now owns it.
    pub(crate) fn into_admission(self) -> Admission {
        self.take().unwrap_or_default()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some(admission) = self.take() else {
            return;
        };
        let ports = self.ports.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { release(&ports, &admission).await });
        }
    }
}

/// One record to admit against: a user's or an entity's.
struct Scope {
    key: String,
    rate: Option<Rate>,
    /// The quota that applies, read from the ledger at each decision.
    quota: Option<QuotaSpec>,
    max_holds: Option<u32>,
}

/// A quota: whose usage, how much, over how many hours.
struct QuotaSpec {
    scope: QuotaScope,
    key: String,
    limit: u64,
    hours: u32,
}

impl Scope {
    /// Whether a turn must hold a place here: to be counted among the
    /// running turns, or to reserve tokens against a quota.
    fn holds(&self) -> bool {
        self.max_holds.is_some() || self.quota.is_some()
    }
}

/// The user's and (for a real tenant) the entity's records, with the
/// limits that apply.
fn scopes(
    site: &SiteConfig,
    app_quotas: Option<&QuotaLimits>,
    user: &UserId,
    entity: &EntityId,
) -> Vec<Scope> {
    let limits = &site.fair_use;
    let quotas = QuotaLimits::effective(&site.quotas, app_quotas);
    let quota = |scope: QuotaScope, key: &str, limit: Option<u64>| {
        limit.map(|limit| QuotaSpec {
            scope,
            key: key.to_string(),
            limit,
            hours: quotas.window_hours(),
        })
    };
    let mut scopes = vec![Scope {
        key: format!("user#{user}"),
        rate: limits.user_rate(),
        quota: quota(
            QuotaScope::User,
            user.as_str(),
            quotas.user_tokens_per_window,
        ),
        max_holds: (limits.max_concurrent_turns_per_user > 0)
            .then_some(limits.max_concurrent_turns_per_user),
    }];
    // Sessions without a real entity share no tenant: no entity limit.
    if entity.as_str() != EntityId::GLOBAL {
        scopes.push(Scope {
            key: format!("entity#{entity}"),
            rate: limits.entity_rate(),
            quota: quota(
                QuotaScope::Entity,
                entity.as_str(),
                quotas.entity_tokens_per_window,
            ),
            max_holds: None,
        });
    }
    scopes
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
    for scope in scopes(site, app_quotas, user, entity) {
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
    for scope in scopes(site, app_quotas, user, entity) {
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

/// The state written, when admitted. Each try reads the record, then the
/// ledger — in that order: a turn whose hold is gone from the record has
/// booked its usage before releasing it, so one of the two counts it —
/// decides by the domain rule and writes naming the version read.
async fn admit(
    ports: &Ports,
    scope: &Scope,
    hold: Option<TurnHold>,
) -> Result<Option<Allowance>, ServiceError> {
    let store: &dyn AllowanceStore = ports.allowances.as_ref();
    for attempt in 1..=ATTEMPTS {
        let current = retry_transient(|| store.load(&scope.key)).await?;
        let quota = match &scope.quota {
            Some(spec) => Some(recorded(ports, spec).await?),
            None => None,
        };
        let rules = HoldRules {
            max_holds: scope.max_holds,
            quota,
        };
        let now = ports.clock.now();
        let stored = current
            .as_ref()
            .map(|a| a.state.clone())
            .unwrap_or_default();
        let next = match stored.admit(scope.rate, hold.clone(), rules, now) {
            Ok(next) => next,
            Err(why) => return Err(refusal(scope, why)),
        };
        // Nothing changed (a check without rate or hold): no write.
        if current.as_ref().is_some_and(|a| a.state == next) {
            return Ok(None);
        }
        let version = current.map(|a| a.version);
        let forget_after = next.forget_after(scope.rate, now);
        if let Some(written) =
            save_or_wait(store, &scope.key, next, version, forget_after, attempt).await?
        {
            return Ok(Some(written));
        }
    }
    Err(PortError::transient(format!(
        "the fair-use state {} changed on every one of {ATTEMPTS} tries",
        scope.key
    ))
    .into())
}

fn refusal(scope: &Scope, why: Refusal) -> ServiceError {
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
    ServiceError::RateLimited {
        message,
        retry_after: Some(wait),
    }
}

/// The quota and the tokens the ledger counts in its window, as (limit,
/// used); refuses when those alone reach the quota.
async fn recorded(ports: &Ports, spec: &QuotaSpec) -> Result<(u64, u64), ServiceError> {
    let now = ports.clock.now();
    let since = window_start(now, spec.hours);
    let buckets = ports.usage.buckets(spec.scope, &spec.key, since).await?;
    if let Err(exceeded) = check_quota(spec.scope, spec.limit, spec.hours, &buckets, now) {
        tracing::info!(key = spec.key, scope = ?spec.scope, limit = spec.limit, used = exceeded.used, "refused: quota exceeded");
        return Err(ServiceError::QuotaExceeded(exceeded));
    }
    let used = buckets
        .iter()
        .filter(|b| b.start >= since)
        .map(|b| b.tokens)
        .sum();
    Ok((spec.limit, used))
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
        if let Some(written) =
            save_or_wait(store, key, next, version, forget_after, attempt).await?
        {
            return Ok(Some(written));
        }
    }
    Err(PortError::transient(format!(
        "the fair-use state {key} changed on every one of {ATTEMPTS} tries"
    )))
}

/// Writes `next` naming `version`: the record written, or `None` after a
/// short wait when the write lost a race or failed for a while (decide
/// again); other failures are errors.
async fn save_or_wait(
    store: &dyn AllowanceStore,
    key: &str,
    next: AllowanceState,
    version: Option<u64>,
    forget_after: DateTime<Utc>,
    attempt: u32,
) -> Result<Option<Allowance>, PortError> {
    match store.save(key, &next, version, forget_after).await {
        Ok(()) => Ok(Some(Allowance {
            state: next,
            version: version.unwrap_or(0) + 1,
        })),
        Err(e) if e.kind == ErrorKind::Conflict => {
            // Spread racing writers apart a little.
            tokio::time::sleep(Duration::from_millis(u64::from(attempt))).await;
            Ok(None)
        }
        Err(e) if e.kind.is_retryable() => {
            tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

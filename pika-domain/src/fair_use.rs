//! Fair use across every process (PIKA.md §7 step 1): how fast a user and
//! an entity may start turns (token buckets), how many turns one user may
//! run at once, and the tokens each running turn reserves against the
//! quotas, so that turns started in parallel — on several Lambda
//! containers — cannot together spend past a quota before any of them has
//! recorded its usage.
//!
//! The rules are pure: they take the stored state and the time and return
//! the next state or a refusal. A store keeps the state and writes it back
//! only if nobody changed it meanwhile (see `pika_ports::AllowanceStore`).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The fair-use settings of the site (`fairUse`). A field left out takes
/// its default; a rate of 0 turns that limit off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FairUseLimits {
    /// Turns (and generated titles) one user may start per minute, sustained.
    pub user_turns_per_minute: u32,
    /// Turns one user may start at once above the sustained rate.
    pub user_turn_burst: u32,
    /// Turns all users of one entity may start per minute, sustained.
    pub entity_turns_per_minute: u32,
    /// Turns one entity's users may start at once above the sustained rate.
    pub entity_turn_burst: u32,
    /// Turns one user may have running at once, over all their sessions.
    pub max_concurrent_turns_per_user: u32,
    /// Tokens a running turn counts against the quotas until it records
    /// what it really used.
    pub quota_reservation_tokens: u64,
    /// How long a running turn's reservation lasts if its process dies
    /// before releasing it, in seconds (the longest a turn may run: 900 on
    /// Lambda; at most a day).
    pub hold_seconds: u32,
}

impl Default for FairUseLimits {
    fn default() -> Self {
        Self {
            user_turns_per_minute: 30,
            user_turn_burst: 10,
            // An entity's size is the operator's to know: off by default.
            entity_turns_per_minute: 0,
            entity_turn_burst: 100,
            max_concurrent_turns_per_user: 4,
            quota_reservation_tokens: 8_000,
            hold_seconds: 900,
        }
    }
}

impl FairUseLimits {
    /// The user's bucket rule, `None` when off.
    pub fn user_rate(&self) -> Option<Rate> {
        Rate::new(self.user_turns_per_minute, self.user_turn_burst)
    }

    /// The entity's bucket rule, `None` when off.
    pub fn entity_rate(&self) -> Option<Rate> {
        Rate::new(self.entity_turns_per_minute, self.entity_turn_burst)
    }

    /// How long a hold lasts without being released (1 s to a day).
    pub fn hold_for(&self) -> Duration {
        Duration::seconds(i64::from(self.hold_seconds.clamp(1, 86_400)))
    }
}

/// A token bucket's rule: `per_minute` tokens refill each minute, up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Sustained tokens per minute (at least 1).
    pub per_minute: u32,
    /// Capacity (at least 1).
    pub burst: u32,
}

impl Rate {
    /// The rule, or `None` for a rate of 0 (no limit).
    pub fn new(per_minute: u32, burst: u32) -> Option<Self> {
        (per_minute > 0).then_some(Self {
            per_minute,
            burst: burst.max(1),
        })
    }

    /// How long until an empty bucket holds one token again, in ms.
    fn ms_per_token(self) -> u64 {
        (60_000 / u64::from(self.per_minute)).max(1)
    }
}

/// Thousandths of a token, so refills need no floating point.
const MILLI: u64 = 1_000;

/// A token bucket as stored: its fill at `updated_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenBucket {
    /// Thousandths of a token in the bucket.
    pub milli_tokens: u64,
    /// When it had that many.
    pub updated_at: DateTime<Utc>,
}

/// A refusal: wait this long before the next try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl TokenBucket {
    /// Takes one token from `bucket` (a missing bucket is full), refilled
    /// at `rate` up to `now`.
    ///
    /// # Errors
    /// [`RetryAfter`] when the bucket holds less than one token.
    pub fn take(
        bucket: Option<&TokenBucket>,
        rate: Rate,
        now: DateTime<Utc>,
    ) -> Result<TokenBucket, RetryAfter> {
        let capacity = u64::from(rate.burst) * MILLI;
        let fill = match bucket {
            None => capacity,
            Some(b) => {
                // A clock that went back refills nothing.
                let elapsed = u64::try_from((now - b.updated_at).num_milliseconds()).unwrap_or(0);
                let refill = elapsed.saturating_mul(u64::from(rate.per_minute)) / 60;
                b.milli_tokens.saturating_add(refill).min(capacity)
            }
        };
        if fill < MILLI {
            let wait_ms = ((MILLI - fill) * rate.ms_per_token())
                .div_ceil(MILLI)
                .max(1);
            return Err(RetryAfter(millis(wait_ms)));
        }
        // A clock behind the stored time (containers out of step) keeps the
        // stored time, so the same refill is never credited twice.
        let updated_at = bucket.map_or(now, |b| b.updated_at.max(now));
        Ok(TokenBucket {
            milli_tokens: fill - MILLI,
            updated_at,
        })
    }

    /// When a bucket left at this fill is full again: its state may be
    /// forgotten after that (a missing bucket is full).
    pub fn full_at(&self, rate: Rate) -> DateTime<Utc> {
        let capacity = u64::from(rate.burst) * MILLI;
        let missing = capacity.saturating_sub(self.milli_tokens);
        self.updated_at + millis(missing.saturating_mul(rate.ms_per_token()).div_ceil(MILLI))
    }
}

fn millis(ms: u64) -> Duration {
    Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX / 1_000_000))
}

/// One running turn's hold: it counts towards the concurrent-turn limit
/// and reserves `tokens` against the quota until released or expired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TurnHold {
    /// The turn (its answer's message id).
    pub turn: String,
    /// Tokens reserved.
    pub tokens: u64,
    /// When the hold lapses if never released (its process died).
    pub expires_at: DateTime<Utc>,
}

/// The holds of one user or entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TurnHolds {
    /// Holds, live or lapsed.
    pub holds: Vec<TurnHold>,
}

/// What a new hold must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldRules {
    /// Most live holds at once, `None` for no limit.
    pub max_holds: Option<u32>,
    /// The quota and the tokens the ledger already counts in its window:
    /// refused when those plus the live reservations reach the quota.
    pub quota: Option<(u64, u64)>,
}

/// Why a hold is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldRefused {
    /// `max_holds` turns run already.
    TooManyTurns {
        /// The limit.
        limit: u32,
    },
    /// The quota is used up, counting running turns' reservations.
    QuotaReached {
        /// Tokens counted: used plus reserved.
        counted: u64,
    },
}

impl TurnHolds {
    /// The holds that have not lapsed at `now`.
    pub fn live(&self, now: DateTime<Utc>) -> impl Iterator<Item = &TurnHold> {
        self.holds.iter().filter(move |h| h.expires_at > now)
    }

    /// Tokens reserved by live holds.
    pub fn reserved(&self, now: DateTime<Utc>) -> u64 {
        self.live(now).map(|h| h.tokens).sum()
    }

    /// Adds `hold` (lapsed holds are dropped; a hold of the same turn is
    /// replaced, so a retried admission counts once).
    ///
    /// # Errors
    /// [`HoldRefused`] when `rules` forbid another turn.
    pub fn admit(
        &self,
        hold: TurnHold,
        rules: HoldRules,
        now: DateTime<Utc>,
    ) -> Result<TurnHolds, HoldRefused> {
        let others: Vec<TurnHold> = self
            .live(now)
            .filter(|h| h.turn != hold.turn)
            .cloned()
            .collect();
        if let Some(limit) = rules.max_holds {
            if others.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
                return Err(HoldRefused::TooManyTurns { limit });
            }
        }
        if let Some((limit, used)) = rules.quota {
            let counted = used.saturating_add(others.iter().map(|h| h.tokens).sum());
            if counted >= limit {
                return Err(HoldRefused::QuotaReached { counted });
            }
        }
        let mut holds = others;
        holds.push(hold);
        Ok(TurnHolds { holds })
    }

    /// Without the hold of `turn` (and without lapsed holds).
    pub fn release(&self, turn: &str, now: DateTime<Utc>) -> TurnHolds {
        TurnHolds {
            holds: self.live(now).filter(|h| h.turn != turn).cloned().collect(),
        }
    }

    /// When the last hold lapses: the state may be forgotten after that.
    pub fn lapses_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.holds
            .iter()
            .map(|h| h.expires_at)
            .max()
            .unwrap_or(now)
            .max(now)
    }
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Over the rate: wait this long.
    TooFast(RetryAfter),
    /// No hold for another turn.
    Hold(HoldRefused),
}

/// The fair-use state of one user or one entity: its rate bucket and its
/// running turns' holds, in one record so that admitting a turn is one
/// read and one write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AllowanceState {
    /// The rate bucket; `None` is full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<TokenBucket>,
    /// Running turns' holds.
    #[serde(default)]
    pub holds: TurnHolds,
}

impl AllowanceState {
    /// Admits one request: takes a token at `rate` (none when `None`),
    /// then adds `hold` under `rules` — or, without a hold, checks only
    /// that the quota is not used up counting live reservations.
    ///
    /// # Errors
    /// [`Refusal`]; the state is then unchanged.
    pub fn admit(
        &self,
        rate: Option<Rate>,
        hold: Option<TurnHold>,
        rules: HoldRules,
        now: DateTime<Utc>,
    ) -> Result<AllowanceState, Refusal> {
        let bucket = match rate {
            Some(rate) => {
                Some(TokenBucket::take(self.bucket.as_ref(), rate, now).map_err(Refusal::TooFast)?)
            }
            None => None,
        };
        let holds = match hold {
            Some(hold) => self.holds.admit(hold, rules, now).map_err(Refusal::Hold)?,
            None => {
                if let Some((limit, used)) = rules.quota {
                    let counted = used.saturating_add(self.holds.reserved(now));
                    if counted >= limit {
                        return Err(Refusal::Hold(HoldRefused::QuotaReached { counted }));
                    }
                }
                self.holds.release("", now)
            }
        };
        Ok(AllowanceState { bucket, holds })
    }

    /// Without the hold of `turn`.
    pub fn release(&self, turn: &str, now: DateTime<Utc>) -> AllowanceState {
        AllowanceState {
            bucket: self.bucket,
            holds: self.holds.release(turn, now),
        }
    }

    /// When nothing of this state matters any more (the bucket full at
    /// `rate`, every hold lapsed): a store may forget it after that.
    pub fn forget_after(&self, rate: Option<Rate>, now: DateTime<Utc>) -> DateTime<Utc> {
        let full = match (self.bucket, rate) {
            (Some(bucket), Some(rate)) => bucket.full_at(rate),
            _ => now,
        };
        // Never past a day: stores may rely on that to forget stale states
        // without a clock (a bucket forgotten early is merely full again).
        full.max(self.holds.lapses_at(now))
            .min(now + Duration::days(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 2, 3, 0, 0).unwrap() + Duration::seconds(s)
    }

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let rate = Rate::new(60, 3).unwrap();
        let mut bucket = None;
        for _ in 0..3 {
            bucket = Some(TokenBucket::take(bucket.as_ref(), rate, at(0)).unwrap());
        }
        let refused = TokenBucket::take(bucket.as_ref(), rate, at(0)).unwrap_err();
        assert_eq!(refused.0, Duration::seconds(1));
        let half = TokenBucket::take(bucket.as_ref(), rate, at(0) + Duration::milliseconds(500));
        assert_eq!(half.unwrap_err().0, Duration::milliseconds(500));
        assert!(TokenBucket::take(bucket.as_ref(), rate, at(1)).is_ok());
        // Never more than the burst, however long it waits.
        let mut later = TokenBucket::take(bucket.as_ref(), rate, at(3600)).ok();
        for _ in 0..2 {
            later = Some(TokenBucket::take(later.as_ref(), rate, at(3600)).unwrap());
        }
        assert!(TokenBucket::take(later.as_ref(), rate, at(3600)).is_err());
        assert_eq!(later.unwrap().full_at(rate), at(3603));
    }

    #[test]
    fn a_rate_of_zero_is_no_limit() {
        assert_eq!(Rate::new(0, 5), None);
        let off = FairUseLimits {
            user_turns_per_minute: 0,
            ..FairUseLimits::default()
        };
        assert!(off.user_rate().is_none());
    }

    fn hold(turn: &str, tokens: u64, until: i64) -> TurnHold {
        TurnHold {
            turn: turn.to_string(),
            tokens,
            expires_at: at(until),
        }
    }

    #[test]
    fn holds_limit_running_turns_and_lapse_by_themselves() {
        let rules = HoldRules {
            max_holds: Some(2),
            quota: None,
        };
        let one = TurnHolds::default()
            .admit(hold("a", 0, 60), rules, at(0))
            .unwrap();
        let two = one.admit(hold("b", 0, 60), rules, at(0)).unwrap();
        assert_eq!(
            two.admit(hold("c", 0, 60), rules, at(0)),
            Err(HoldRefused::TooManyTurns { limit: 2 })
        );
        // The same turn again counts once.
        assert!(two.admit(hold("b", 0, 90), rules, at(0)).is_ok());
        // Released, or lapsed, a hold frees its place.
        assert!(two
            .release("a", at(0))
            .admit(hold("c", 0, 60), rules, at(0))
            .is_ok());
        assert!(two.admit(hold("c", 0, 120), rules, at(60)).is_ok());
        assert_eq!(two.lapses_at(at(0)), at(60));
    }

    #[test]
    fn reservations_count_against_the_quota_until_released() {
        let rules = HoldRules {
            max_holds: None,
            quota: Some((10_000, 1_000)),
        };
        let one = TurnHolds::default()
            .admit(hold("a", 8_000, 60), rules, at(0))
            .unwrap();
        assert_eq!(one.reserved(at(0)), 8_000);
        // 1 000 used + 8 000 reserved: a second turn would still fit under
        // 10 000 — the last turn may overshoot, as without reservations.
        let two = one.admit(hold("b", 8_000, 60), rules, at(0)).unwrap();
        assert_eq!(
            two.admit(hold("c", 8_000, 60), rules, at(0)),
            Err(HoldRefused::QuotaReached { counted: 17_000 })
        );
        assert!(two
            .release("a", at(0))
            .release("b", at(0))
            .admit(hold("c", 8_000, 60), rules, at(0))
            .is_ok());
    }

    #[test]
    fn one_record_takes_the_rate_and_the_hold_together() {
        let rate = Rate::new(60, 1);
        let rules = HoldRules {
            max_holds: Some(1),
            quota: None,
        };
        let state = AllowanceState::default()
            .admit(rate, Some(hold("a", 0, 60)), rules, at(0))
            .unwrap();
        assert_eq!(state.forget_after(rate, at(0)), at(60));
        // Too fast: refused before the hold is looked at, nothing changes.
        assert!(matches!(
            state.admit(rate, Some(hold("b", 0, 60)), rules, at(0)),
            Err(Refusal::TooFast(_))
        ));
        assert_eq!(
            state.admit(rate, Some(hold("b", 0, 60)), rules, at(1)),
            Err(Refusal::Hold(HoldRefused::TooManyTurns { limit: 1 }))
        );
        let released = state.release("a", at(1));
        assert!(released.holds.holds.is_empty());
        assert!(released
            .admit(rate, Some(hold("b", 0, 60)), rules, at(1))
            .is_ok());
        // Without a hold (a title), only the reservations are counted.
        let quota = HoldRules {
            max_holds: None,
            quota: Some((100, 50)),
        };
        let reserved = AllowanceState::default()
            .admit(None, Some(hold("a", 50, 60)), quota, at(0))
            .unwrap();
        assert_eq!(
            reserved.admit(None, None, quota, at(0)),
            Err(Refusal::Hold(HoldRefused::QuotaReached { counted: 100 }))
        );
        assert!(reserved.admit(None, None, quota, at(61)).is_ok());
    }

    #[test]
    fn the_state_reads_back_as_written() {
        let state = AllowanceState {
            bucket: Some(TokenBucket {
                milli_tokens: 1_500,
                updated_at: at(0),
            }),
            holds: TurnHolds {
                holds: vec![hold("a", 5, 60)],
            },
        };
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(
            serde_json::from_str::<AllowanceState>(&json).unwrap(),
            state
        );
        assert_eq!(
            serde_json::from_str::<AllowanceState>("{}").unwrap(),
            AllowanceState::default()
        );
    }
}

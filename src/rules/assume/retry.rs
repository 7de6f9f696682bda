//! When to try `AssumeRoleWithWebIdentity` again: only for the classes that
//! can succeed on a later attempt, with full-jitter exponential backoff,
//! within `--max-attempts` and `--deadline`, and never past the point where
//! the token itself is no longer accepted. Pure: time and jitter are given.

use std::time::Duration;

use jiff::Timestamp;

use crate::model::aws::SharedFailure;
use crate::model::issuer::seconds;

use super::classify::{Class, Retry};

/// STS accepts a token up to five minutes after its `exp` (clock skew).
pub const STS_SKEW_SECONDS: i64 = 300;

/// The bounds of the retry loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first wait's ceiling; doubled after each failure.
    pub base: Duration,
    /// No wait's ceiling exceeds this.
    pub cap: Duration,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// One budget for the whole run, from the start of the assume stage,
    /// waiting for a parallel run's cache lock included: no attempt starts
    /// after it.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
            max_attempts: 6,
            deadline: Duration::from_mins(1),
        }
    }
}

impl RetryPolicy {
    /// The ceiling of the wait after `failures` failed attempts (1 or more):
    /// `min(cap, base × 2^(failures − 1))`.
    pub fn ceiling(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.base
            .checked_mul(1_u32 << doublings)
            .map_or(self.cap, |ceiling| ceiling.min(self.cap))
    }

    /// What is left of the deadline `elapsed` into the run: the longest it
    /// may still wait for a parallel run's cache lock.
    pub fn left(&self, elapsed: Duration) -> Duration {
        self.deadline.saturating_sub(elapsed)
    }

    /// Full jitter: a uniform wait between zero and the ceiling
    /// (`jitter` in `[0, 1)`).
    pub fn wait(&self, failures: u32, jitter: f64) -> Duration {
        self.ceiling(failures).mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// Why the loop stopped without credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The class cannot succeed by retrying.
    NotRetryable,
    /// `--max-attempts` reached.
    AttemptsExhausted { max: u32 },
    /// The next attempt would start after `--deadline`.
    Deadline { deadline: Duration },
    /// The token will no longer be accepted when the next attempt starts.
    TokenExpires { accepted_until: Timestamp },
    /// STS said the token expired, and reading the source again gave the
    /// same token (or one as old).
    NoFreshToken,
    /// The token source could not be read again.
    TokenUnreadable(String),
    /// A parallel run against the same role, token identity and session
    /// failed moments before: this run makes one attempt of its own, not a
    /// whole ladder.
    Shared(Box<SharedFailure>),
}

impl Stop {
    /// The reason in a sentence, for messages.
    pub fn describe(&self) -> String {
        match self {
            Stop::NotRetryable => {
                "not retried: the same request would fail the same way".to_owned()
            }
            Stop::AttemptsExhausted { max } => {
                format!("gave up after {max} attempts (--max-attempts)")
            }
            Stop::Deadline { deadline } => format!(
                "gave up: the next attempt would start after the {}-second deadline (--deadline)",
                deadline.as_secs()
            ),
            Stop::TokenExpires { accepted_until } => format!(
                "stopped early: the token is accepted only until {} (its `exp` plus STS's 5-minute skew), before the next attempt would start",
                accepted_until.strftime("%Y-%m-%dT%H:%M:%SZ")
            ),
            Stop::NoFreshToken => {
                "not retried: reading the token again gave no fresher token".to_owned()
            }
            Stop::TokenUnreadable(error) => {
                format!("stopped: the token could not be read again ({error})")
            }
            Stop::Shared(shared) => format!(
                "not retried: a parallel invocation's attempts against this role failed {} ago \
                 ({}, the last answered `{}`, {} {}), so this run made one attempt of its own",
                seconds(shared.age),
                crate::finding::counted(shared.attempts, "attempt", "attempts"),
                shared.answer,
                shared.code,
                shared.slug
            ),
        }
    }
}

/// What the loop knows when an attempt has failed.
#[derive(Debug, Clone, Copy)]
pub struct Failed {
    pub class: Class,
    /// Failed attempts so far, this one included.
    pub failures: u32,
    /// From the first attempt's start to now.
    pub elapsed: Duration,
    pub now: Timestamp,
    /// The `exp` of the token the next attempt would send.
    pub token_exp: Option<Timestamp>,
    /// For [`Retry::FreshToken`]: whether the source now gives a fresher token.
    pub fresh_token: bool,
}

/// The token the next attempt would send, as far as its source tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextToken {
    /// The source mints a new token for every attempt (the Actions runtime).
    Minted,
    /// Read again now: whether it differs from the refused token, and its `exp`.
    Read {
        changed: bool,
        exp: Option<Timestamp>,
    },
    /// The source gives the refused token again (stdin, an argument, a
    /// source that could not be read again): the refused token's `exp`.
    Same { exp: Option<Timestamp> },
}

impl NextToken {
    /// The `exp` the early stop judges: unknown for a token not minted yet.
    pub fn exp(self) -> Option<Timestamp> {
        match self {
            NextToken::Minted => None,
            NextToken::Read { exp, .. } | NextToken::Same { exp } => exp,
        }
    }

    /// Whether the next token is fresher than the refused one and STS
    /// accepts it now: a new token that has not expired beyond the skew.
    pub fn is_fresh(self, now: Timestamp) -> bool {
        match self {
            NextToken::Minted => true,
            NextToken::Read {
                changed: true,
                exp: Some(exp),
            } => exp.as_second().saturating_add(STS_SKEW_SECONDS) > now.as_second(),
            NextToken::Read { .. } | NextToken::Same { .. } => false,
        }
    }
}

impl Failed {
    /// What the loop knows after `failures` failed attempts, the next token
    /// as `next` says.
    pub fn after(
        class: Class,
        failures: u32,
        elapsed: Duration,
        now: Timestamp,
        next: NextToken,
    ) -> Failed {
        Failed {
            class,
            failures,
            elapsed,
            now,
            token_exp: next.exp(),
            fresh_token: class.retry == Retry::FreshToken && next.is_fresh(now),
        }
    }
}

/// Whether to try again, and after which wait.
pub fn next(policy: &RetryPolicy, failed: &Failed, jitter: f64) -> Result<Duration, Stop> {
    match failed.class.retry {
        Retry::No => return Err(Stop::NotRetryable),
        Retry::FreshToken if !failed.fresh_token => return Err(Stop::NoFreshToken),
        Retry::FreshToken | Retry::Yes => {}
    }
    if failed.failures >= policy.max_attempts {
        return Err(Stop::AttemptsExhausted {
            max: policy.max_attempts,
        });
    }
    let wait = policy.wait(failed.failures, jitter);
    if failed.elapsed + wait > policy.deadline {
        return Err(Stop::Deadline {
            deadline: policy.deadline,
        });
    }
    if let Some(exp) = failed.token_exp {
        let accepted_until = exp.saturating_add(jiff::SignedDuration::from_secs(STS_SKEW_SECONDS));
        let next_start = failed.now.saturating_add(
            jiff::SignedDuration::try_from(wait).unwrap_or(jiff::SignedDuration::MAX),
        );
        if let (Ok(accepted_until), Ok(next_start)) = (accepted_until, next_start)
            && next_start >= accepted_until
        {
            return Err(Stop::TokenExpires { accepted_until });
        }
    }
    Ok(wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::aws::StsFailure;
    use crate::rules::assume::classify::classify;

    fn class(code: &str, message: &str) -> Class {
        classify(&StsFailure::Service {
            code: code.to_owned(),
            message: message.to_owned(),
            status: Some(400),
        })
    }

    fn failed(class: Class, failures: u32) -> Failed {
        Failed {
            class,
            failures,
            elapsed: Duration::from_secs(1),
            now: Timestamp::from_second(1_800_000_000).unwrap(),
            token_exp: None,
            fresh_token: false,
        }
    }

    #[test]
    fn ceilings_double_from_200_ms_up_to_10_s() {
        let policy = RetryPolicy::default();
        let ceilings: Vec<u128> = (1..=8).map(|n| policy.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
        assert_eq!(policy.ceiling(1000), Duration::from_secs(10));
        assert_eq!(policy.wait(3, 0.5), Duration::from_millis(400));
        assert_eq!(policy.wait(3, 0.0), Duration::ZERO);
    }

    #[test]
    fn access_denied_and_audience_errors_are_never_retried() {
        let policy = RetryPolicy::default();
        for (code, message) in [
            (
                "AccessDenied",
                "Not authorized to perform sts:AssumeRoleWithWebIdentity",
            ),
            ("InvalidIdentityToken", "Incorrect token audience"),
        ] {
            assert_eq!(
                next(&policy, &failed(class(code, message), 1), 0.5),
                Err(Stop::NotRetryable)
            );
        }
    }

    #[test]
    fn transient_errors_are_retried_within_the_bounds() {
        let policy = RetryPolicy::default();
        let throttled = class("Throttling", "Rate exceeded");
        assert_eq!(
            next(&policy, &failed(throttled, 2), 0.5),
            Ok(Duration::from_millis(200))
        );
        assert_eq!(
            next(&policy, &failed(throttled, 6), 0.5),
            Err(Stop::AttemptsExhausted { max: 6 })
        );
        let late = Failed {
            elapsed: Duration::from_secs(59),
            ..failed(throttled, 5)
        };
        assert_eq!(
            next(&policy, &late, 0.99),
            Err(Stop::Deadline {
                deadline: Duration::from_mins(1)
            })
        );
    }

    /// One budget: what a run waited for a parallel run's lock is taken
    /// from the deadline its attempts have left.
    #[test]
    fn waiting_for_the_lock_and_the_attempts_share_one_deadline() {
        let policy = RetryPolicy {
            deadline: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.left(Duration::ZERO), Duration::from_secs(5));
        assert_eq!(policy.left(Duration::from_secs(3)), Duration::from_secs(2));
        assert_eq!(policy.left(Duration::from_secs(7)), Duration::ZERO);
        let throttled = class("Throttling", "Rate exceeded");
        // Waited 4.7 s for the lock, then a first attempt of 0.2 s: the
        // next would start past the 5 s (after at most 0.2 s of backoff).
        let waited = Duration::from_millis(4700);
        let took = Duration::from_millis(200);
        let after_waiting = Failed {
            elapsed: waited + took,
            ..failed(throttled, 1)
        };
        assert_eq!(
            next(&policy, &after_waiting, 0.99),
            Err(Stop::Deadline {
                deadline: Duration::from_secs(5)
            })
        );
        // Without the wait the same attempt is retried.
        let unwaited = Failed {
            elapsed: took,
            ..failed(throttled, 1)
        };
        assert!(next(&policy, &unwaited, 0.99).is_ok());
        // A wait that took the whole budget leaves one attempt, no more.
        let exhausted = Failed {
            elapsed: policy.deadline + took,
            ..failed(throttled, 1)
        };
        assert!(matches!(
            next(&policy, &exhausted, 0.0),
            Err(Stop::Deadline { .. })
        ));
    }

    #[test]
    fn the_loop_stops_before_the_token_is_no_longer_accepted() {
        let policy = RetryPolicy::default();
        let key = class(
            "InvalidIdentityToken",
            "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
        );
        let base = failed(key, 5);
        // Accepted until exp + 300 s; the next attempt is at most 3.2 s away.
        let exp = base
            .now
            .checked_sub(jiff::SignedDuration::from_secs(298))
            .unwrap();
        let stop = next(
            &policy,
            &Failed {
                token_exp: Some(exp),
                ..base
            },
            0.99,
        );
        assert!(matches!(stop, Err(Stop::TokenExpires { .. })), "{stop:?}");
        let fine = base
            .now
            .checked_add(jiff::SignedDuration::from_secs(600))
            .unwrap();
        assert!(
            next(
                &policy,
                &Failed {
                    token_exp: Some(fine),
                    ..base
                },
                0.99
            )
            .is_ok()
        );
    }

    #[test]
    fn only_a_changed_unexpired_or_minted_token_is_fresh() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let at = |offset: i64| Some(Timestamp::from_second(1_800_000_000 + offset).unwrap());
        assert!(NextToken::Minted.is_fresh(now));
        assert!(
            NextToken::Read {
                changed: true,
                exp: at(600)
            }
            .is_fresh(now)
        );
        // Within STS's skew: still accepted.
        assert!(
            NextToken::Read {
                changed: true,
                exp: at(-200)
            }
            .is_fresh(now)
        );
        assert!(
            !NextToken::Read {
                changed: true,
                exp: at(-301)
            }
            .is_fresh(now)
        );
        assert!(
            !NextToken::Read {
                changed: false,
                exp: at(600)
            }
            .is_fresh(now)
        );
        assert!(
            !NextToken::Read {
                changed: true,
                exp: None
            }
            .is_fresh(now)
        );
        assert!(!NextToken::Same { exp: at(600) }.is_fresh(now));
    }

    #[test]
    fn the_early_stop_judges_the_next_token_not_the_refused_one() {
        let policy = RetryPolicy::default();
        let key = class(
            "InvalidIdentityToken",
            "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
        );
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        // The 5th failure waits up to 3.2 s; the token is accepted 1 s more.
        let expiring = Some(Timestamp::from_second(1_800_000_000 - 299).unwrap());
        let renewed = Some(Timestamp::from_second(1_800_003_600).unwrap());
        let stale = Failed::after(
            key,
            5,
            Duration::ZERO,
            now,
            NextToken::Same { exp: expiring },
        );
        assert!(matches!(
            next(&policy, &stale, 0.99),
            Err(Stop::TokenExpires { .. })
        ));
        let refreshed = Failed::after(
            key,
            5,
            Duration::ZERO,
            now,
            NextToken::Read {
                changed: true,
                exp: renewed,
            },
        );
        assert!(next(&policy, &refreshed, 0.99).is_ok());
        // A minted token's expiry is unknown before it is minted: no early stop.
        let minted = Failed::after(key, 5, Duration::ZERO, now, NextToken::Minted);
        assert!(next(&policy, &minted, 0.99).is_ok());
    }

    #[test]
    fn a_fresh_token_counts_only_for_the_expired_class() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let expired = class(
            "ExpiredTokenException",
            "Token expired: current date/time 2 must be before the expiration date/time 1",
        );
        let denied = class(
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        );
        assert!(Failed::after(expired, 1, Duration::ZERO, now, NextToken::Minted).fresh_token);
        assert!(!Failed::after(denied, 1, Duration::ZERO, now, NextToken::Minted).fresh_token);
    }

    #[test]
    fn an_expired_token_is_retried_only_with_a_fresh_one() {
        let policy = RetryPolicy::default();
        let expired = class(
            "ExpiredTokenException",
            "Token expired: current date/time 2 must be before the expiration date/time 1",
        );
        assert_eq!(
            next(&policy, &failed(expired, 1), 0.5),
            Err(Stop::NoFreshToken)
        );
        let fresh = Failed {
            fresh_token: true,
            ..failed(expired, 1)
        };
        assert_eq!(next(&policy, &fresh, 0.5), Ok(Duration::from_millis(100)));
    }
}

//! TK005 token-expired, TK006 token-not-yet-valid and TK012 token-short-lifetime.

use crate::finding::{Finding, Severity};
use crate::model::time::{human_duration, relative, utc};
use crate::model::token::Jwt;
use crate::rules::{TK005, TK006, TK012};

use super::CLOCK_SKEW_SECONDS;

const SHORT_LIFETIME_SECONDS: i64 = 60;

pub(super) fn check(jwt: &Jwt, now: i64) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(exp) = jwt.numeric_date("exp") {
        let issued = jwt.numeric_date("iat").zip(jwt.lifetime());
        findings.extend(expiry(exp, now, issued));
    }
    for name in ["nbf", "iat"] {
        let Some(at) = jwt.numeric_date(name) else {
            continue;
        };
        let ahead = at.saturating_sub(now);
        if ahead > CLOCK_SKEW_SECONDS {
            findings.push(Finding::new(
                &TK006,
                format!(
                    "Claim `{name}` is {} in the future ({}); STS allows about 5 minutes of clock skew.",
                    human_duration(ahead.unsigned_abs()),
                    utc(at)
                ),
                "Check the clocks of the issuer and of the machine that judges the token. \
                 Use --at to evaluate the token at another instant.",
            ));
        }
    }
    findings
}

/// `issued` is the token's `iat` and its lifetime (`exp - iat`).
fn expiry(exp: i64, now: i64, issued: Option<(i64, i64)>) -> Option<Finding> {
    let left = exp.saturating_sub(now);
    // When it was issued and how long it lived: a job that reads it once
    // and runs (or retries) longer than that is the usual story.
    let timing = issued
        .filter(|(_, lifetime)| *lifetime > 0)
        .map_or_else(String::new, |(iat, lifetime)| {
            format!(
                " It was issued {} ({}) and lived {}: a job that reads it once and runs, or retries, longer than \
                 that is refused.",
                relative(iat, now),
                utc(iat),
                human_duration(lifetime.unsigned_abs())
            )
        });
    let refresh = "Get a fresh token and re-read it before every attempt: a cached token, a \
                   stale token file, or retries that outlast the token all end here.";
    // A token is expired from `exp` on; STS refuses it from 5 minutes after.
    if left <= -CLOCK_SKEW_SECONDS {
        Some(Finding::new(
            &TK005,
            format!(
                "The token expired {} ({}), beyond STS's 5-minute clock-skew allowance.{timing}",
                relative(exp, now),
                utc(exp)
            ),
            format!("STS answers `ExpiredTokenException: Token expired`. {refresh}"),
        ))
    } else if left <= 0 {
        let grace = CLOCK_SKEW_SECONDS + left;
        Some(
            Finding::new(
                &TK005,
                format!(
                    "The token expired {} ({}); STS still accepts it for {} more, inside its \
                     5-minute clock-skew allowance.",
                    if left == 0 {
                        "just now".to_owned()
                    } else {
                        relative(exp, now)
                    },
                    utc(exp),
                    human_duration(grace.unsigned_abs())
                ),
                refresh,
            )
            .with_severity(Severity::Medium),
        )
    } else if left <= SHORT_LIFETIME_SECONDS {
        Some(Finding::new(
            &TK012,
            format!(
                "The token expires {} ({}): a slow or retried assume will outlive it.",
                relative(exp, now),
                utc(exp)
            ),
            "Fetch the token right before the call and re-read it before every retry \
             (`oidc-doctor assume` does), or have the issuer mint longer-lived tokens.",
        ))
    } else {
        None
    }
}
